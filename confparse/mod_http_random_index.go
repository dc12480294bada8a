package confparse

// mod_http_random_index.go: ngx_http_random_index_module — a URI ending
// in "/" is answered by a file of the directory picked at random.

// RandomIndexLoc is the module's configuration.
type RandomIndexLoc struct {
	On *bool `json:",omitempty"`
}

func init() {
	register("ngx_http_random_index_module",
		&Directive{Name: "random_index", Ctx: CtxLocation, Args: ArgsFlag,
			set: slot(loc(func(l *Loc) **bool { return &l.RandomIndex.On }), flagArg)},
	)
}
