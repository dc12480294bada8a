package confparse

// mod_http_ssi.go: ngx_http_ssi_module — server side includes in
// responses of the ssi_types types.

// SSILoc is the module's configuration.
type SSILoc struct {
	On           *bool    `json:",omitempty"` // ssi
	SilentErrors *bool    `json:",omitempty"` // ssi_silent_errors: no errmsg text
	Types        []string `json:",omitempty"` // ssi_types besides text/html; "*" any
	// ValueLength bounds a command parameter's value (ssi_value_length).
	ValueLength  *int64 `json:",omitempty"`
	LastModified *bool  `json:",omitempty"` // ssi_last_modified: keep Last-Modified, weaken ETag
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
		&Directive{Name: "ssi_min_file_chunk", Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize,
			Note: "nginx's threshold for sending a file part without copying it; goproxy's parser passes on what it reads"},
		&Directive{Name: "ssi_last_modified", Ctx: httpMSL, Args: ArgsFlag, set: slot(ssiLoc(func(c *SSILoc) **bool { return &c.LastModified }), flagArg)},
		&Directive{Name: "ssi_ignore_recycled_buffers", Ctx: httpMSL, Args: ArgsFlag, Status: NoOp, set: validateFlag,
			Note: "about nginx's reuse of upstream buffers, which goproxy does not have"},
	)
}
