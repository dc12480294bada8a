package confparse

// mod_goproxy.go: goproxy's own directives, for what nginx has no
// directive for. Their names start with "goproxy_" so they never clash
// with nginx's.

// GoproxyLoc is goproxy's location-level configuration.
type GoproxyLoc struct {
	// Metrics makes the location serve Prometheus metrics.
	Metrics bool `json:",omitempty"`
}

func init() {
	register("goproxy",
		&Directive{Name: "goproxy_log_format", Ctx: CtxMain, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			switch s.Args[0] {
			case "json":
				f.main.LogJSON = true
			case "nginx":
				f.main.LogJSON = false
			default:
				return errf(s, "invalid value %q in %q directive, it must be \"nginx\" or \"json\"", s.Args[0], s.Name)
			}
			return nil
		}, Note: "goproxy only: \"json\" writes error and access logs as JSON objects with typed fields (zap); \"nginx\", the default, nginx's text formats"},
		&Directive{Name: "goproxy_metrics", Ctx: CtxLocation, Args: Args0, set: func(b *builder, f *frame, s *Stmt) error {
			f.loc.Goproxy.Metrics = true
			return nil
		}, Note: "goproxy only: the location serves Prometheus metrics (protect it with allow/deny)"},
	)
}
