package confparse

// mod_http_uwsgi.go: ngx_http_uwsgi_module, the settings every CGI-like
// module shares (cgiparams.go) under uwsgi_*, and the packet's two
// modifiers; uwsgi_ssl_* are upstreamssl.go's.

// UWSGILoc is ngx_http_uwsgi_module's configuration.
type UWSGILoc struct {
	CGIUpstream
	// Modifier1 and Modifier2 go in the uwsgi packet's header; they
	// select the application's request handler (0: WSGI).
	Modifier1 *int `json:",omitempty"`
	Modifier2 *int `json:",omitempty"`
	// String is uwsgi_string (undocumented in nginx): bytes sent as
	// they are after the vars, counted in the packet's size.
	String *string `json:",omitempty"`
	// UpstreamSSL is uwsgi_ssl_*, for suwsgi:// (uwsgi over TLS).
	UpstreamSSL
}

func uwsgiLoc[T any](get func(*UWSGILoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.UWSGI) })
}

// modifierArg is a uwsgi modifier: one byte.
func modifierArg(b *builder, s *Stmt) (int, error) {
	n, err := numArg(b, s)
	if err == nil && n > 255 {
		return 0, invalidValue(s)
	}
	return n, err
}

func init() {
	ds := cgiDirectives("uwsgi", "uwsgi", func(l *Loc) *CGIUpstream { return &l.UWSGI.CGIUpstream })
	ds = append(ds,
		&Directive{Name: "uwsgi_modifier1", Ctx: httpMSL, Args: Args1, set: slot(uwsgiLoc(func(p *UWSGILoc) **int { return &p.Modifier1 }), modifierArg)},
		&Directive{Name: "uwsgi_modifier2", Ctx: httpMSL, Args: Args1, set: slot(uwsgiLoc(func(p *UWSGILoc) **int { return &p.Modifier2 }), modifierArg)},
		&Directive{Name: "uwsgi_string", Ctx: httpMSL, Args: Args1, set: slot(uwsgiLoc(func(p *UWSGILoc) **string { return &p.String }), strArg)},
	)
	ds = append(ds, upstreamSSLDirectives("uwsgi", func(l *Loc) *UpstreamSSL { return &l.UWSGI.UpstreamSSL })...)
	register("ngx_http_uwsgi_module", ds...)
}
