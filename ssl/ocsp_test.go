package ssl_test

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/ocsp"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
)

// TestOCSPClientDiff: ssl_ocsp as nginx does it, against a Go-written
// responder: a revoked client certificate fails with 495 (400 on the
// wire) and
// "FAILED:certificate revoked", an unknown one with "certificate status
// unknown", a responder that does not answer with "certificate status
// request failed"; "on" checks the intermediate too, "leaf" the
// client's certificate alone; ssl_ocsp_cache answers again without
// asking.
func TestOCSPClientDiff(t *testing.T) {
	ca := testcerts.NewCA(t, "Client Root")
	inter := ca.Intermediate(t, "Client Intermediate")
	revokedInter := ca.Intermediate(t, "Revoked Intermediate")
	good := ca.Client(t, testcerts.Opts{}, "good")
	revoked := ca.Client(t, testcerts.Opts{}, "revoked")
	unknown := ca.Client(t, testcerts.Opts{}, "unknown")
	viaInter := inter.Client(t, testcerts.Opts{}, "via-int")
	viaRevoked := revokedInter.Client(t, testcerts.Opts{}, "via-revoked-int")
	r := newOCSPResponder(t)
	r.set(good, ca.OCSPResponse(t, good, ocsp.Good))
	r.set(revoked, ca.OCSPResponse(t, revoked, ocsp.Revoked))
	r.set(unknown, ca.OCSPResponse(t, unknown, ocsp.Unknown))
	r.set(inter, ca.OCSPResponse(t, inter, ocsp.Good))
	r.set(revokedInter, ca.OCSPResponse(t, revokedInter, ocsp.Revoked))
	r.set(viaInter, inter.OCSPResponse(t, viaInter, ocsp.Good))
	r.set(viaRevoked, revokedInter.OCSPResponse(t, viaRevoked, ocsp.Good))
	f := files{"certs/ca.crt": string(ca.CertPEM)}
	f.add("server", ca.Server(t, testcerts.Opts{}, "localhost"))
	dead := nginxtest.FreePort(t)
	srv := func(port, extra string) string {
		return `
    server {
        listen 127.0.0.1:{{PORT` + port + `}} ssl;
        ssl_certificate {{ROOT}}/certs/server.crt;
        ssl_certificate_key {{ROOT}}/certs/server.key;
        ssl_client_certificate {{ROOT}}/certs/ca.crt;
        ssl_verify_depth 2;
        ` + extra + `
        location / { return 200 "verify=$ssl_client_verify\n"; }
    }`
	}
	conf := "events {}\nhttp {\n    access_log off;\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_tickets off;\n    ssl_ocsp_responder " + r.srv.URL + ";" +
		srv("", "ssl_verify_client on; ssl_ocsp on;") +
		srv("1", "ssl_verify_client optional; ssl_ocsp leaf;") +
		srv("2", "ssl_verify_client on; ssl_ocsp on; ssl_ocsp_cache shared:oc:1m;") +
		srv("3", fmt.Sprintf("ssl_verify_client on; ssl_ocsp on; ssl_ocsp_responder http://127.0.0.1:%d;", dead)) +
		"\n}\n"
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 4, Files: f})
	certs := []struct {
		name string
		c    *testcerts.Cert
	}{
		{"none", nil}, {"good", good}, {"revoked", revoked}, {"unknown", unknown},
		{"via intermediate", viaInter}, {"via revoked intermediate", viaRevoked},
	}
	for port := 0; port < 4; port++ {
		for _, c := range certs {
			cfg := client("localhost")
			if c.c != nil {
				cert := c.c.TLS()
				cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
			}
			ng, gp := p.BothTLS(t, port, cfg, get("localhost", "/"))
			compareTLS(t, p, fmt.Sprintf("port %d, %s", port, c.name), ng, gp)
			if port == 0 && c.name == "revoked" && (gp.Status != 400 || !strings.Contains(string(gp.Body), "certificate error")) {
				t.Errorf("revoked: status %d", gp.Status)
			}
		}
	}
	// The cache: the same good certificate again asks nobody.
	cfg := client("localhost")
	cert := good.TLS()
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	r.mu.Lock()
	before := r.asked
	r.mu.Unlock()
	for i := 0; i < 3; i++ {
		if gp := nginxtest.DoTLS(t, p.Go.AddrN(2), cfg, get("localhost", "/")); gp.Status != 200 {
			t.Fatalf("cached: status %d", gp.Status)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.asked != before {
		t.Errorf("ssl_ocsp_cache: the responder was asked %d times for a cached status", r.asked-before)
	}
}
