package confparse

// mod_http_ssl.go: ngx_http_ssl_module. TLS settings are per server, as
// in nginx (written in http, they are inherited by servers).

import (
	"path/filepath"
	"strings"
	"time"
)

// SSLSrv is ngx_http_ssl_module's server-level configuration.
type SSLSrv struct {
	// Certificates and Keys pair up by position; several pairs serve
	// several key types (RSA and ECDSA).
	Certificates       []*Template      `json:",omitempty"`
	Keys               []*Template      `json:",omitempty"`
	Protocols          []string         `json:",omitempty"`
	Ciphers            *string          `json:",omitempty"`
	PreferServer       *bool            `json:",omitempty"`
	SessionCache       *string          `json:",omitempty"`
	SessionTimeout     *time.Duration   `json:",omitempty"`
	SessionTickets     *bool            `json:",omitempty"`
	SessionTicketKeys  []string         `json:",omitempty"`
	ECDHCurve          *string          `json:",omitempty"`
	ClientCertificate  *string          `json:",omitempty"`
	TrustedCertificate *string          `json:",omitempty"`
	CRL                *string          `json:",omitempty"`
	Stapling           *bool            `json:",omitempty"`
	StaplingFile       *string          `json:",omitempty"`
	StaplingResponder  *string          `json:",omitempty"`
	StaplingVerify     *bool            `json:",omitempty"`
	OCSP               *string          `json:",omitempty"` // off, on, leaf
	OCSPResponder      *string          `json:",omitempty"`
	OCSPCache          *string          `json:",omitempty"` // off, or shared:NAME:SIZE
	ConfCommands       []SSLConfCommand `json:",omitempty"`
	VerifyClient       *string          `json:",omitempty"` // off, on, optional, optional_no_ca
	VerifyDepth        *int             `json:",omitempty"`
	RejectHandshake    *bool            `json:",omitempty"`
	PasswordFile       *string          `json:",omitempty"`
	On                 *bool            `json:",omitempty"` // the old "ssl on"
	File               string           `json:"-"`          // where ssl_certificate is, for errors
	Line               int              `json:"-"`
}

func sslSrv[T any](get func(*SSLSrv) **T) func(*frame) **T {
	return srv(func(s *SrvConf) **T { return get(&s.SSL) })
}

const noopSSL = "OpenSSL tuning that Go's crypto/tls decides itself"

func init() {
	ctx := CtxHTTP | CtxServer
	register("ngx_http_ssl_module",
		&Directive{Name: "ssl", Ctx: ctx, Args: ArgsFlag, set: func(b *builder, f *frame, s *Stmt) error {
			v, err := parseFlag(s, s.Args[0])
			if err != nil {
				return err
			}
			b.warn(s, "the \"ssl\" directive is deprecated, use the \"listen ... ssl\" directive instead")
			f.srvConf.SSL.On = &v
			return nil
		}},
		&Directive{Name: "ssl_certificate", Ctx: ctx, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			t, err := b.sslPath(s)
			if err != nil {
				return err
			}
			c := &f.srvConf.SSL
			c.Certificates = append(c.Certificates, t)
			c.File, c.Line = s.File, s.Line
			return nil
		}},
		&Directive{Name: "ssl_certificate_key", Ctx: ctx, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			t, err := b.sslPath(s)
			if err != nil {
				return err
			}
			f.srvConf.SSL.Keys = append(f.srvConf.SSL.Keys, t)
			return nil
		}},
		&Directive{Name: "ssl_protocols", Ctx: ctx, Args: Args1More, set: func(b *builder, f *frame, s *Stmt) error {
			c := &f.srvConf.SSL
			if c.Protocols != nil {
				return dupErr(s)
			}
			for _, p := range s.Args {
				if !validTLSProtocol(p) {
					return errf(s, "invalid value %q", p)
				}
			}
			c.Protocols = append([]string{}, s.Args...)
			return nil
		}},
		&Directive{Name: "ssl_ciphers", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.Ciphers }), strArg)},
		&Directive{Name: "ssl_prefer_server_ciphers", Ctx: ctx, Args: ArgsFlag, set: slot(sslSrv(func(c *SSLSrv) **bool { return &c.PreferServer }), flagArg),
			Note: "decides between several certificates (RSA, ECDSA) as OpenSSL does: the client's order when off, the configuration's when on; the TLS 1.2 suite among those of that key is Go's choice"},
		&Directive{Name: "ssl_session_cache", Ctx: ctx, Args: Args12, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.SessionCache }), sessionCacheArg),
			Note: "sessions kept on the server (builtin, shared:NAME:size, about 4000 a megabyte; a shared zone outlives a reload); with ssl_session_tickets off the client gets the session's id as a stateful ticket, since crypto/tls resumes only what a client presents as a ticket"},
		&Directive{Name: "ssl_session_timeout", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **time.Duration { return &c.SessionTimeout }), secArg),
			Note: "bounds the resumption of tickets and cached sessions alike"},
		&Directive{Name: "ssl_session_tickets", Ctx: ctx, Args: ArgsFlag, set: slot(sslSrv(func(c *SSLSrv) **bool { return &c.SessionTickets }), flagArg)},
		&Directive{Name: "ssl_session_ticket_key", Ctx: ctx, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			f.srvConf.SSL.SessionTicketKeys = append(f.srvConf.SSL.SessionTicketKeys, b.confPath(s.Args[0]))
			return nil
		}},
		&Directive{Name: "ssl_ecdh_curve", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.ECDHCurve }), strArg)},
		&Directive{Name: "ssl_client_certificate", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.ClientCertificate }), confFileArg)},
		&Directive{Name: "ssl_trusted_certificate", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.TrustedCertificate }), confFileArg)},
		&Directive{Name: "ssl_crl", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.CRL }), confFileArg)},
		&Directive{Name: "ssl_verify_client", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.VerifyClient }), enumArg("off", "on", "optional", "optional_no_ca"))},
		&Directive{Name: "ssl_verify_depth", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **int { return &c.VerifyDepth }), numArg)},
		&Directive{Name: "ssl_password_file", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.PasswordFile }), confFileArg),
			Note: "for keys in encrypted PEM (\"Proc-Type: 4,ENCRYPTED\") and encrypted PKCS#8 with PBES2 (what OpenSSL 3 writes)"},
		&Directive{Name: "ssl_reject_handshake", Ctx: ctx, Args: ArgsFlag, set: slot(sslSrv(func(c *SSLSrv) **bool { return &c.RejectHandshake }), flagArg)},
		&Directive{Name: "ssl_dhparam", Ctx: ctx, Args: Args1, Status: NoOp, Note: "Go's TLS has no DHE key exchange; ECDHE is used"},
		&Directive{Name: "ssl_stapling", Ctx: ctx, Args: ArgsFlag, set: slot(sslSrv(func(c *SSLSrv) **bool { return &c.Stapling }), flagArg),
			Note: "for the certificates without variables, as in nginx; the response is fetched when a client first asks for one"},
		&Directive{Name: "ssl_stapling_verify", Ctx: ctx, Args: ArgsFlag, set: slot(sslSrv(func(c *SSLSrv) **bool { return &c.StaplingVerify }), flagArg)},
		&Directive{Name: "ssl_stapling_responder", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.StaplingResponder }), strArg)},
		&Directive{Name: "ssl_stapling_file", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.StaplingFile }), confFileArg)},
		confCommandDirective("ssl_conf_command", ctx, func(f *frame) *[]SSLConfCommand { return &f.srvConf.SSL.ConfCommands }),
		&Directive{Name: "ssl_ocsp", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.OCSP }), enumArg("off", "on", "leaf"))},
		&Directive{Name: "ssl_ocsp_responder", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.OCSPResponder }), strArg)},
		&Directive{Name: "ssl_ocsp_cache", Ctx: ctx, Args: Args1, set: slot(sslSrv(func(c *SSLSrv) **string { return &c.OCSPCache }), ocspCacheArg),
			Note: "the cache is the process's: a worker's, as goproxy has one"},
		&Directive{Name: "ssl_buffer_size", Ctx: ctx, Args: Args1, Status: NoOp, set: validateSize, Note: noopSSL},
		&Directive{Name: "ssl_engine", Ctx: CtxMain, Args: Args1, Status: Unsupported,
			Note: "Go's crypto/tls has no OpenSSL engines"},
		&Directive{Name: "ssl_early_data", Ctx: ctx, Args: ArgsFlag, set: func(b *builder, f *frame, s *Stmt) error {
			v, err := parseFlag(s, s.Args[0])
			if err == nil && v {
				return errf(s, "\"ssl_early_data on\" is not supported by goproxy (Go's TLS server has no 0-RTT)")
			}
			return err
		}, Note: "only \"off\": Go's TLS server has no 0-RTT"},
	)
}

// sslPath reads a certificate or key path: a file relative to the
// configuration directory, or "data:..." inline PEM; variables allowed.
func (b *builder) sslPath(s *Stmt) (*Template, error) {
	v := s.Args[0]
	t, err := b.tmpl(s, v)
	if err != nil {
		return nil, err
	}
	if t.IsConst() && !strings.HasPrefix(v, "data:") {
		v = b.confPath(v)
		t = &Template{Raw: v, Parts: []Part{{Lit: v}}}
	}
	return t, nil
}

// sslPathArg is sslPath for a slot.
func sslPathArg(b *builder, s *Stmt) (Template, error) {
	t, err := b.sslPath(s)
	if err != nil {
		return Template{}, err
	}
	return *t, nil
}

// FullName resolves a certificate or key path evaluated at run time as
// nginx's ngx_get_full_name does: relative to the configuration
// directory dir, "data:" and absolute paths as they are.
func FullName(dir, p string) string {
	if p == "" || strings.HasPrefix(p, "data:") || filepath.IsAbs(p) {
		return p
	}
	return dir + p
}

func sessionCacheArg(b *builder, s *Stmt) (string, error) {
	for _, a := range s.Args {
		switch {
		case a == "off", a == "none", a == "builtin", strings.HasPrefix(a, "builtin:"):
		case strings.HasPrefix(a, "shared:") && strings.Contains(a[7:], ":"):
			_, size, _ := strings.Cut(a[7:], ":")
			if _, ok := ParseSize(size); !ok {
				return "", errf(s, "invalid session cache %q", a)
			}
		default:
			return "", errf(s, "invalid session cache %q", a)
		}
	}
	return strings.Join(s.Args, " "), nil
}

// ocspCacheArg reads "ssl_ocsp_cache off | [shared:]name:size".
func ocspCacheArg(b *builder, s *Stmt) (string, error) {
	a := s.Args[0]
	if a == "off" {
		return a, nil
	}
	rest, _ := strings.CutPrefix(a, "shared:")
	name, size, ok := strings.Cut(rest, ":")
	if !ok || name == "" {
		return "", errf(s, "invalid OCSP cache %q", a)
	}
	if n, ok := ParseSize(size); !ok || n == 0 {
		return "", errf(s, "invalid OCSP cache %q", a)
	}
	return a, nil
}
