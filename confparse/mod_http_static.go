package confparse

// mod_http_static.go: the modules that serve files — ngx_http_index_module
// and ngx_http_autoindex_module (ngx_http_static_module has no directives).

// IndexLoc is ngx_http_index_module's configuration.
type IndexLoc struct {
	Files []*Template `json:",omitempty"`
}

// AutoindexLoc is ngx_http_autoindex_module's configuration.
type AutoindexLoc struct {
	On        *bool   `json:",omitempty"`
	Format    *string `json:",omitempty"`
	ExactSize *bool   `json:",omitempty"`
	Localtime *bool   `json:",omitempty"`
}

func autoindexLoc[T any](get func(*AutoindexLoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.Autoindex) })
}

func init() {
	register("ngx_http_index_module",
		&Directive{Name: "index", Ctx: httpMSL, Args: Args1More, set: setIndex},
	)
	register("ngx_http_autoindex_module",
		&Directive{Name: "autoindex", Ctx: httpMSL, Args: ArgsFlag, set: slot(autoindexLoc(func(a *AutoindexLoc) **bool { return &a.On }), flagArg)},
		&Directive{Name: "autoindex_format", Ctx: httpMSL, Args: Args1, set: slot(autoindexLoc(func(a *AutoindexLoc) **string { return &a.Format }), enumArg("html", "xml", "json", "jsonp"))},
		&Directive{Name: "autoindex_exact_size", Ctx: httpMSL, Args: ArgsFlag, set: slot(autoindexLoc(func(a *AutoindexLoc) **bool { return &a.ExactSize }), flagArg)},
		&Directive{Name: "autoindex_localtime", Ctx: httpMSL, Args: ArgsFlag, set: slot(autoindexLoc(func(a *AutoindexLoc) **bool { return &a.Localtime }), flagArg)},
	)
}

// setIndex appends to the level's list: several "index" lines add up, as
// in nginx. An absolute name may only come last.
func setIndex(b *builder, f *frame, s *Stmt) error {
	for i, a := range s.Args {
		if a == "" {
			return errf(s, "index %q in \"index\" directive is invalid", a)
		}
		if a[0] == '/' && i != len(s.Args)-1 {
			b.warn(s, "only the last index in \"index\" directive should be absolute")
		}
		t, err := b.tmpl(s, a)
		if err != nil {
			return err
		}
		f.loc.Index.Files = append(f.loc.Index.Files, t)
	}
	return nil
}
