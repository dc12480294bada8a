package confparse

// mod_http_acme.go: ngx_http_acme_module (nginx 1.29's ACME client) —
// acme_issuer blocks naming a CA and where its account and certificates
// are kept, acme_certificate asking one of them for a server's names,
// and $acme_certificate / $acme_certificate_key handing the result to
// ssl_certificate.

import (
	"strings"
)

// AcmeHTTP is the module's http-level configuration.
type AcmeHTTP struct {
	Issuers []*AcmeIssuer `json:",omitempty"`
}

// AcmeIssuer is one acme_issuer block.
type AcmeIssuer struct {
	Name       string
	URI        string   `json:",omitempty"`
	AccountKey string   `json:",omitempty"` // "alg:size" or a file
	Challenge  string   `json:",omitempty"` // http-01 or tls-alpn-01
	Contacts   []string `json:",omitempty"`
	// EABKeyID and EABKey are external_account_key (the key base64url,
	// a file or "data:").
	EABKeyID       string `json:",omitempty"`
	EABKey         string `json:",omitempty"`
	PreferredChain string `json:",omitempty"`
	Profile        string `json:",omitempty"`
	Trusted        string `json:",omitempty"` // ssl_trusted_certificate
	Verify         bool   // ssl_verify, on by default
	StatePath      string `json:",omitempty"` // "" for off
	AcceptTOS      bool   `json:",omitempty"`
	File           string `json:"-"`
	Line           int    `json:"-"`
	stateSet       bool
	verifySet      bool
}

// AcmeCert is one acme_certificate: the names asked for (the server's
// exact names when none are written) and the key to generate.
type AcmeCert struct {
	Issuer      string
	Identifiers []string `json:",omitempty"`
	Key         string   // "ecdsa:256", "rsa:2048", ...
	File        string   `json:"-"`
	Line        int      `json:"-"`
}

func issuerSlot(set func(b *builder, i *AcmeIssuer, s *Stmt) error) setFunc {
	return func(b *builder, f *frame, s *Stmt) error { return set(b, f.issuer, s) }
}

// issuerString stores a one-argument setting, once.
func issuerString(get func(*AcmeIssuer) *string) setFunc {
	return issuerSlot(func(b *builder, i *AcmeIssuer, s *Stmt) error {
		p := get(i)
		if *p != "" {
			return dupErr(s)
		}
		*p = s.Args[0]
		return nil
	})
}

var acmeKeyTypes = []string{"ecdsa:256", "ecdsa:384", "ecdsa:521", "rsa:2048", "rsa:3072", "rsa:4096"}

// acmeKey reads "alg[:size]": ecdsa is 256 and rsa 2048 unless said.
func acmeKey(v string) (string, bool) {
	switch lower(v) {
	case "ecdsa":
		return "ecdsa:256", true
	case "rsa":
		return "rsa:2048", true
	}
	for _, k := range acmeKeyTypes {
		if lower(v) == k {
			return k, true
		}
	}
	return "", false
}

func init() {
	// nginx ships the module separately (nginx-module-acme): configs
	// for nginx:latest load it, and goproxy has it built in.
	builtinModules["ngx_http_acme_module.so"] = true
	ic := CtxAcmeIssuer
	register("ngx_http_acme_module",
		&Directive{Name: "acme_issuer", Ctx: CtxHTTP, Args: Args1, Block: true, set: setAcmeIssuer},
		&Directive{Name: "uri", Ctx: ic, Args: Args1, set: issuerString(func(i *AcmeIssuer) *string { return &i.URI })},
		&Directive{Name: "account_key", Ctx: ic, Args: Args1, set: issuerSlot(func(b *builder, i *AcmeIssuer, s *Stmt) error {
			if i.AccountKey != "" {
				return dupErr(s)
			}
			if k, ok := acmeKey(s.Args[0]); ok {
				i.AccountKey = k
			} else {
				i.AccountKey = b.confPath(s.Args[0])
			}
			return nil
		})},
		&Directive{Name: "challenge", Ctx: ic, Args: Args1, set: issuerSlot(func(b *builder, i *AcmeIssuer, s *Stmt) error {
			if i.Challenge != "" {
				return dupErr(s)
			}
			switch lower(s.Args[0]) {
			case "http", "http-01":
				i.Challenge = "http-01"
			case "tls-alpn", "tls-alpn-01":
				i.Challenge = "tls-alpn-01"
			default:
				return errf(s, "invalid value %q", s.Args[0])
			}
			return nil
		}), Note: "http-01 answered on every plain-HTTP listener before the server's rewrites and locations; tls-alpn-01 answered in the handshake of every TLS listener"},
		&Directive{Name: "contact", Ctx: ic, Args: Args1, set: issuerSlot(func(b *builder, i *AcmeIssuer, s *Stmt) error {
			c := s.Args[0]
			if !strings.Contains(c, ":") {
				c = "mailto:" + c
			}
			i.Contacts = append(i.Contacts, c)
			return nil
		})},
		&Directive{Name: "external_account_key", Ctx: ic, Args: Args2, set: issuerSlot(func(b *builder, i *AcmeIssuer, s *Stmt) error {
			if i.EABKeyID != "" {
				return dupErr(s)
			}
			i.EABKeyID, i.EABKey = s.Args[0], s.Args[1]
			if !strings.HasPrefix(i.EABKey, "data:") {
				i.EABKey = b.confPath(i.EABKey)
			}
			return nil
		})},
		&Directive{Name: "preferred_chain", Ctx: ic, Args: Args1, set: issuerString(func(i *AcmeIssuer) *string { return &i.PreferredChain }),
			Note: "the chain whose root's common name matches, among the alternates the CA links"},
		&Directive{Name: "profile", Ctx: ic, Args: Args12, set: issuerSlot(func(b *builder, i *AcmeIssuer, s *Stmt) error {
			if i.Profile != "" {
				return dupErr(s)
			}
			if len(s.Args) == 2 && s.Args[1] != "require" {
				return errf(s, "invalid value %q", s.Args[1])
			}
			i.Profile = s.Args[0]
			return nil
		})},
		&Directive{Name: "ssl_trusted_certificate", Ctx: ic, Args: Args1, set: issuerSlot(func(b *builder, i *AcmeIssuer, s *Stmt) error {
			if i.Trusted != "" {
				return dupErr(s)
			}
			i.Trusted = b.confPath(s.Args[0])
			return nil
		})},
		&Directive{Name: "ssl_verify", Ctx: ic, Args: ArgsFlag, set: issuerSlot(func(b *builder, i *AcmeIssuer, s *Stmt) error {
			if i.verifySet {
				return dupErr(s)
			}
			v, err := parseFlag(s, s.Args[0])
			i.Verify, i.verifySet = v, true
			return err
		})},
		&Directive{Name: "state_path", Ctx: ic, Args: Args1, set: issuerSlot(func(b *builder, i *AcmeIssuer, s *Stmt) error {
			if i.stateSet {
				return dupErr(s)
			}
			i.stateSet = true
			i.StatePath = ""
			if s.Args[0] != "off" {
				i.StatePath = b.prefixPath(s.Args[0])
			}
			return nil
		}), Note: "the account key, and each certificate with its key, kept as PEM files there"},
		&Directive{Name: "accept_terms_of_service", Ctx: ic, Args: Args0, set: issuerSlot(func(b *builder, i *AcmeIssuer, s *Stmt) error {
			i.AcceptTOS = true
			return nil
		})},
		&Directive{Name: "acme_shared_zone", Ctx: CtxHTTP, Args: Args1, Status: NoOp, set: func(b *builder, f *frame, s *Stmt) error {
			v, ok := strings.CutPrefix(s.Args[0], "zone=")
			name, size, ok2 := strings.Cut(v, ":")
			if _, sizeOK := ParseSize(size); !ok || !ok2 || name == "" || !sizeOK {
				return errf(s, "invalid value %q", s.Args[0])
			}
			return nil
		}, Note: "accepted and checked: goproxy keeps certificates and challenges in its own memory, whatever their number"},
		&Directive{Name: "acme_certificate", Ctx: CtxServer, Args: Args1More, set: setAcmeCertificate},
	)
}

func setAcmeIssuer(b *builder, f *frame, s *Stmt) error {
	a := &f.http.Acme
	for _, i := range a.Issuers {
		if i.Name == s.Args[0] {
			return errf(s, "duplicate acme_issuer %q", s.Args[0])
		}
	}
	i := &AcmeIssuer{Name: s.Args[0], File: s.File, Line: s.Line}
	nf := *f
	nf.ctx, nf.issuer = CtxAcmeIssuer, i
	if err := b.walk(&nf, s.Block); err != nil {
		return err
	}
	if i.URI == "" {
		return errf(s, "\"uri\" is missing in acme_issuer %q", i.Name)
	}
	if !i.stateSet {
		i.StatePath = b.prefixPath("acme_" + i.Name)
	}
	if !i.verifySet {
		i.Verify = true
	}
	if i.Challenge == "" {
		i.Challenge = "http-01"
	}
	if i.AccountKey == "" {
		i.AccountKey = "ecdsa:256"
	}
	a.Issuers = append(a.Issuers, i)
	return nil
}

func setAcmeCertificate(b *builder, f *frame, s *Stmt) error {
	// $acme_certificate names one certificate: one per server.
	if len(f.srvConf.Acme) > 0 {
		return dupErr(s)
	}
	c := &AcmeCert{Issuer: s.Args[0], Key: "ecdsa:256", File: s.File, Line: s.Line}
	for _, a := range s.Args[1:] {
		if v, ok := strings.CutPrefix(a, "key="); ok {
			k, ok := acmeKey(v)
			if !ok {
				return errf(s, "invalid key algorithm %q", v)
			}
			c.Key = k
			continue
		}
		if strings.HasPrefix(a, "~") || strings.Contains(a, "*") {
			return errf(s, "invalid identifier %q", a)
		}
		c.Identifiers = append(c.Identifiers, lower(a))
	}
	f.srvConf.Acme = append(f.srvConf.Acme, c)
	return nil
}

// checkAcmeRefs fills in each acme_certificate's names from its
// server's exact server_names (a CA issues for no wildcard over HTTP-01) and refuses an issuer nobody defined, once
// the whole http block is read (an issuer may come after its server).
func (b *builder) checkAcmeRefs() error {
	h := b.cfg.HTTP
	for _, srv := range h.Servers {
		for _, c := range srv.Srv.Acme {
			if h.Acme.issuer(c.Issuer) == nil {
				return errf(&Stmt{File: c.File, Line: c.Line}, "unknown acme_issuer %q", c.Issuer)
			}
			if len(c.Identifiers) > 0 {
				continue
			}
			for _, n := range srv.Names {
				// ".example.com" names example.com itself too.
				exact := n.Kind == NameExact || (n.Kind == NameWildcardPrefix && n.Dot)
				if exact && n.Name != "" {
					c.Identifiers = append(c.Identifiers, n.Name)
				}
			}
			if len(c.Identifiers) == 0 {
				return errf(&Stmt{File: c.File, Line: c.Line}, "no valid identifiers in \"acme_certificate\"")
			}
		}
	}
	return nil
}

func (a *AcmeHTTP) issuer(name string) *AcmeIssuer {
	for _, i := range a.Issuers {
		if i.Name == name {
			return i
		}
	}
	return nil
}
