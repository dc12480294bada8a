package confparse

// mod_http_ssi.go: ngx_http_ssi_module — server side includes in
// responses of the ssi_types types.

// SSILoc is the module's configuration.
type SSILoc struct {
	On           *bool    `json:",omitempty"` // ssi
	SilentErrors *bool    `json:",omitempty"` // ssi_silent_errors: no errmsg text
	Types        []string `json:",omitempty"` // ssi_types besides text/html; "*" any
	// ValueLength bounds a command parameter's value (ssi_value_length).
	ValueLength *int64 `json:",omitempty"`
	// MinFileChunk is nginx's threshold for sending a file part
	// without copying (ssi_min_file_chunk); read, but a copy is what
	// goproxy's parser always makes.
	MinFileChunk *int64 `json:",omitempty"`
	LastModified *bool  `json:",omitempty"` // ssi_last_modified: keep Last-Modified, weaken ETag
	// IgnoreRecycled is ssi_ignore_recycled_buffers, about nginx's
	// buffer reuse; goproxy's parser copies what it keeps.
	IgnoreRecycled *bool `json:",omitempty"`
}

func ssiLoc[T any](get func(*SSILoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.SSI) })
}

func init() {
	register("ngx_http_ssi_module",
		&Directive{Name: "ssi", Ctx: httpMSL | CtxIfLocation, Args: ArgsFlag, set: slot(ssiLoc(func(c *SSILoc) **bool { return &c.On }), flagArg)},
		&Directive{Name: "ssi_silent_errors", Ctx: httpMSL, Args: ArgsFlag, set: slot(ssiLoc(func(c *SSILoc) **bool { return &c.SilentErrors }), flagArg)},
		&Directive{Name: "ssi_types", Ctx: httpMSL, Args: Args1More, set: typesSlot(func(l *Loc) *[]string { return &l.SSI.Types })},
		&Directive{Name: "ssi_value_length", Ctx: httpMSL, Args: Args1, set: slot(ssiLoc(func(c *SSILoc) **int64 { return &c.ValueLength }), sizeArg)},
		&Directive{Name: "ssi_min_file_chunk", Ctx: httpMSL, Args: Args1, set: slot(ssiLoc(func(c *SSILoc) **int64 { return &c.MinFileChunk }), sizeArg),
			Note: "accepted; goproxy's parser copies file parts whatever their size"},
		&Directive{Name: "ssi_last_modified", Ctx: httpMSL, Args: ArgsFlag, set: slot(ssiLoc(func(c *SSILoc) **bool { return &c.LastModified }), flagArg)},
		&Directive{Name: "ssi_ignore_recycled_buffers", Ctx: httpMSL, Args: ArgsFlag, set: slot(ssiLoc(func(c *SSILoc) **bool { return &c.IgnoreRecycled }), flagArg),
			Note: "accepted; about nginx's buffer reuse, which goproxy's parser does not share"},
	)
}
