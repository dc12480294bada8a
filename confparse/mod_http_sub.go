package confparse

// mod_http_sub.go: ngx_http_sub_module — strings replaced in a
// response's body.

// SubLoc is the module's configuration.
type SubLoc struct {
	// Pairs are the level's sub_filter lines in order; an inner level
	// with any replaces the outer list entirely, as in nginx.
	Pairs        []*SubPair `json:",omitempty"`
	Once         *bool      `json:",omitempty"`
	LastModified *bool      `json:",omitempty"`
	Types        []string   `json:",omitempty"` // sub_filter_types besides text/html; "*" any
}

// SubPair is one sub_filter: the string to find (case aside) and its
// replacement. A Match without variables is lower-cased here, as nginx
// does when it reads it; one with variables is lower-cased per request.
type SubPair struct {
	Match *Template
	Value *Template
}

func subLoc[T any](get func(*SubLoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.Sub) })
}

func init() {
	register("ngx_http_sub_module",
		&Directive{Name: "sub_filter", Ctx: httpMSL, Args: Args2, set: setSubFilter},
		&Directive{Name: "sub_filter_once", Ctx: httpMSL, Args: ArgsFlag, set: slot(subLoc(func(s *SubLoc) **bool { return &s.Once }), flagArg)},
		&Directive{Name: "sub_filter_last_modified", Ctx: httpMSL, Args: ArgsFlag, set: slot(subLoc(func(s *SubLoc) **bool { return &s.LastModified }), flagArg)},
		&Directive{Name: "sub_filter_types", Ctx: httpMSL, Args: Args1More, set: typesSlot(func(l *Loc) *[]string { return &l.Sub.Types })},
	)
}

func setSubFilter(b *builder, f *frame, s *Stmt) error {
	if s.Args[0] == "" {
		return errf(s, "empty search pattern")
	}
	m, err := b.tmpl(s, s.Args[0])
	if err != nil {
		return err
	}
	if m.IsConst() {
		lit := ""
		for _, p := range m.Parts {
			lit += p.Lit
		}
		m = &Template{Raw: lower(m.Raw), Parts: []Part{{Lit: lower(lit)}}}
	}
	v, err := b.tmpl(s, s.Args[1])
	if err != nil {
		return err
	}
	f.loc.Sub.Pairs = append(f.loc.Sub.Pairs, &SubPair{Match: m, Value: v})
	return nil
}
