package ssl_test

import (
	"os"
	"path/filepath"
	"testing"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
)

// TestReloadCertificate rewrites the certificate files and reloads: new
// handshakes present the new certificate; a broken certificate on reload
// is refused and the running configuration keeps serving the last good
// one. (nginx does the same on SIGHUP; the harness reloads goproxy
// in-process.)
func TestReloadCertificate(t *testing.T) {
	ca := testcerts.NewCA(t, "Root")
	first := ca.Server(t, testcerts.Opts{}, "first.test")
	second := ca.Server(t, testcerts.Opts{Key: testcerts.RSA}, "second.test")
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        ssl_certificate {{ROOT}}/certs/site.crt;
        ssl_certificate_key {{ROOT}}/certs/site.key;
        return 200 "ok\n";
    }
}
`, nginxtest.Options{GoOnly: true, Files: map[string]string{
		"certs/site.crt": string(first.CertPEM), "certs/site.key": string(first.KeyPEM)}})
	cn := func() string {
		t.Helper()
		r := nginxtest.DoTLS(t, p.Go.Addr(), client("x.test"), get("x.test", "/"))
		if r.HandshakeErr != nil || r.Status != 200 {
			t.Fatalf("handshake %v, status %d", r.HandshakeErr, r.Status)
		}
		return r.PeerCN()
	}
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(p.Root, "certs", name), []byte(data), 0644); err != nil {
			t.Fatal(err)
		}
	}
	if got := cn(); got != "first.test" {
		t.Fatalf("before reload: %q", got)
	}
	write("site.crt", string(second.CertPEM))
	write("site.key", string(second.KeyPEM))
	if got := cn(); got != "first.test" {
		t.Fatalf("certificates are read at load time only, got %q before the reload", got)
	}
	if err := p.Go.Proc.Reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got := cn(); got != "second.test" {
		t.Fatalf("after reload: %q, want the new certificate", got)
	}
	// A key that does not match, then a file that is not PEM: refused,
	// the last good configuration stays.
	write("site.key", string(first.KeyPEM))
	if err := p.Go.Proc.Reload(); err == nil {
		t.Fatal("reload with a mismatched key succeeded")
	}
	write("site.crt", "not a certificate")
	if err := p.Go.Proc.Reload(); err == nil {
		t.Fatal("reload with a broken certificate succeeded")
	}
	if got := cn(); got != "second.test" {
		t.Fatalf("after a refused reload: %q, want the running certificate", got)
	}
}
