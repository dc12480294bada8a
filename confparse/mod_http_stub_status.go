package confparse

// mod_http_stub_status.go: ngx_http_stub_status_module — the basic
// status page and the $connections_* variables.

// StatusLoc is ngx_http_stub_status_module's configuration.
type StatusLoc struct {
	// StubStatus makes the location serve the status page; like every
	// content handler it is not inherited by nested locations.
	StubStatus bool `json:",omitempty"`
}

func init() {
	register("ngx_http_stub_status_module",
		// nginx still accepts (and ignores) the old "stub_status on".
		&Directive{Name: "stub_status", Ctx: httpSL, Args: Args0 | Args1, set: func(b *builder, f *frame, s *Stmt) error {
			f.loc.Status.StubStatus = true
			return nil
		}, Note: "HTTP/2 streams are not counted as requests, and an upgraded (WebSocket) connection stops counting as active when it is handed over"},
	)
}
