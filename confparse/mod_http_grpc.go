package confparse

// mod_http_grpc.go: ngx_http_grpc_module. Its upstream settings are the
// ones the CGI family shares (cgiparams.go) under grpc_*, less those
// nginx hardcodes for gRPC (no buffering either way, headers and body
// always passed); headers are set as proxy_set_header sets them, and
// grpc_ssl_* are upstreamssl.go's.

// GRPCLoc is ngx_http_grpc_module's configuration.
type GRPCLoc struct {
	CGIUpstream
	// SetHeaders is the level's grpc_set_header list; an inner list
	// replaces the outer one.
	SetHeaders []*HeaderTmpl `json:",omitempty"`
	// UpstreamSSL is grpc_ssl_*, for grpcs://.
	UpstreamSSL
}

// grpcShared are the CGI-family directives nginx gives the gRPC module
// too; the others (buffering, params, cache, temp files) it has not.
var grpcShared = map[string]bool{"grpc_pass": true, "grpc_connect_timeout": true, "grpc_read_timeout": true,
	"grpc_send_timeout": true, "grpc_intercept_errors": true, "grpc_hide_header": true,
	"grpc_pass_header": true, "grpc_ignore_headers": true, "grpc_next_upstream": true,
	"grpc_next_upstream_tries": true, "grpc_next_upstream_timeout": true, "grpc_buffer_size": true,
	"grpc_socket_keepalive": true, "grpc_bind": true}

func grpcDefaults() GRPCLoc {
	g := GRPCLoc{CGIUpstream: cgiDefaults(), UpstreamSSL: upstreamSSLDefaults()}
	g.Buffering, g.RequestBuffering = ptr(false), ptr(false)
	g.NextUpstream = []string{"error", "timeout"}
	return g
}

func init() {
	var ds []*Directive
	for _, d := range cgiDirectives("grpc", "grpc", func(l *Loc) *CGIUpstream { return &l.GRPC.CGIUpstream }) {
		if grpcShared[d.Name] {
			ds = append(ds, d)
		}
	}
	ds = append(ds, &Directive{Name: "grpc_set_header", Ctx: httpMSL, Args: Args2, set: func(b *builder, f *frame, s *Stmt) error {
		v, err := b.tmpl(s, s.Args[1])
		if err != nil {
			return err
		}
		f.loc.GRPC.SetHeaders = append(f.loc.GRPC.SetHeaders, &HeaderTmpl{Name: s.Args[0], Value: v})
		return nil
	}})
	ds = append(ds, upstreamSSLDirectives("grpc", func(l *Loc) *UpstreamSSL { return &l.GRPC.UpstreamSSL })...)
	register("ngx_http_grpc_module", ds...)
}
