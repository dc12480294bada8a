package ssl_test

// diff_test.go compares nginx and goproxy over TLS: the same
// configuration, certificates made by the test and written under the
// shared root, the same client handshakes and requests to both. What is
// compared: whether the handshake succeeds, the certificate presented,
// the protocol, and the HTTP response ($ssl_* variables surface through
// "return 200").

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
)

// files maps names under certs/ to PEM.
type files map[string]string

func (f files) add(name string, c *testcerts.Cert) {
	f["certs/"+name+".crt"] = string(c.ChainPEM())
	f["certs/"+name+".key"] = string(c.KeyPEM)
}

func keyKind(st tls.ConnectionState) string {
	if len(st.PeerCertificates) == 0 {
		return ""
	}
	switch st.PeerCertificates[0].PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "ECDSA"
	}
	return "?"
}

// compareTLS checks that both servers did the same with one client.
func compareTLS(t *testing.T, p *nginxtest.Pair, what string, ng, gp *nginxtest.TLSResponse) {
	t.Helper()
	if (ng.HandshakeErr == nil) != (gp.HandshakeErr == nil) {
		t.Errorf("%s: handshake: nginx %v, goproxy %v", what, ng.HandshakeErr, gp.HandshakeErr)
		return
	}
	if ng.HandshakeErr != nil {
		return
	}
	if a, b := ng.PeerCN(), gp.PeerCN(); a != b {
		t.Errorf("%s: certificate: nginx %q, goproxy %q", what, a, b)
	}
	if a, b := keyKind(ng.State), keyKind(gp.State); a != b {
		t.Errorf("%s: key type: nginx %s, goproxy %s", what, a, b)
	}
	if ng.State.Version != gp.State.Version {
		t.Errorf("%s: version: nginx %x, goproxy %x", what, ng.State.Version, gp.State.Version)
	}
	if ng.State.NegotiatedProtocol != gp.State.NegotiatedProtocol {
		t.Errorf("%s: ALPN: nginx %q, goproxy %q", what, ng.State.NegotiatedProtocol, gp.State.NegotiatedProtocol)
	}
	if d := p.Diff(ng.Response, gp.Response); d != "" {
		t.Errorf("%s:\n%s\n--- nginx:\n%s\n--- goproxy:\n%s", what, d, ng.Raw, gp.Raw)
	}
}

func client(sni string) *tls.Config {
	return &tls.Config{ServerName: sni, InsecureSkipVerify: true}
}

func get(host, path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"
}

// TestSNI checks server selection by the TLS name: exact, wildcard and
// regex names, the default server for an unknown or missing name, RSA
// and ECDSA certificates side by side, certificate paths with
// $ssl_server_name, and ssl_reject_handshake.
func TestSNI(t *testing.T) {
	ca := testcerts.NewCA(t, "Test Root")
	f := files{}
	f.add("default", ca.Server(t, testcerts.Opts{}, "default.test"))
	f.add("a-rsa", ca.Server(t, testcerts.Opts{Key: testcerts.RSA}, "a.test"))
	f.add("a-ec", ca.Server(t, testcerts.Opts{}, "a.test"))
	f.add("wild", ca.Server(t, testcerts.Opts{}, "*.wild.test"))
	f.add("re12.test", ca.Server(t, testcerts.Opts{}, "re12.test"))
	f.add("re34.test", ca.Server(t, testcerts.Opts{Key: testcerts.RSA}, "re34.test"))
	const body = `"$server_name sni=$ssl_server_name $ssl_protocol host=$host https=$https scheme=$scheme alpn=$ssl_alpn_protocol\n"`
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    ssl_protocols TLSv1.2 TLSv1.3;
    server {
        listen 127.0.0.1:{{PORT}} ssl default_server;
        server_name default.test;
        ssl_certificate {{ROOT}}/certs/default.crt;
        ssl_certificate_key {{ROOT}}/certs/default.key;
        return 200 `+body+`;
    }
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        server_name a.test;
        ssl_certificate {{ROOT}}/certs/a-rsa.crt;
        ssl_certificate_key {{ROOT}}/certs/a-rsa.key;
        ssl_certificate {{ROOT}}/certs/a-ec.crt;
        ssl_certificate_key {{ROOT}}/certs/a-ec.key;
        return 200 `+body+`;
    }
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        server_name *.wild.test;
        ssl_certificate {{ROOT}}/certs/wild.crt;
        ssl_certificate_key {{ROOT}}/certs/wild.key;
        return 200 `+body+`;
    }
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        server_name ~^re(?<num>\d+)\.test$;
        ssl_certificate {{ROOT}}/certs/$ssl_server_name.crt;
        ssl_certificate_key {{ROOT}}/certs/$ssl_server_name.key;
        return 200 `+strings.Replace(body, `"`, `"regex $num `, 1)+`;
    }
    server {
        listen 127.0.0.1:{{PORT1}} ssl default_server;
        ssl_reject_handshake on;
    }
    server {
        listen 127.0.0.1:{{PORT2}} ssl;
        ssl_prefer_server_ciphers on;
        ssl_certificate {{ROOT}}/certs/a-rsa.crt;
        ssl_certificate_key {{ROOT}}/certs/a-rsa.key;
        ssl_certificate {{ROOT}}/certs/a-ec.crt;
        ssl_certificate_key {{ROOT}}/certs/a-ec.key;
        return 200 `+body+`;
    }
    server {
        listen 127.0.0.1:{{PORT3}} ssl;
        ssl_prefer_server_ciphers on;
        ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256;
        ssl_certificate {{ROOT}}/certs/a-ec.crt;
        ssl_certificate_key {{ROOT}}/certs/a-ec.key;
        ssl_certificate {{ROOT}}/certs/a-rsa.crt;
        ssl_certificate_key {{ROOT}}/certs/a-rsa.key;
        return 200 `+body+`;
    }
    server {
        listen 127.0.0.1:{{PORT1}} ssl;
        server_name a.test;
        ssl_certificate {{ROOT}}/certs/a-ec.crt;
        ssl_certificate_key {{ROOT}}/certs/a-ec.key;
        return 200 `+body+`;
    }
}
`, nginxtest.Options{Ports: 4, Files: f})

	rsaOnly := client("a.test")
	rsaOnly.MaxVersion = tls.VersionTLS12
	rsaOnly.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
	ecOnly := client("a.test")
	ecOnly.MaxVersion = tls.VersionTLS12
	ecOnly.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
	tls12 := client("a.test")
	tls12.MaxVersion = tls.VersionTLS12
	rsaFirst := client("a.test")
	rsaFirst.MaxVersion = tls.VersionTLS12
	rsaFirst.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
	for _, c := range []struct {
		name string
		port int
		cfg  *tls.Config
		host string
	}{
		{"exact", 0, client("a.test"), "a.test"},
		{"exact, other Host", 0, client("a.test"), "default.test"},
		{"exact, unknown Host", 0, client("a.test"), "zzz.test"},
		{"wildcard", 0, client("x.wild.test"), "x.wild.test"},
		{"regex, certificate by $ssl_server_name", 0, client("re12.test"), "re12.test"},
		{"regex, other certificate", 0, client("re34.test"), "re34.test"},
		{"unknown name", 0, client("unknown.test"), "unknown.test"},
		{"no SNI", 0, client(""), "a.test"},
		{"upper-case SNI", 0, client("A.TEST"), "a.test"},
		{"RSA suites", 0, rsaOnly, "a.test"},
		{"TLS 1.2", 0, tls12, "a.test"},
		{"ECDSA suites", 0, ecOnly, "a.test"},
		{"reject: unknown name", 1, client("unknown.test"), "a.test"},
		{"reject: no SNI", 1, client(""), "a.test"},
		{"reject: known name", 1, client("a.test"), "a.test"},
		{"prefer server: TLS 1.3", 2, client("a.test"), "a.test"},
		{"prefer server: TLS 1.2", 2, tls12, "a.test"},
		{"prefer server: TLS 1.2, RSA first", 2, rsaFirst, "a.test"},
		{"prefer server: RSA suites", 2, rsaOnly, "a.test"},
		{"prefer server, ssl_ciphers: TLS 1.2", 3, tls12, "a.test"},
		{"prefer server, ssl_ciphers: TLS 1.3", 3, client("a.test"), "a.test"},
		{"prefer server, ssl_ciphers: ECDSA suites", 3, ecOnly, "a.test"},
		{"client order: TLS 1.2, RSA first", 0, rsaFirst, "a.test"},
	} {
		ng, gp := p.BothTLS(t, c.port, c.cfg, get(c.host, "/"))
		compareTLS(t, p, c.name, ng, gp)
		if c.name == "RSA suites" && keyKind(gp.State) != "RSA" || c.name == "ECDSA suites" && keyKind(gp.State) != "ECDSA" {
			t.Errorf("%s: goproxy presented a %s certificate", c.name, keyKind(gp.State))
		}
	}
}

// TestClientCertificates runs the ssl_verify_client matrix: on,
// optional, optional_no_ca (with and without a CA list), verify depth,
// against no certificate, a good one, one from an intermediate CA, one
// from an unknown CA, a self-signed one, an expired one, one not yet
// valid, and one for the wrong purpose; the $ssl_client_* variables
// show what each server saw.
func TestClientCertificates(t *testing.T) {
	ca := testcerts.NewCA(t, "Client Root")
	inter := ca.Intermediate(t, "Client Intermediate")
	other := testcerts.NewCA(t, "Other Root")
	f := files{}
	f.add("server", ca.Server(t, testcerts.Opts{}, "localhost"))
	f["certs/clientca.crt"] = string(ca.CertPEM)
	vars := `"verify=$ssl_client_verify s_dn=$ssl_client_s_dn i_dn=$ssl_client_i_dn serial=$ssl_client_serial ` +
		`fp=$ssl_client_fingerprint start=$ssl_client_v_start end=$ssl_client_v_end remain=$ssl_client_v_remain\n"`
	srv := func(port, extra string) string {
		return `
    server {
        listen 127.0.0.1:{{PORT` + port + `}} ssl;
        ssl_certificate {{ROOT}}/certs/server.crt;
        ssl_certificate_key {{ROOT}}/certs/server.key;
        ` + extra + `
        location / { return 200 ` + vars + `; }
        location /cert { return 200 "[$ssl_client_cert]\n[$ssl_client_raw_cert]\n[$ssl_client_escaped_cert]"; }
    }`
	}
	cafile := "ssl_client_certificate {{ROOT}}/certs/clientca.crt;"
	p := nginxtest.Start(t, "events {}\nhttp {\n    access_log off;\n    ssl_protocols TLSv1.2 TLSv1.3;"+
		srv("", "server_name localhost; ssl_verify_client on; "+cafile)+
		srv("1", "server_name localhost; ssl_verify_client optional; "+cafile)+
		srv("2", "ssl_verify_client optional_no_ca; "+cafile)+
		srv("3", "ssl_verify_client on; ssl_verify_depth 2; "+cafile)+
		srv("4", "ssl_verify_client optional_no_ca;")+
		srv("5", "ssl_verify_client on; ssl_verify_depth 0; "+cafile)+
		srv("6", "ssl_verify_client optional; ssl_trusted_certificate {{ROOT}}/certs/clientca.crt; ssl_client_certificate {{ROOT}}/certs/otherca.crt;")+
		// A second server on the first two addresses: names are looked
		// up there, and a Host other than the TLS name gets 421.
		"\n    server { listen 127.0.0.1:{{PORT}} ssl; listen 127.0.0.1:{{PORT1}} ssl; server_name other.test; ssl_certificate {{ROOT}}/certs/server.crt; ssl_certificate_key {{ROOT}}/certs/server.key; return 200 \"other\n\"; }"+
		"\n}\n", nginxtest.Options{Ports: 7, Files: withOther(f, other)})

	long := time.Now().Add(-2 * 365 * 24 * time.Hour).Truncate(time.Second)
	certs := []struct {
		name string
		c    *testcerts.Cert
	}{
		{"none", nil},
		{"good", ca.Client(t, testcerts.Opts{Org: "Example, Inc."}, "alice")},
		{"good RSA", ca.Client(t, testcerts.Opts{Key: testcerts.RSA}, "bob")},
		{"intermediate", inter.Client(t, testcerts.Opts{}, "carol")},
		{"unknown CA", other.Client(t, testcerts.Opts{}, "dave")},
		{"self-signed", testcerts.SelfSignedClient(t, testcerts.Opts{}, "eve")},
		{"expired", ca.Client(t, testcerts.Opts{NotBefore: long, NotAfter: long.Add(24 * time.Hour)}, "frank")},
		{"not yet valid", ca.Client(t, testcerts.Opts{NotBefore: time.Now().Add(48 * time.Hour).Truncate(time.Second)}, "grace")},
		{"server purpose", ca.Client(t, testcerts.Opts{EKU: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, "heidi")},
	}
	for port := 0; port < 7; port++ {
		for _, c := range certs {
			for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
				cfg := client("localhost")
				cfg.MaxVersion = v
				if c.c != nil {
					cert := c.c.TLS()
					// Sent whatever CA names the server lists.
					cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
				}
				for _, path := range []string{"/", "/cert"} {
					ng, gp := p.BothTLS(t, port, cfg, get("localhost", path))
					compareTLS(t, p, fmt.Sprintf("port %d, %s, %s, TLS %x", port, c.name, path, v), ng, gp)
				}
			}
		}
		// Host other than the TLS name: 421 where clients are verified.
		cfg := client("localhost")
		cert := certs[1].c.TLS()
		cfg.Certificates = []tls.Certificate{cert}
		for _, host := range []string{"other.test", "zzz.test", "LOCALHOST", "localhost."} {
			ng, gp := p.BothTLS(t, port, cfg, get(host, "/"))
			compareTLS(t, p, fmt.Sprintf("port %d, Host %s", port, host), ng, gp)
			if port < 2 && host == "zzz.test" && gp.Status != 421 {
				t.Errorf("port %d, Host %s: status %d, want 421", port, host, gp.Status)
			}
		}
		ng, gp := p.BothTLS(t, port, client(""), get("other.test", "/"))
		compareTLS(t, p, fmt.Sprintf("port %d, no SNI, Host other.test", port), ng, gp)
		// A client that picks its certificate by the CA names the
		// server sends: one from an unknown CA is not sent.
		for _, c := range certs[1:6] {
			cfg := client("localhost")
			cfg.Certificates = []tls.Certificate{c.c.TLS()}
			ng, gp := p.BothTLS(t, port, cfg, get("localhost", "/"))
			compareTLS(t, p, fmt.Sprintf("port %d, %s chosen by CA names", port, c.name), ng, gp)
		}
	}
}

func withOther(f files, other *testcerts.Cert) files {
	f["certs/otherca.crt"] = string(other.CertPEM)
	return f
}

// TestProtocols checks ssl_protocols: a TLS 1.2-only server refuses a
// TLS 1.3-only client and the other way round.
func TestProtocols(t *testing.T) {
	ca := testcerts.NewCA(t, "Root")
	f := files{}
	f.add("server", ca.Server(t, testcerts.Opts{}, "localhost"))
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    ssl_certificate {{ROOT}}/certs/server.crt;
    ssl_certificate_key {{ROOT}}/certs/server.key;
    server { listen 127.0.0.1:{{PORT}} ssl; ssl_protocols TLSv1.2; return 200 "$ssl_protocol $ssl_cipher\n"; }
    server { listen 127.0.0.1:{{PORT1}} ssl; ssl_protocols TLSv1.3; return 200 "$ssl_protocol $ssl_cipher\n"; }
    server { listen 127.0.0.1:{{PORT2}} ssl; ssl_protocols TLSv1.2 TLSv1.3; return 200 "$ssl_protocol $ssl_cipher\n"; }
    server { listen 127.0.0.1:{{PORT3}} ssl; ssl_protocols TLSv1.2; ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384; return 200 "$ssl_protocol $ssl_cipher\n"; }
    server { listen 127.0.0.1:{{PORT4}} ssl; ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; return 200 "$ssl_protocol $ssl_cipher\n"; }
    server { listen 127.0.0.1:{{PORT5}} ssl; return 200 "$ssl_protocol $ssl_cipher\n"; }
}
`, nginxtest.Options{Ports: 6, Files: f})
	only := func(v uint16, suites ...uint16) *tls.Config {
		c := client("localhost")
		c.MinVersion, c.MaxVersion = v, v
		c.CipherSuites = suites
		return c
	}
	for port := 0; port < 6; port++ {
		for _, c := range []struct {
			name string
			cfg  *tls.Config
		}{
			{"TLS 1.2 only", only(tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)},
			{"TLS 1.2 AES-256", only(tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)},
			{"TLS 1.2 CHACHA20", only(tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)},
			{"TLS 1.3 only", only(tls.VersionTLS13)},
			{"TLS 1.0 only", only(tls.VersionTLS10, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA)},
			{"TLS 1.1 only", only(tls.VersionTLS11, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA)},
			{"any", client("localhost")},
		} {
			ng, gp := p.BothTLS(t, port, c.cfg, get("localhost", "/"))
			if port == 5 && (c.name == "TLS 1.3 only" || c.name == "any") {
				// Deliberate: without ssl_protocols goproxy offers TLS
				// 1.3, as nginx does since 1.23.4; 1.22 does not.
				if gp.HandshakeErr != nil || gp.State.Version != tls.VersionTLS13 {
					t.Errorf("default protocols: goproxy did not negotiate TLS 1.3: %v", gp.HandshakeErr)
				}
				continue
			}
			compareTLS(t, p, fmt.Sprintf("port %d, %s", port, c.name), ng, gp)
		}
	}
}

// TestPlainHTTPOnTLSPort checks nginx's 497: plain HTTP to a TLS address
// gets a 400 with the 497 page, or what error_page 497 says; the server
// is still chosen by the Host header.
func TestPlainHTTPOnTLSPort(t *testing.T) {
	ca := testcerts.NewCA(t, "Root")
	f := files{}
	f.add("server", ca.Server(t, testcerts.Opts{}, "localhost"))
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    ssl_certificate {{ROOT}}/certs/server.crt;
    ssl_certificate_key {{ROOT}}/certs/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    server { listen 127.0.0.1:{{PORT}} ssl; server_name localhost; return 200 "tls\n"; }
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        server_name redirect.test;
        error_page 497 =301 https://$host:$server_port$request_uri;
        return 200 "tls\n";
    }
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        server_name page.test;
        error_page 497 /497.html;
        location = /497.html { root {{ROOT}}; }
        location / { return 200 "tls\n"; }
    }
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        server_name keep.test;
        error_page 497 = /plain;
        location = /plain { return 200 "scheme=$scheme https=[$https] proto=[$ssl_protocol] $request_uri\n"; }
        location / { return 200 "tls\n"; }
    }
}
`, nginxtest.Options{Files: map[string]string{"497.html": "use https\n", "certs/server.crt": f["certs/server.crt"], "certs/server.key": f["certs/server.key"]}})
	for _, r := range []string{
		nginxtest.Get("/"),
		nginxtest.Get("/x?y=1"),
		nginxtest.Req("HEAD", "/x"),
		nginxtest.Req("POST", "/x", "Content-Length: 3") + "abc",
		"GET /x?y=1 HTTP/1.1\r\nHost: redirect.test\r\nConnection: close\r\n\r\n",
		"GET /a/b HTTP/1.1\r\nHost: page.test\r\nConnection: close\r\n\r\n",
		"GET /a/b?c HTTP/1.1\r\nHost: keep.test\r\nConnection: close\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: redirect.test\r\n\r\n",
		"GET /x HTTP/1.0\r\n\r\n",
		"GET /\r\n",
		"BAD\r\n\r\n",
		"GET /x HTTP/1.1\r\n\r\n",
	} {
		p.Compare(t, r)
	}
	// TLS on the same port still works.
	ng, gp := p.BothTLS(t, 0, client("localhost"), get("localhost", "/"))
	compareTLS(t, p, "TLS", ng, gp)
}

// TestPasswordFile checks ssl_password_file with an encrypted key: the
// right pass phrase among several serves, as in nginx.
func TestPasswordFile(t *testing.T) {
	ca := testcerts.NewCA(t, "Root")
	srv := ca.Server(t, testcerts.Opts{}, "localhost")
	rsaSrv := ca.Server(t, testcerts.Opts{Key: testcerts.RSA}, "rsa.test")
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    ssl_protocols TLSv1.2 TLSv1.3;
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        ssl_certificate {{ROOT}}/certs/server.crt;
        ssl_certificate_key {{ROOT}}/certs/server.key;
        ssl_certificate {{ROOT}}/certs/rsa.crt;
        ssl_certificate_key {{ROOT}}/certs/rsa.key;
        ssl_password_file {{ROOT}}/certs/pass;
        return 200 "ok\n";
    }
}
`, nginxtest.Options{Files: map[string]string{
		"certs/server.crt": string(srv.CertPEM), "certs/server.key": string(srv.EncryptedKeyPEM(t, "second")),
		"certs/rsa.crt": string(rsaSrv.CertPEM), "certs/rsa.key": string(rsaSrv.EncryptedKeyPEM(t, "first")),
		"certs/pass": "first\nsecond\n",
	}})
	rsaOnly := client("localhost")
	rsaOnly.MaxVersion = tls.VersionTLS12
	rsaOnly.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
	for _, cfg := range []*tls.Config{client("localhost"), rsaOnly} {
		ng, gp := p.BothTLS(t, 0, cfg, get("localhost", "/"))
		compareTLS(t, p, "encrypted key", ng, gp)
		if gp.HandshakeErr != nil || !strings.Contains(string(gp.Body), "ok") {
			t.Errorf("goproxy did not serve with the encrypted key: %v %q", gp.HandshakeErr, gp.Body)
		}
	}
}

// TestSessionResumption checks ssl_session_tickets: a second connection
// resumes ($ssl_session_reused "r") only when tickets are on.
func TestSessionResumption(t *testing.T) {
	ca := testcerts.NewCA(t, "Root")
	f := files{}
	f.add("server", ca.Server(t, testcerts.Opts{}, "localhost"))
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    ssl_certificate {{ROOT}}/certs/server.crt;
    ssl_certificate_key {{ROOT}}/certs/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    server { listen 127.0.0.1:{{PORT}} ssl; return 200 "reused=$ssl_session_reused\n"; }
    server { listen 127.0.0.1:{{PORT1}} ssl; ssl_session_tickets off; return 200 "reused=$ssl_session_reused\n"; }
}
`, nginxtest.Options{Ports: 2, Files: f})
	for port := 0; port < 2; port++ {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			for _, srv := range []*nginxtest.Server{p.Nginx, p.Go} {
				cfg := client("localhost")
				cfg.MaxVersion = v
				cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
				first := nginxtest.DoTLS(t, srv.AddrN(port), cfg, get("localhost", "/"))
				second := nginxtest.DoTLS(t, srv.AddrN(port), cfg, get("localhost", "/"))
				want := port == 0
				if first.HandshakeErr != nil || second.HandshakeErr != nil {
					t.Fatalf("%s: %v %v", srv.Name, first.HandshakeErr, second.HandshakeErr)
				}
				if second.State.DidResume != want || !strings.Contains(string(second.Body), map[bool]string{true: "reused=r", false: "reused=."}[want]) {
					t.Errorf("%s port %d TLS %x: resumed %v, body %q; want resumed %v", srv.Name, port, v, second.State.DidResume, second.Body, want)
				}
			}
		}
	}
}
