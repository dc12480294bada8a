package confparse

// upstreamssl.go: the settings of TLS to an upstream, which nginx gives
// ngx_http_proxy_module (proxy_ssl_*, for https://) and
// ngx_http_uwsgi_module (uwsgi_ssl_*, for suwsgi://) under their own
// prefixes. One struct and one directive table serve both, so the two
// cannot drift apart.

import "fmt"

// UpstreamSSL is the *_ssl_* settings of a location.
type UpstreamSSL struct {
	SSLVerify         *bool            `json:",omitempty"`
	SSLServerName     *bool            `json:",omitempty"`
	SSLName           *Template        `json:",omitempty"`
	SSLTrusted        *string          `json:",omitempty"`
	SSLCRL            *string          `json:",omitempty"`
	SSLCertificate    *Template        `json:",omitempty"`
	SSLCertificateKey *Template        `json:",omitempty"`
	SSLPasswordFile   *string          `json:",omitempty"`
	SSLCiphers        *string          `json:",omitempty"`
	SSLProtocols      []string         `json:",omitempty"`
	SSLVerifyDepth    *int             `json:",omitempty"`
	SSLSessionReuse   *bool            `json:",omitempty"`
	SSLConfCommands   []SSLConfCommand `json:",omitempty"`
}

// upstreamSSLDefaults are nginx's defaults of *_ssl_*.
func upstreamSSLDefaults() UpstreamSSL {
	return UpstreamSSL{
		SSLVerify:       ptr(false),
		SSLServerName:   ptr(false),
		SSLVerifyDepth:  ptr(1),
		SSLSessionReuse: ptr(true),
		SSLCiphers:      ptr("DEFAULT"),
		SSLProtocols:    []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"},
	}
}

// upstreamSSLDirectives is the table of *_ssl_* named with the module's
// prefix ("proxy", "uwsgi").
func upstreamSSLDirectives(prefix string, get func(*Loc) *UpstreamSSL) []*Directive {
	flag := func(pick func(*UpstreamSSL) **bool) setFunc {
		return slot(loc(func(l *Loc) **bool { return pick(get(l)) }), flagArg)
	}
	file := func(pick func(*UpstreamSSL) **string) setFunc {
		return slot(loc(func(l *Loc) **string { return pick(get(l)) }), confFileArg)
	}
	path := func(pick func(*UpstreamSSL) **Template) setFunc {
		return slot(loc(func(l *Loc) **Template { return pick(get(l)) }), sslPathArg)
	}
	n := prefix + "_ssl_"
	return []*Directive{
		{Name: n + "verify", Ctx: httpMSL, Args: ArgsFlag, set: flag(func(u *UpstreamSSL) **bool { return &u.SSLVerify })},
		{Name: n + "server_name", Ctx: httpMSL, Args: ArgsFlag, set: flag(func(u *UpstreamSSL) **bool { return &u.SSLServerName })},
		{Name: n + "session_reuse", Ctx: httpMSL, Args: ArgsFlag, set: flag(func(u *UpstreamSSL) **bool { return &u.SSLSessionReuse })},
		{Name: n + "name", Ctx: httpMSL, Args: Args1, set: slot(loc(func(l *Loc) **Template { return &get(l).SSLName }), tmplArg)},
		{Name: n + "trusted_certificate", Ctx: httpMSL, Args: Args1, set: file(func(u *UpstreamSSL) **string { return &u.SSLTrusted })},
		confCommandDirective(n+"conf_command", httpMSL, func(f *frame) *[]SSLConfCommand { return &get(f.loc).SSLConfCommands }),
		{Name: n + "crl", Ctx: httpMSL, Args: Args1, set: file(func(u *UpstreamSSL) **string { return &u.SSLCRL })},
		{Name: n + "password_file", Ctx: httpMSL, Args: Args1, set: file(func(u *UpstreamSSL) **string { return &u.SSLPasswordFile })},
		{Name: n + "certificate", Ctx: httpMSL, Args: Args1, set: path(func(u *UpstreamSSL) **Template { return &u.SSLCertificate })},
		{Name: n + "certificate_key", Ctx: httpMSL, Args: Args1, set: path(func(u *UpstreamSSL) **Template { return &u.SSLCertificateKey })},
		{Name: n + "verify_depth", Ctx: httpMSL, Args: Args1, set: slot(loc(func(l *Loc) **int { return &get(l).SSLVerifyDepth }), numArg)},
		{Name: n + "ciphers", Ctx: httpMSL, Args: Args1, set: slot(loc(func(l *Loc) **string { return &get(l).SSLCiphers }), strArg),
			Note: "OpenSSL cipher names select Go's suites for TLS 1.2 and below; TLS 1.3's suites are Go's"},
		{Name: n + "protocols", Ctx: httpMSL, Args: Args1More, set: func(b *builder, f *frame, s *Stmt) error {
			u := get(f.loc)
			if u.SSLProtocols != nil {
				return dupErr(s)
			}
			for _, p := range s.Args {
				if !validTLSProtocol(p) {
					return errf(s, "invalid value %q", p)
				}
			}
			u.SSLProtocols = s.Args
			return nil
		}},
	}
}

// checkUpstreamSSL is nginx's check of *_ssl_* where the pass may speak
// TLS (https:// or suwsgi://, or a URL with variables): a certificate
// needs its key, verification needs trusted certificates (nginx never
// falls back on the system's CA store). nginx finds these while merging,
// and names no file or line.
func checkUpstreamSSL(prefix string, u *UpstreamSSL) error {
	if u.SSLCertificate != nil && u.SSLCertificate.Raw != "" && u.SSLCertificateKey == nil {
		return &Diag{Level: LevelEmerg, Msg: fmt.Sprintf("no \"%s_ssl_certificate_key\" is defined for certificate %q", prefix, u.SSLCertificate.Raw)}
	}
	if u.SSLVerify != nil && *u.SSLVerify && u.SSLTrusted == nil {
		return &Diag{Level: LevelEmerg, Msg: fmt.Sprintf("no %s_ssl_trusted_certificate for %s_ssl_verify", prefix, prefix)}
	}
	return nil
}
