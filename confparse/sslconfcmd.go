package confparse

// sslconfcmd.go reads ssl_conf_command and *_ssl_conf_command: OpenSSL
// configuration commands (SSL_CONF_cmd, file form: names without case).
// goproxy's TLS is Go's crypto/tls, so only the commands it can honour
// are taken; the others are refused when the configuration loads,
// naming the command and why, rather than ignored.

import "strings"

// SSLConfCommand is one "ssl_conf_command name value".
type SSLConfCommand struct {
	Name, Value string
}

// confCommandRefused are the OpenSSL commands goproxy knows and cannot
// honour, with the reason given.
var confCommandRefused = map[string]string{
	"signaturealgorithms":       "Go's crypto/tls chooses the signature algorithms itself",
	"clientsignaturealgorithms": "Go's crypto/tls chooses the signature algorithms itself",
	"dhparameters":              "Go's TLS has no DHE key exchange",
	"chaincafile":               "the chain is the one in the ssl_certificate file",
	"chaincapath":               "the chain is the one in the ssl_certificate file",
	"verifycafile":              "use ssl_client_certificate, ssl_trusted_certificate or proxy_ssl_trusted_certificate",
	"verifycapath":              "use ssl_client_certificate, ssl_trusted_certificate or proxy_ssl_trusted_certificate",
	"requestcafile":             "use ssl_client_certificate",
	"clientcafile":              "use ssl_client_certificate",
	"verifymode":                "use ssl_verify_client or proxy_ssl_verify",
	"serverinfofile":            "Go's crypto/tls sends no serverinfo extensions",
	"recordpadding":             "Go's crypto/tls does not pad records",
	"numtickets":                "Go's TLS 1.3 server sends one ticket a handshake",
}

// confCommandNames are the commands goproxy honours.
var confCommandNames = map[string]bool{
	"cipherstring": true, "ciphersuites": true, "curves": true, "groups": true, "ecdhparameters": true,
	"minprotocol": true, "maxprotocol": true, "protocol": true, "options": true,
	"certificate": true, "privatekey": true,
}

// ConfOptions are the values of "Options" goproxy takes, and whether
// each may be set (+) and cleared (-): Go's TLS does some things always
// and others never.
var ConfOptions = map[string][2]bool{
	"serverpreference":            {true, true},
	"sessionticket":               {true, true},
	"prioritizechacha":            {true, false}, // Go always does
	"middleboxcompat":             {true, false}, // Go always does
	"compression":                 {false, true}, // Go never compresses
	"encryptthenmac":              {false, true}, // Go has no encrypt-then-MAC
	"allownodhekex":               {false, true}, // Go always uses (EC)DHE with resumption
	"ktls":                        {false, true},
	"unsafelegacyrenegotiation":   {false, true},
	"unsafelegacyserverconnect":   {false, true},
	"legacyserverconnect":         {false, true},
	"norenegotiation":             {true, true}, // nginx refuses renegotiation either way
	"noresumptiononrenegotiation": {true, true},
	"antireplay":                  {true, true}, // Go's server takes no 0-RTT data
	"ecdhsingle":                  {true, true}, // no effect in OpenSSL 3 either
	"dhsingle":                    {true, true},
}

// confProtocols are the names of MinProtocol, MaxProtocol and Protocol.
var confProtocols = map[string]bool{"None": true, "SSLv3": true, "TLSv1": true, "TLSv1.1": true, "TLSv1.2": true, "TLSv1.3": true}

// TLS13Suites are the TLS 1.3 suites Go offers, always all of them.
var TLS13Suites = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}

// confCommandArg checks one conf command as far as can be without
// loading files.
func confCommandArg(b *builder, s *Stmt) (SSLConfCommand, error) {
	c := SSLConfCommand{Name: s.Args[0], Value: s.Args[1]}
	name := strings.ToLower(c.Name)
	if why, ok := confCommandRefused[name]; ok {
		return c, errf(s, "%s %q is not supported by goproxy (%s)", s.Name, c.Name, why)
	}
	if !confCommandNames[name] {
		return c, errf(s, "SSL_CONF_cmd(%q, %q) failed (unknown cmd name:cmd=%s)", c.Name, c.Value, c.Name)
	}
	bad := func(why string) error {
		return errf(s, "%s \"%s %s\" is not supported by goproxy (%s)", s.Name, c.Name, c.Value, why)
	}
	switch name {
	case "certificate", "privatekey":
		// nginx resolves the file commands' paths as its own.
		c.Value = b.confPath(c.Value)
	case "ciphersuites":
		got := map[string]bool{}
		for _, v := range strings.Split(c.Value, ":") {
			got[v] = true
		}
		if len(got) != len(TLS13Suites) {
			return c, bad("Go's crypto/tls always offers " + strings.Join(TLS13Suites, ":"))
		}
		for _, v := range TLS13Suites {
			if !got[v] {
				return c, bad("Go's crypto/tls always offers " + strings.Join(TLS13Suites, ":"))
			}
		}
	case "minprotocol", "maxprotocol":
		if !confProtocols[c.Value] {
			return c, errf(s, "SSL_CONF_cmd(%q, %q) failed (bad value)", c.Name, c.Value)
		}
		if name == "maxprotocol" && c.Value == "SSLv3" {
			return c, bad("Go's TLS has no SSLv3")
		}
	case "protocol":
		for _, p := range strings.Split(c.Value, ",") {
			p = strings.TrimLeft(strings.TrimSpace(p), "+-")
			if p != "ALL" && p != "SSLv2" && (p == "None" || !confProtocols[p]) {
				return c, errf(s, "SSL_CONF_cmd(%q, %q) failed (bad value)", c.Name, c.Value)
			}
		}
	case "options":
		for _, o := range strings.Split(c.Value, ",") {
			o = strings.TrimSpace(o)
			on := !strings.HasPrefix(o, "-")
			o = strings.TrimLeft(o, "+-")
			ok, known := ConfOptions[strings.ToLower(o)]
			if !known {
				return c, errf(s, "SSL_CONF_cmd(%q, %q) failed (bad value)", c.Name, c.Value)
			}
			if on && !ok[0] {
				return c, bad("Go's crypto/tls never does " + o)
			}
			if !on && !ok[1] {
				return c, bad("Go's crypto/tls always does " + o)
			}
		}
	}
	return c, nil
}

// confCommandDirective is the table row of prefix's conf command
// ("ssl", "proxy_ssl", "uwsgi_ssl"); get finds the level's list.
func confCommandDirective(name string, ctx Ctx, get func(*frame) *[]SSLConfCommand) *Directive {
	return &Directive{Name: name, Ctx: ctx, Args: Args2, set: func(b *builder, f *frame, s *Stmt) error {
		c, err := confCommandArg(b, s)
		if err != nil {
			return err
		}
		l := get(f)
		*l = append(*l, c)
		return nil
	}, Note: "the OpenSSL commands Go's crypto/tls can honour: CipherString, Ciphersuites (Go's three), Curves/Groups, " +
		"MinProtocol, MaxProtocol, Protocol, Certificate, PrivateKey, and Options ServerPreference, SessionTicket and the " +
		"options Go's behaviour already matches; the others are refused by name"}
}
