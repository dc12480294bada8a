package confparse

// mod_http_fastcgi.go: ngx_http_fastcgi_module. The upstream settings
// and fastcgi_param are the table every CGI-like module shares
// (cgiparams.go); this file adds what only FastCGI has.

// FastCGILoc is ngx_http_fastcgi_module's configuration.
type FastCGILoc struct {
	CGIUpstream
	// Index is fastcgi_index, added to $fastcgi_script_name for a URI
	// ending in "/".
	Index *string `json:",omitempty"`
	// SplitPathInfo is fastcgi_split_path_info: its two captures are
	// $fastcgi_script_name and $fastcgi_path_info.
	SplitPathInfo *Regexp `json:",omitempty"`
	// KeepConn asks the application to keep the connection open
	// (FCGI_KEEP_CONN), so that "keepalive" can pool it.
	KeepConn *bool `json:",omitempty"`
	// CatchStderr are the fastcgi_catch_stderr strings: stderr output
	// containing one makes the response an error.
	CatchStderr []string `json:",omitempty"`
}

func fastcgiLoc[T any](get func(*FastCGILoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.FastCGI) })
}

func init() {
	ds := cgiDirectives("fastcgi", "fastcgi", func(l *Loc) *CGIUpstream { return &l.FastCGI.CGIUpstream })
	ds = append(ds,
		&Directive{Name: "fastcgi_index", Ctx: httpMSL, Args: Args1, set: slot(fastcgiLoc(func(p *FastCGILoc) **string { return &p.Index }), strArg)},
		&Directive{Name: "fastcgi_keep_conn", Ctx: httpMSL, Args: ArgsFlag, set: slot(fastcgiLoc(func(p *FastCGILoc) **bool { return &p.KeepConn }), flagArg)},
		&Directive{Name: "fastcgi_split_path_info", Ctx: httpMSL, Args: Args1, set: setSplitPathInfo},
		&Directive{Name: "fastcgi_catch_stderr", Ctx: httpMSL, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			f.loc.FastCGI.CatchStderr = append(f.loc.FastCGI.CatchStderr, s.Args[0])
			return nil
		}},
	)
	register("ngx_http_fastcgi_module", ds...)
}

// setSplitPathInfo compiles fastcgi_split_path_info, which must capture
// the script name and the path info.
func setSplitPathInfo(b *builder, f *frame, s *Stmt) error {
	if f.loc.FastCGI.SplitPathInfo != nil {
		return dupErr(s)
	}
	r, err := b.compileRegex(s, s.Args[0], false)
	if err != nil {
		return err
	}
	if r.NumSubexp() != 2 {
		return errf(s, "pattern \"%s\" must have 2 captures", s.Args[0])
	}
	f.loc.FastCGI.SplitPathInfo = r
	return nil
}
