package confparse

// mod_stream_upstream.go: ngx_stream_upstream_module and its balancers.
// The upstream block and its server lines are the http module's (same
// parameters, same checks); only the context differs.

func init() {
	register("ngx_stream_upstream_module",
		&Directive{Name: "upstream", Ctx: CtxStream, Args: Args1, Block: true, set: setStreamUpstream},
		&Directive{Name: "server", Ctx: CtxStreamUpstream, Args: Args1More, set: setStreamUpstreamServer},
		&Directive{Name: "hash", Ctx: CtxStreamUpstream, Args: Args12, set: setBalance},
		&Directive{Name: "least_conn", Ctx: CtxStreamUpstream, Args: Args0, set: setBalance},
		&Directive{Name: "random", Ctx: CtxStreamUpstream, Args: Args0 | Args12, set: setBalance},
		&Directive{Name: "zone", Ctx: CtxStreamUpstream, Args: Args12, Status: NoOp, set: setStreamUpstreamZone,
			Note: "goproxy is one process: upstream state is always shared"},
	)
}

func setStreamUpstream(b *builder, f *frame, s *Stmt) error {
	return upstreamBlock(b, f, s, &f.stream.Upstreams, CtxStreamUpstream)
}

// setStreamUpstreamServer is http's server line, except that stream has
// no default port: nginx wants one.
func setStreamUpstreamServer(b *builder, f *frame, s *Stmt) error {
	if a := s.Args[0]; len(a) < 5 || a[:5] != "unix:" {
		if _, _, ok := splitHostPort(a); !ok {
			return errf(s, "no port in upstream %q", a)
		}
	}
	return setUpstreamServer(b, f, s)
}

func setStreamUpstreamZone(b *builder, f *frame, s *Stmt) error {
	var other []*Upstream
	if b.cfg.HTTP != nil {
		other = b.cfg.HTTP.Upstreams
	}
	return upstreamZone(f.ups, f.stream.Upstreams, other, s)
}
