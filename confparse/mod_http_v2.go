package confparse

// mod_http_v2.go: ngx_http_v2_module. HTTP/2 is switched on per address
// by "listen ... http2" (nginx 1.22) or per server by "http2 on" (the
// syntax of nginx 1.25.1 and later, accepted by goproxy as an extension:
// the reference nginx 1.22 calls it unknown). The directives nginx 1.19.7
// made obsolete are accepted with nginx's warning and ignored, as there:
// keepalive_timeout, keepalive_requests, client_header_timeout and
// large_client_header_buffers govern HTTP/2 connections instead.

// HTTP2Srv is ngx_http_v2_module's server-level configuration.
type HTTP2Srv struct {
	// On is "http2 on": HTTP/2 for this server by ALPN on its TLS
	// addresses, and by the connection preface on its plain ones.
	On *bool `json:",omitempty"`
	// MaxConcurrentStreams is http2_max_concurrent_streams.
	MaxConcurrentStreams *int `json:",omitempty"`
	// PrereadSize is http2_body_preread_size: the initial stream window.
	PrereadSize *int64 `json:",omitempty"`
}

// HTTP2Loc is ngx_http_v2_module's location-level configuration.
type HTTP2Loc struct {
	// ChunkSize is http2_chunk_size: the largest DATA frame of an
	// answer (the client's SETTINGS_MAX_FRAME_SIZE bounds it too).
	ChunkSize *int64 `json:",omitempty"`
}

func http2Srv[T any](get func(*HTTP2Srv) **T) func(*frame) **T {
	return srv(func(s *SrvConf) **T { return get(&s.HTTP2) })
}

const noopH2 = "Go's HTTP/2 server sizes its own buffers and tables"

// obsoleteH2 makes a directive nginx 1.19.7 retired: accepted with
// nginx's warning, no effect.
func obsoleteH2(name, instead string, ctx Ctx) *Directive {
	return &Directive{Name: name, Ctx: ctx, Args: Args1, Status: NoOp,
		Note: "obsolete since nginx 1.19.7 (warns as nginx does): `" + instead + "` applies to HTTP/2",
		set: func(b *builder, f *frame, s *Stmt) error {
			b.warn(s, "the %q directive is obsolete, use the %q directive instead", s.Name, instead)
			return nil
		}}
}

func init() {
	hs := CtxHTTP | CtxServer
	register("ngx_http_v2_module",
		&Directive{Name: "http2", Ctx: hs, Args: ArgsFlag, set: slot(http2Srv(func(c *HTTP2Srv) **bool { return &c.On }), flagArg),
			Note: "nginx 1.25.1 syntax, a goproxy extension next to nginx 1.22's `listen ... http2`: HTTP/2 by ALPN for the server's TLS names, and on its plain-HTTP addresses for clients that open with the HTTP/2 preface (HTTP/1.x still served)"},
		&Directive{Name: "http2_max_concurrent_streams", Ctx: hs, Args: Args1, set: slot(http2Srv(func(c *HTTP2Srv) **int { return &c.MaxConcurrentStreams }), numArg),
			Note: "announced in SETTINGS and enforced, as in nginx"},
		&Directive{Name: "http2_body_preread_size", Ctx: hs, Args: Args1, set: slot(http2Srv(func(c *HTTP2Srv) **int64 { return &c.PrereadSize }), sizeArg),
			Note: "the initial stream window advertised, as in nginx"},
		&Directive{Name: "http2_recv_buffer_size", Ctx: CtxHTTP, Args: Args1, Status: NoOp, Note: noopH2,
			set: func(b *builder, f *frame, s *Stmt) error {
				n, err := sizeArg(b, s)
				if err == nil && n <= 32 {
					return errf(s, "%q directive value is too small", s.Name)
				}
				return err
			}},
		&Directive{Name: "http2_chunk_size", Ctx: httpMSL, Args: Args1, Note: "the largest DATA frame of an answer, as in nginx",
			set: slot(loc(func(l *Loc) **int64 { return &l.HTTP2.ChunkSize }), func(b *builder, s *Stmt) (int64, error) {
				n, err := sizeArg(b, s)
				if err == nil && n == 0 {
					return 0, errf(s, "the http2 chunk size cannot be zero")
				}
				return n, err
			})},
		&Directive{Name: "http2_pool_size", Ctx: hs, Args: Args1, Status: NoOp, Note: noopH2,
			set: validatePoolSize},
		&Directive{Name: "http2_streams_index_size", Ctx: hs, Args: Args1, Status: NoOp, Note: noopH2,
			set: func(b *builder, f *frame, s *Stmt) error {
				n, err := numArg(b, s)
				if err == nil && n&(n-1) != 0 {
					return errf(s, "%q directive must be a power of two", s.Name)
				}
				return err
			}},
		&Directive{Name: "http2_max_concurrent_pushes", Ctx: hs, Args: Args1, Status: NoOp, set: validateNum,
			Note: "goproxy never pushes (server push left browsers and nginx 1.25.1)"},
		&Directive{Name: "http2_push", Ctx: httpMSL, Args: Args1, Status: NoOp,
			Note: "goproxy never pushes (server push left browsers and nginx 1.25.1): clients fetch the resources themselves"},
		&Directive{Name: "http2_push_preload", Ctx: httpMSL, Args: ArgsFlag, Status: NoOp, set: validateFlag,
			Note: "goproxy never pushes (server push left browsers and nginx 1.25.1): clients fetch the resources themselves"},
		obsoleteH2("http2_idle_timeout", "keepalive_timeout", hs),
		obsoleteH2("http2_recv_timeout", "client_header_timeout", hs),
		obsoleteH2("http2_max_requests", "keepalive_requests", hs),
		obsoleteH2("http2_max_field_size", "large_client_header_buffers", hs),
		obsoleteH2("http2_max_header_size", "large_client_header_buffers", hs),
	)
}
