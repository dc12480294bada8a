package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"goproxy/confparse"
	"goproxy/internal/testcerts"
)

func ptrTo[T any](v T) *T { return &v }

// TestUpstreamTLSClientCertAndName: a client certificate from paths
// with variables is found relative to the configuration directory and
// sent whatever CA names the upstream asks for; an empty path sends
// none; verification takes the CN when there are no DNS names and
// refuses a name the certificate is not for.
func TestUpstreamTLSClientCertAndName(t *testing.T) {
	ca := testcerts.NewCA(t, "ca")
	// A server certificate with a CN and no subjectAltName.
	srv := ca.Client(t, testcerts.Opts{EKU: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, "up.example")
	client := testcerts.SelfSignedClient(t, testcerts.Opts{}, "me")
	dir := t.TempDir() + "/"
	os.WriteFile(filepath.Join(dir, "me.crt"), client.CertPEM, 0o644)
	os.WriteFile(filepath.Join(dir, "me.key"), client.KeyPEM, 0o644)
	os.WriteFile(filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	varT := &confparse.Template{Raw: "$arg_c", Parts: []confparse.Part{{Var: "arg_c"}}}
	p := &confparse.UpstreamSSL{SSLCiphers: ptrTo("DEFAULT"), SSLVerify: ptrTo(true), SSLVerifyDepth: ptrTo(1), SSLSessionReuse: ptrTo(false),
		SSLTrusted: ptrTo(dir + "ca.crt"), SSLCertificate: varT, SSLCertificateKey: varT}
	u, err := tlsConfig(p, "proxy", dir)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := u.clientCert("", ""); c != nil || err != nil {
		t.Fatalf("empty path: %v, %v", c, err)
	}
	cert, err := u.clientCert("me.crt", "me.key")
	if err != nil || cert == nil {
		t.Fatalf("relative path: %v", err)
	}
	cn := "up.example"
	for _, tc := range []struct {
		name string
		ok   bool
	}{{cn, true}, {"other.example", false}} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan int, 1)
		go func() {
			sc, err := l.Accept()
			if err != nil {
				close(got)
				return
			}
			s := tls.Server(sc, &tls.Config{Certificates: []tls.Certificate{srv.TLS()},
				ClientAuth: tls.RequestClientCert, ClientCAs: ca.Pool()})
			if s.Handshake() == nil {
				got <- len(s.ConnectionState().PeerCertificates)
			}
			close(got)
			s.Close()
		}()
		cc, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c, err := u.handshake(context.Background(), cc, &tlsTarget{name: tc.name, cert: cert})
		if (err == nil) != tc.ok {
			t.Errorf("name %q: handshake error %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err == nil {
			if n := <-got; n != 1 {
				t.Errorf("name %q: the upstream got %d client certificates", tc.name, n)
			}
			c.Close()
		}
		cc.Close()
		l.Close()
	}
}

// TestUpstreamTLSPrefixAndCiphers: one implementation serves proxy_ssl_*
// and uwsgi_ssl_*; its messages name the module's directives, and
// *_ssl_ciphers of OpenSSL names pick Go's suites.
func TestUpstreamTLSPrefixAndCiphers(t *testing.T) {
	p := &confparse.UpstreamSSL{SSLCiphers: ptrTo("ECDHE-RSA-AES128-GCM-SHA256"), SSLVerify: ptrTo(false),
		SSLVerifyDepth: ptrTo(1), SSLSessionReuse: ptrTo(true)}
	u, err := tlsConfig(p, "uwsgi", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.clientCert("c.crt", ""); err == nil || !strings.Contains(err.Error(), `"uwsgi_ssl_certificate_key"`) {
		t.Errorf("certificate without key: %v", err)
	}
	if len(u.base.CipherSuites) != 1 || u.base.CipherSuites[0] != tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 {
		t.Errorf("suites %v", u.base.CipherSuites)
	}
	p.SSLCiphers = ptrTo("NO-SUCH-CIPHER")
	if _, err := tlsConfig(p, "uwsgi", ""); err == nil {
		t.Error("a cipher list matching nothing was accepted")
	}
}
