package stream_test

import (
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"testing"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
	"goproxy/internal/testupstream"
)

// tlsCipherUpstream is a TLS 1.2 server that answers each connection
// with the cipher suite the handshake chose.
func tlsCipherUpstream(t *testing.T) int {
	ca := testcerts.NewCA(t, "ca")
	srv := ca.Server(t, testcerts.Opts{}, "127.0.0.1")
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{srv.TLS()}, MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	testupstream.Serve(ln, func(c net.Conn) {
		tc := c.(*tls.Conn)
		if tc.Handshake() == nil {
			fmt.Fprint(c, tls.CipherSuiteName(tc.ConnectionState().CipherSuite))
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// TestProxySSLCiphersDiff: stream's proxy_ssl_ciphers chooses what the
// upstream handshake offers, as nginx's does; proxy_socket_keepalive
// and proxy_bind are accepted with it.
func TestProxySSLCiphersDiff(t *testing.T) {
	needStreamModule(t)
	up := tlsCipherUpstream(t)
	conf := fmt.Sprintf(loadStream+`events {}
stream {
    proxy_ssl on;
    proxy_ssl_protocols TLSv1.2;
    server {
        listen 127.0.0.1:{{PORT0}};
        proxy_ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384;
        proxy_socket_keepalive on;
        proxy_pass 127.0.0.1:%d;
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        proxy_ssl_ciphers ECDHE-ECDSA-CHACHA20-POLY1305;
        proxy_bind 127.0.0.1;
        proxy_pass 127.0.0.1:%d;
    }
}
`, up, up)
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 2})
	for i, want := range []string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"} {
		for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
			if got := tcpExchange(t, "127.0.0.1:"+strconv.Itoa(s.Ports[i]), ""); got != want {
				t.Errorf("%s, server %d: the upstream negotiated %q, want %q", s.Name, i, got, want)
			}
		}
	}
}
