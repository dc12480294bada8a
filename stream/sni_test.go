package stream_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
	"goproxy/internal/testupstream"
)

// tlsBackend is a TLS server with a certificate for name that answers
// every connection with its name and the ALPN protocol agreed.
func tlsBackend(t *testing.T, ca *testcerts.Cert, name string) string {
	t.Helper()
	cert := ca.Server(t, testcerts.Opts{}, name)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert.TLS()},
		NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	testupstream.Serve(ln, func(c net.Conn) {
		tc := c.(*tls.Conn)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if tc.Handshake() == nil {
			fmt.Fprintf(tc, "%s %s", name, tc.ConnectionState().NegotiatedProtocol)
		}
	})
	return ln.Addr().String()
}

// sniClient connects with TLS for sni, verifying the certificate against
// ca for that name: the handshake is the backend's, end to end.
func sniClient(t *testing.T, addr, sni string, ca *testcerts.Cert) (string, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", addr,
		&tls.Config{ServerName: sni, RootCAs: ca.Pool(), NextProtos: []string{"http/1.1"}})
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

// TestSNIPassthroughLikeNginx is TLS passthrough routed by SNI: the
// stream server reads the ClientHello (ssl_preread), maps the name to a
// backend, and proxies the encrypted bytes; each client must complete
// its handshake with the backend for its name (certificate verified),
// an unknown name goes to the default, and the access log records
// $ssl_preread_server_name and the upstream as nginx's does.
func TestSNIPassthroughLikeNginx(t *testing.T) {
	needStreamModule(t)
	ca := testcerts.NewCA(t, "sni test CA")
	a, b := tlsBackend(t, ca, "a.test"), tlsBackend(t, ca, "b.test")
	conf := fmt.Sprintf(loadStream+`events {}
stream {
    log_format sni "$ssl_preread_server_name $ssl_preread_alpn_protocols $upstream_addr";
    map $ssl_preread_server_name $backend {
        a.test  %s;
        b.test  %s;
        default %s;
    }
    server {
        listen 127.0.0.1:{{PORT0}};
        ssl_preread on;
        proxy_pass $backend;
        access_log {{DIR}}/sni.log sni;
    }
}
`, a, b, b)
	p := nginxtest.Start(t, conf, nginxtest.Options{})
	cases := []struct{ sni, want string }{{"a.test", "a.test http/1.1"}, {"b.test", "b.test http/1.1"}}
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		addr := "127.0.0.1:" + strconv.Itoa(s.Ports[0])
		for _, c := range cases {
			got, err := sniClient(t, addr, c.sni, ca)
			if err != nil || got != c.want {
				t.Errorf("%s: SNI %s: %q, %v; want %q", s.Name, c.sni, got, err, c.want)
			}
		}
		// other.test lands on b.test's backend: its certificate is not
		// for the name, and the client refuses it.
		if _, err := sniClient(t, addr, "other.test", ca); err == nil {
			t.Errorf("%s: SNI other.test verified against b.test's certificate", s.Name)
		}
	}
	want := waitLog(p.Nginx.Dir+"/sni.log", 4)
	got := waitLog(p.Go.Dir+"/sni.log", 4)
	if got != want || want == "" {
		t.Errorf("access log:\n goproxy %q\n   nginx %q", got, want)
	}
}
