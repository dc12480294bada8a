package router

// h3.go gives the engine what a "listen ... quic" address needs from the
// configuration in force: the TLS configuration of the server the SNI
// name selects (the same certificates as its TLS listens, with "h3" by
// ALPN where "http3" is on) and the QUIC settings of the address' default
// server, as nginx takes them.

import (
	"crypto/tls"

	"goproxy/httpcore"
	"goproxy/httpd"
)

// QUICTLSConfig answers a QUIC handshake on the listen key addr.
func (rt *Router) QUICTLSConfig(addr string, hello *tls.ClientHelloInfo) (*tls.Config, error) {
	t := rt.table(&httpd.Conn{Listener: addr})
	if t == nil {
		return nil, errNoServer
	}
	s := t.sniServer(hello.ServerName)
	if s.ssl == nil {
		return nil, errNoServer
	}
	tc, err := s.ssl.Config(hello, false, t.def.ssl, nil)
	if err != nil {
		return nil, err
	}
	// QUIC is TLS 1.3 only; without "h3" the handshake fails for want of
	// an application protocol, as nginx's does with "http3 off".
	tc.MinVersion = tls.VersionTLS13
	tc.NextProtos = nil
	if *s.conf.Srv.HTTP3.On {
		tc.NextProtos = []string{"h3"}
	}
	return tc, nil
}

// HTTP3 returns the QUIC settings of the listen key addr.
func (rt *Router) HTTP3(addr string) httpd.H3Settings {
	t := rt.table(&httpd.Conn{Listener: addr})
	if t == nil || t.def == nil {
		return httpd.H3Settings{}
	}
	h3 := &t.def.conf.Srv.HTTP3
	return httpd.H3Settings{
		MaxConcurrentStreams: int64(*h3.MaxConcurrentStreams),
		StreamBufferSize:     *h3.StreamBufferSize,
		IdleTimeout:          *t.def.conf.Loc.Core.KeepaliveTimeout,
		Retry:                *h3.Retry,
		HostKey:              t.def.quicKey,
	}
}

// http3Variables is ngx_http_v3_module's $http3: "h3" on an HTTP/3
// request, empty otherwise ("hq" is never negotiated here).
var http3Variables = []httpcore.Variable{
	{Name: "http3", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		if rq.R.ProtoMajor == 3 {
			return "h3", true
		}
		return "", true
	}},
}

func init() { httpcore.RegisterVariables(http3Variables) }
