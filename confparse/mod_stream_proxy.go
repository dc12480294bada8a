package confparse

// mod_stream_proxy.go: ngx_stream_proxy_module — proxy_pass to an
// address, an upstream block, or an address made of variables.

import (
	"strconv"
	"strings"
	"time"
)

func init() {
	ms := ctxStreamMS
	register("ngx_stream_proxy_module",
		&Directive{Name: "proxy_pass", Ctx: CtxStreamServer, Args: Args1, set: setStreamProxyPass},
		&Directive{Name: "proxy_connect_timeout", Ctx: ms, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **time.Duration { return &c.ProxyConnectTimeout }), msecArg)},
		&Directive{Name: "proxy_timeout", Ctx: ms, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **time.Duration { return &c.ProxyTimeout }), msecArg)},
		&Directive{Name: "proxy_next_upstream", Ctx: ms, Args: ArgsFlag, set: slot(streamSrv(func(c *StreamSrv) **bool { return &c.ProxyNextUpstream }), flagArg)},
		&Directive{Name: "proxy_next_upstream_tries", Ctx: ms, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **int { return &c.ProxyNextUpstreamTries }), numArg)},
		&Directive{Name: "proxy_next_upstream_timeout", Ctx: ms, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **time.Duration { return &c.ProxyNextUpstreamTimeout }), msecArg)},
		&Directive{Name: "proxy_protocol", Ctx: ms, Args: ArgsFlag, set: slot(streamSrv(func(c *StreamSrv) **bool { return &c.ProxyProtocol }), flagArg)},
		&Directive{Name: "proxy_download_rate", Ctx: ms, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **Template { return &c.ProxyDownloadRate }), sizeTmplArg)},
		&Directive{Name: "proxy_upload_rate", Ctx: ms, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **Template { return &c.ProxyUploadRate }), sizeTmplArg)},
		&Directive{Name: "proxy_responses", Ctx: ms, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **int { return &c.ProxyResponses }), numArg)},
		&Directive{Name: "proxy_requests", Ctx: ms, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **int { return &c.ProxyRequests }), numArg)},
		&Directive{Name: "proxy_half_close", Ctx: ms, Args: ArgsFlag, set: slot(streamSrv(func(c *StreamSrv) **bool { return &c.ProxyHalfClose }), flagArg)},
		&Directive{Name: "proxy_buffer_size", Ctx: ms, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **int64 { return &c.ProxyBufferSize }), sizeArg)},
	)
	// proxy_bind is http's (upstreamconf.go).
	register("ngx_stream_proxy_module",
		&Directive{Name: "proxy_bind", Ctx: ms, Args: Args12, set: func(b *builder, f *frame, s *Stmt) error {
			return setBind(b, &f.streamSrv.ProxyBind, s)
		}},
		&Directive{Name: "proxy_socket_keepalive", Ctx: ms, Args: ArgsFlag, set: slot(streamSrv(func(c *StreamSrv) **bool { return &c.ProxySocketKeepalive }), flagArg)})
	// proxy_ssl_* are http's (same arguments and model: ProxyLoc's SSL
	// fields), read into the level's ProxyTLS.
	register("ngx_stream_proxy_module",
		&Directive{Name: "proxy_ssl", Ctx: ms, Args: ArgsFlag, set: slot(streamSrv(func(c *StreamSrv) **bool { return &c.ProxySSL }), flagArg)})
	for _, n := range []string{"proxy_ssl_certificate", "proxy_ssl_certificate_key", "proxy_ssl_ciphers", "proxy_ssl_conf_command",
		"proxy_ssl_crl", "proxy_ssl_name",
		"proxy_ssl_password_file", "proxy_ssl_protocols", "proxy_ssl_server_name", "proxy_ssl_session_reuse",
		"proxy_ssl_trusted_certificate", "proxy_ssl_verify", "proxy_ssl_verify_depth"} {
		for _, r := range registry[n] {
			if r.Ctx&CtxLocation != 0 && r.Status != Unsupported {
				nd := *r
				nd.Ctx = ms
				register("ngx_stream_proxy_module", &nd)
			}
		}
	}
	unsupported := map[string][]string{
		"ngx_stream_geoip_module":         {"geoip_country", "geoip_city", "geoip_org"},
		"ngx_stream_pass_module":          {"pass"},
		"ngx_stream_js_module":            {"js_access", "js_filter", "js_import", "js_include", "js_path", "js_preread", "js_set", "js_var"},
		"ngx_stream_upstream_hash_module": {},
	}
	for m, names := range unsupported {
		for _, n := range names {
			ctx := ctxStreamMS
			if n == "map" || n == "geo" || n == "split_clients" || n == "limit_conn_zone" || n == "js_import" ||
				n == "js_include" || n == "js_path" || n == "js_set" || n == "js_var" || strings.HasPrefix(n, "map_hash") ||
				strings.HasPrefix(n, "geoip_") {
				ctx = CtxStream
			}
			register(m, &Directive{Name: n, Ctx: ctx, Args: ArgsAny, Block: n == "map" || n == "geo" || n == "split_clients",
				Status: Unsupported, Note: unsupportedWhy[m]})
		}
	}
}

func setStreamProxyPass(b *builder, f *frame, s *Stmt) error {
	srv := f.streamServer
	if srv.ProxyPass != nil || srv.Return != nil {
		return dupErr(s)
	}
	t, err := b.tmpl(s, s.Args[0])
	if err != nil {
		return err
	}
	if t.IsConst() {
		v := s.Args[0]
		if strings.HasPrefix(v, "unix:") {
			if v == "unix:" {
				return errf(s, "no path in the unix domain socket in %q", v)
			}
		} else if _, port, ok := splitHostPort(v); ok {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return errf(s, "invalid port in %q", v)
			}
		}
	}
	srv.ProxyPass = t
	return nil
}
