package confparse

// mod_http_mp4.go: ngx_http_mp4_module — "mp4" makes a location serve
// MP4 files cut to the "start" and "end" arguments (seconds), the index
// (moov) rewritten and moved before the media data.

// Mp4Loc is the module's configuration.
type Mp4Loc struct {
	// On makes the location's content handler the mp4 one; like every
	// content handler it is not inherited by nested locations.
	On bool `json:",omitempty"`
	// BufferSize is the first read of a file, where the index is
	// looked for; MaxBufferSize bounds the index a request may read.
	BufferSize    *int64 `json:",omitempty"`
	MaxBufferSize *int64 `json:",omitempty"`
	// StartKeyFrame keeps the samples from the key frame before
	// "start" and hides them with an edit list (1.21.4).
	StartKeyFrame *bool `json:",omitempty"`
}

func mp4Loc[T any](get func(*Mp4Loc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.Mp4) })
}

func init() {
	register("ngx_http_mp4_module",
		&Directive{Name: "mp4", Ctx: CtxLocation, Args: Args0, set: func(b *builder, f *frame, s *Stmt) error {
			f.loc.Mp4.On = true
			return nil
		}},
		&Directive{Name: "mp4_buffer_size", Ctx: httpMSL, Args: Args1, set: slot(mp4Loc(func(m *Mp4Loc) **int64 { return &m.BufferSize }), sizeArg)},
		&Directive{Name: "mp4_max_buffer_size", Ctx: httpMSL, Args: Args1, set: slot(mp4Loc(func(m *Mp4Loc) **int64 { return &m.MaxBufferSize }), sizeArg)},
		&Directive{Name: "mp4_start_key_frame", Ctx: httpMSL, Args: ArgsFlag, set: slot(mp4Loc(func(m *Mp4Loc) **bool { return &m.StartKeyFrame }), flagArg)},
	)
}
