package confparse

// mod_stream_ssl.go: ngx_stream_ssl_module. Its directives are
// ngx_http_ssl_module's (same arguments, same model: SSLSrv), read at
// the stream and stream server levels, plus ssl_handshake_timeout and
// ssl_alpn of its own.

import "time"

// streamSSLShared are the http ssl directives stream has too.
var streamSSLShared = []string{"ssl_certificate", "ssl_certificate_key", "ssl_password_file", "ssl_dhparam",
	"ssl_ecdh_curve", "ssl_protocols", "ssl_ciphers", "ssl_verify_client", "ssl_verify_depth",
	"ssl_client_certificate", "ssl_trusted_certificate", "ssl_prefer_server_ciphers", "ssl_session_cache",
	"ssl_session_tickets", "ssl_session_ticket_key", "ssl_session_timeout", "ssl_crl", "ssl_conf_command",
	"ssl_reject_handshake", "ssl_stapling", "ssl_stapling_verify", "ssl_stapling_responder", "ssl_buffer_size"}

func init() {
	for _, n := range streamSSLShared {
		var d *Directive
		for _, r := range registry[n] {
			if r.Ctx&CtxServer != 0 {
				d = r
			}
		}
		if d == nil || d.Status == Unsupported {
			// http's is not implemented either: refused by name.
			register("ngx_stream_ssl_module", &Directive{Name: n, Ctx: ctxStreamMS, Args: ArgsAny, Status: Unsupported})
			continue
		}
		if n == "ssl_stapling" || n == "ssl_stapling_verify" || n == "ssl_stapling_responder" || n == "ssl_buffer_size" {
			continue // not in nginx's stream
		}
		nd := *d
		nd.Ctx = ctxStreamMS
		register("ngx_stream_ssl_module", &nd)
	}
	register("ngx_stream_ssl_module",
		&Directive{Name: "ssl_handshake_timeout", Ctx: ctxStreamMS, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **time.Duration { return &c.SSLHandshakeTimeout }), msecArg)},
		&Directive{Name: "ssl_alpn", Ctx: ctxStreamMS, Args: Args1More, set: func(b *builder, f *frame, s *Stmt) error {
			if f.streamSrv.SSLALPN != nil {
				return dupErr(s)
			}
			f.streamSrv.SSLALPN = append([]string{}, s.Args...)
			return nil
		}},
	)
}
