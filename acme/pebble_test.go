package acme_test

// pebble_test.go runs the ACME exchange against pebble, Let's Encrypt's
// test CA, on 127.0.0.1: pebble validates HTTP-01 by connecting to
// goproxy's plain-HTTP port for "localhost". pebble is a program
// (scripts/test-deps installs it); without it the tests are skipped.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"goproxy/confparse"
	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
	"goproxy/process"
)

func pebbleBinary(t *testing.T) string {
	if p := os.Getenv("PEBBLE"); p != "" {
		return p
	}
	if p, err := exec.LookPath("pebble"); err == nil {
		return p
	}
	home, _ := os.UserHomeDir()
	if p := filepath.Join(home, "go", "bin", "pebble"); fileExists(p) {
		return p
	}
	t.Skip("pebble is not installed (scripts/test-deps)")
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// pebble is a running CA.
type pebble struct {
	dir, mgmt string
	api       string // the directory URL
	trust     string // the CA of pebble's own HTTPS, for ssl_trusted_certificate
	root      *x509.CertPool
}

// startPebble runs pebble with its HTTP-01 validation aimed at httpPort,
// issuing under one profile for validity seconds (pebble picks a random
// profile for an order that names none).
func startPebble(t *testing.T, httpPort, tlsPort int, profile string, validity int) *pebble {
	bin := pebbleBinary(t)
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "pebble test CA")
	leaf := ca.Server(t, testcerts.Opts{}, "127.0.0.1", "localhost")
	for name, b := range map[string][]byte{"ca.pem": ca.CertPEM, "cert.pem": leaf.ChainPEM(), "key.pem": leaf.KeyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	api, mgmt := nginxtest.FreePort(t), nginxtest.FreePort(t)
	conf := map[string]any{"pebble": map[string]any{
		"listenAddress":                  fmt.Sprintf("127.0.0.1:%d", api),
		"managementListenAddress":        fmt.Sprintf("127.0.0.1:%d", mgmt),
		"certificate":                    filepath.Join(dir, "cert.pem"),
		"privateKey":                     filepath.Join(dir, "key.pem"),
		"httpPort":                       httpPort,
		"tlsPort":                        tlsPort,
		"externalAccountBindingRequired": false,
		"retryAfter":                     map[string]int{"authz": 1, "order": 1},
		"profiles":                       map[string]any{profile: map[string]any{"description": profile, "validityPeriod": validity}},
	}}
	b, _ := json.Marshal(conf)
	os.WriteFile(filepath.Join(dir, "pebble.json"), b, 0o644)
	cmd := exec.Command(bin, "-config", filepath.Join(dir, "pebble.json"), "-strict=false")
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	log, _ := os.Create(filepath.Join(dir, "pebble.log"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "pebble.log"))
			t.Logf("pebble log:\n%s", b)
		}
	})
	pool := ca.Pool()
	p := &pebble{dir: dir, mgmt: fmt.Sprintf("https://127.0.0.1:%d", mgmt), trust: filepath.Join(dir, "ca.pem")}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	var root []byte
	for i := 0; i < 100; i++ {
		resp, err := hc.Get(p.mgmt + "/roots/0")
		if err == nil {
			root, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.root = x509.NewCertPool()
	if !p.root.AppendCertsFromPEM(root) {
		t.Fatalf("no root from pebble: %q", root)
	}
	p.api = fmt.Sprintf("https://127.0.0.1:%d/dir", api)
	return p
}

// goproxy starts a configuration whose HTTPS server takes its
// certificate from the acme module only, and whose port 80 answers
// everything with 404 in its server rewrite phase (HTTP-01 comes first).
func startGoproxy(t *testing.T, p *pebble, state string, httpPort, tlsPort int, profile string) *process.Process {
	dir := t.TempDir()
	conf := fmt.Sprintf(`events {}
http {
    acme_issuer pebble {
        uri %s;
        contact admin@example.test;
        ssl_trusted_certificate %s;
        state_path %s;
        %s
        accept_terms_of_service;
    }
    server {
        listen 127.0.0.1:%d ssl;
        server_name localhost;
        acme_certificate pebble;
        ssl_certificate $acme_certificate;
        ssl_certificate_key $acme_certificate_key;
        location / { return 200 "secure\n"; }
        location /pem { return 200 $acme_certificate; }
    }
    server {
        listen 127.0.0.1:%d;
        return 404;
    }
}
`, p.api, p.trust, state, profile, tlsPort, httpPort)
	os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644)
	lo := confparse.Options{Path: filepath.Join(dir, "nginx.conf"), Prefix: dir + "/",
		Directives: fmt.Sprintf("daemon off; pid %s/run.pid; error_log %s/error.log info;", dir, dir)}
	cfg, err := confparse.Load(lo)
	if err != nil {
		t.Fatal(err)
	}
	proc, err := process.Start(lo, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("goproxy error log:\n%s", b)
		}
	})
	return proc
}

func tlsClient(p *pebble) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		TLSClientConfig: &tls.Config{RootCAs: p.root, ServerName: "localhost"}}}
}

func get(t *testing.T, p *pebble, tlsPort int, path string) string {
	resp, err := tlsClient(p).Get(fmt.Sprintf("https://127.0.0.1:%d%s", tlsPort, path))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// served waits for the HTTPS server to present a certificate pebble's
// root verifies for "localhost", and returns it with the body.
func served(t *testing.T, p *pebble, tlsPort int, unlike *big.Int) (*x509.Certificate, string) {
	hc := tlsClient(p)
	var last error
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := hc.Get(fmt.Sprintf("https://127.0.0.1:%d/", tlsPort))
		if err != nil {
			last = err
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		leaf := resp.TLS.PeerCertificates[0]
		if unlike != nil && leaf.SerialNumber.Cmp(unlike) == 0 {
			last = fmt.Errorf("still the certificate %x", unlike)
			continue
		}
		return leaf, string(body)
	}
	t.Fatalf("no verified certificate served: %v", last)
	return nil, ""
}

// TestPebbleIssueAndRestart: the certificate is ordered in the
// background, HTTP-01 is answered on the port whose only location says
// 404, the chain verifies against pebble's root, and a restart serves
// the stored certificate without a new order.
func TestPebbleIssueAndRestart(t *testing.T) {
	httpPort, tlsPort := nginxtest.FreePort(t), nginxtest.FreePort(t)
	p := startPebble(t, httpPort, tlsPort, "default", 7776000)
	state := filepath.Join(t.TempDir(), "acme")
	proc := startGoproxy(t, p, state, httpPort, tlsPort, "")
	leaf, body := served(t, p, tlsPort, nil)
	if body != "secure\n" || leaf.VerifyHostname("localhost") != nil {
		t.Fatalf("served %q for %q", body, leaf.DNSNames)
	}
	if pem := get(t, p, tlsPort, "/pem"); !strings.HasPrefix(pem, "data:-----BEGIN CERTIFICATE-----") {
		t.Errorf("$acme_certificate = %.40q", pem)
	}
	if !fileExists(filepath.Join(state, "account.key")) {
		t.Fatal("no account key under state_path")
	}
	if err := proc.Reload(); err != nil {
		t.Fatal(err)
	}
	if again, _ := served(t, p, tlsPort, nil); again.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Fatalf("reload served a new certificate %x, want %x", again.SerialNumber, leaf.SerialNumber)
	}
	proc.Stop()

	proc = startGoproxy(t, p, state, httpPort, tlsPort, "")
	defer proc.Stop()
	again, _ := served(t, p, tlsPort, nil)
	if again.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Fatalf("restart served a new certificate %x, want the stored %x", again.SerialNumber, leaf.SerialNumber)
	}
	if entries, _ := os.ReadDir(state); len(entries) != 3 {
		t.Errorf("state_path holds %d files, want the account key, certificate and key", len(entries))
	}
}

// TestPebbleRenewal: a certificate of a few seconds is renewed within
// its life (in the middle of the window pebble's renewal information
// suggests), and the new one is served.
func TestPebbleRenewal(t *testing.T) {
	httpPort, tlsPort := nginxtest.FreePort(t), nginxtest.FreePort(t)
	p := startPebble(t, httpPort, tlsPort, "shortlived", 12)
	proc := startGoproxy(t, p, filepath.Join(t.TempDir(), "acme"), httpPort, tlsPort, "profile shortlived;")
	defer proc.Stop()
	first, _ := served(t, p, tlsPort, nil)
	if life := first.NotAfter.Sub(first.NotBefore); life > time.Minute {
		t.Fatalf("pebble issued for %v, not the short profile", life)
	}
	second, _ := served(t, p, tlsPort, first.SerialNumber)
	if second.NotBefore.Before(first.NotBefore) || second.VerifyHostname("localhost") != nil {
		t.Fatalf("renewed certificate %v for %q", second.NotBefore, second.DNSNames)
	}
}

// TestPebbleTLSALPN: with "challenge tls-alpn-01" pebble validates in a
// handshake on the HTTPS port, which answers with the challenge
// certificate while the server's own is not issued yet.
func TestPebbleTLSALPN(t *testing.T) {
	httpPort, tlsPort := nginxtest.FreePort(t), nginxtest.FreePort(t)
	p := startPebble(t, nginxtest.FreePort(t), tlsPort, "default", 7776000)
	proc := startGoproxy(t, p, filepath.Join(t.TempDir(), "acme"), httpPort, tlsPort, "challenge tls-alpn-01;")
	defer proc.Stop()
	if leaf, body := served(t, p, tlsPort, nil); body != "secure\n" || leaf.VerifyHostname("localhost") != nil {
		t.Fatalf("served %q for %q", body, leaf.DNSNames)
	}
}
