package confparse

// mod_http_mirror.go: ngx_http_mirror_module — background subrequests
// that copy the client's request to other URIs, their responses dropped.

// MirrorLoc is the module's configuration.
type MirrorLoc struct {
	// URIs are the level's mirror URIs; empty is "mirror off" (or none).
	URIs []string `json:",omitempty"`
	// RequestBody (mirror_request_body) reads the client's body before
	// the mirrors start, so they send it too.
	RequestBody *bool `json:",omitempty"`
}

func init() {
	register("ngx_http_mirror_module",
		&Directive{Name: "mirror", Ctx: httpMSL, Args: Args1, set: setMirror,
			Note: "a location's mirrors run one after the other, beside the main request; over HTTP/2 the stream ends once they are done"},
		&Directive{Name: "mirror_request_body", Ctx: httpMSL, Args: ArgsFlag,
			set: slot(loc(func(l *Loc) **bool { return &l.Mirror.RequestBody }), flagArg)},
	)
}

// setMirror adds a URI to the level's list; "off" stands alone in its
// level, as nginx refuses it beside a URI either way round.
func setMirror(b *builder, f *frame, s *Stmt) error {
	m := &f.loc.Mirror
	if s.Args[0] == "off" {
		if m.URIs != nil {
			return dupErr(s)
		}
		m.URIs = []string{}
		return nil
	}
	if m.URIs != nil && len(m.URIs) == 0 {
		return dupErr(s)
	}
	m.URIs = append(m.URIs, s.Args[0])
	return nil
}
