package confparse

// mod_http_scgi.go: ngx_http_scgi_module, the settings every CGI-like
// module shares (cgiparams.go) under scgi_*.

// SCGILoc is ngx_http_scgi_module's configuration.
type SCGILoc struct {
	CGIUpstream
}

func init() {
	register("ngx_http_scgi_module", cgiDirectives("scgi", "scgi", func(l *Loc) *CGIUpstream { return &l.SCGI.CGIUpstream })...)
}
