package confparse

// mod_http_flv.go: ngx_http_flv_module — "flv" makes a location serve
// FLV files from the offset its "start" argument names.

// FlvLoc is the module's configuration.
type FlvLoc struct {
	// On makes the location's content handler the flv one; like every
	// content handler it is not inherited by nested locations.
	On bool `json:",omitempty"`
}

func init() {
	register("ngx_http_flv_module",
		&Directive{Name: "flv", Ctx: CtxLocation, Args: Args0, set: func(b *builder, f *frame, s *Stmt) error {
			f.loc.Flv.On = true
			return nil
		}},
	)
}
