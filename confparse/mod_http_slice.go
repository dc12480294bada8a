package confparse

// mod_http_slice.go: ngx_http_slice_module — a big upstream response
// fetched (and cached) in slices of a fixed size, $slice_range naming
// each one's range.

// SliceLoc is the module's configuration.
type SliceLoc struct {
	// Size is the slice size; 0 (the default) does not slice.
	Size *int64 `json:",omitempty"`
}

func init() {
	register("ngx_http_slice_module",
		&Directive{Name: "slice", Ctx: httpMSL, Args: Args1,
			set: slot(loc(func(l *Loc) **int64 { return &l.Slice.Size }), sizeArg)},
	)
}
