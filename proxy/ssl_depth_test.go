package proxy_test

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
	"goproxy/internal/testupstream"
)

// TestProxySSLVerifyDepth compares proxy_ssl_verify_depth with nginx: an
// upstream whose certificate comes through an intermediate CA is refused
// (502) at depth 0 and accepted from depth 1, one signed by the root
// itself is accepted at depth 0.
func TestProxySSLVerifyDepth(t *testing.T) {
	root := testcerts.NewCA(t, "Root")
	viaInter := root.Intermediate(t, "Intermediate").Server(t, testcerts.Opts{}, "127.0.0.1")
	direct := root.Server(t, testcerts.Opts{}, "127.0.0.1")
	up := func(c *testcerts.Cert) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		tl := tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{c.TLS()}})
		testupstream.Serve(tl, testupstream.KeepAlive("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nup\n"))
		return l.Addr().String()
	}
	inter, leaf := up(viaInter), up(direct)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(ca, root.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := strings.NewReplacer("CA", ca, "INTER", inter, "LEAF", leaf).Replace(`events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:{{PORT}};
        proxy_ssl_verify on;
        # A session resumed keeps the verify result of the first
        # handshake in nginx: each request is judged on its own here.
        proxy_ssl_session_reuse off;
        proxy_ssl_trusted_certificate CA;
        location /inter0/ { proxy_ssl_verify_depth 0; proxy_pass https://INTER/; }
        location /inter1/ { proxy_ssl_verify_depth 1; proxy_pass https://INTER/; }
        location /inter/ { proxy_pass https://INTER/; }
        location /leaf0/ { proxy_ssl_verify_depth 0; proxy_pass https://LEAF/; }
    }
}
`)
	p := nginxtest.Start(t, conf, nginxtest.Options{})
	for _, c := range []struct {
		path   string
		status int
	}{{"/inter0/", 502}, {"/inter1/", 200}, {"/inter/", 200}, {"/leaf0/", 200}} {
		ng, gp := p.Compare(t, nginxtest.Get(c.path))
		if ng.Status != c.status || gp.Status != c.status {
			t.Errorf("%s: nginx %d, goproxy %d, want %d", c.path, ng.Status, gp.Status, c.status)
		}
	}
}
