package confparse

// mod_http_addition.go: ngx_http_addition_module — the output of a
// subrequest added before or after a response's body.

// AdditionLoc is the module's configuration.
type AdditionLoc struct {
	Before *string  `json:",omitempty"` // add_before_body's URI; "" none
	After  *string  `json:",omitempty"` // add_after_body's URI; "" none
	Types  []string `json:",omitempty"` // addition_types besides text/html; "*" any
}

func additionLoc(get func(*AdditionLoc) **string) func(*frame) **string {
	return loc(func(l *Loc) **string { return get(&l.Addition) })
}

func init() {
	register("ngx_http_addition_module",
		&Directive{Name: "add_before_body", Ctx: httpMSL, Args: Args1, set: slot(additionLoc(func(a *AdditionLoc) **string { return &a.Before }), strArg)},
		&Directive{Name: "add_after_body", Ctx: httpMSL, Args: Args1, set: slot(additionLoc(func(a *AdditionLoc) **string { return &a.After }), strArg)},
		&Directive{Name: "addition_types", Ctx: httpMSL, Args: Args1More, set: typesSlot(func(l *Loc) *[]string { return &l.Addition.Types })},
	)
}
