package confparse

// mod_http_empty_gif.go: ngx_http_empty_gif_module — a location that
// answers with a 1x1 transparent GIF.

// EmptyGifLoc is the module's configuration.
type EmptyGifLoc struct {
	// On makes the GIF the location's content; like every content
	// handler it is not inherited by nested locations.
	On bool `json:",omitempty"`
}

func init() {
	register("ngx_http_empty_gif_module",
		&Directive{Name: "empty_gif", Ctx: CtxLocation, Args: Args0, set: func(b *builder, f *frame, s *Stmt) error {
			f.loc.EmptyGif.On = true
			return nil
		}},
	)
}
