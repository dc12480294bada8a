package ssl_test

import (
	"bytes"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
	"golang.org/x/net/dns/dnsmessage"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
	"goproxy/internal/testdns"
)

// ocspResponder is a Go OCSP responder: it answers GET /BASE64 with the
// response set for the asked serial, and counts the requests.
type ocspResponder struct {
	mu    sync.Mutex
	resp  map[string][]byte // by serial
	asked int
	srv   *httptest.Server
}

func newOCSPResponder(t *testing.T) *ocspResponder {
	r := &ocspResponder{resp: map[string][]byte{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		raw, err := url.PathUnescape(strings.TrimPrefix(q.URL.EscapedPath(), "/"))
		der, err2 := base64.StdEncoding.DecodeString(raw)
		if err != nil || err2 != nil {
			http.Error(w, "bad request", 400)
			return
		}
		req, err := ocsp.ParseRequest(der)
		if err != nil {
			http.Error(w, "bad request", 400)
			return
		}
		r.mu.Lock()
		r.asked++
		b := r.resp[req.SerialNumber.String()]
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(b)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *ocspResponder) set(c *testcerts.Cert, der []byte) {
	r.mu.Lock()
	r.resp[c.Cert.SerialNumber.String()] = der
	r.mu.Unlock()
}

// TestStaplingDiff: nginx and goproxy staple alike. The first client
// that asks starts the fetch and gets none; later ones get the response
// if its status is good and, with ssl_stapling_verify, its signer is the
// issuer found in ssl_trusted_certificate; a revoked status is not
// stapled; ssl_stapling_file staples the file whatever it says.
func TestStaplingDiff(t *testing.T) {
	ca := testcerts.NewCA(t, "Root")
	good := ca.Server(t, testcerts.Opts{}, "good.test")
	revoked := ca.Server(t, testcerts.Opts{Key: testcerts.RSA}, "revoked.test")
	other := testcerts.NewCA(t, "Root") // the same name, another key
	r := newOCSPResponder(t)
	r.set(good, ca.OCSPResponse(t, good, ocsp.Good))
	r.set(revoked, ca.OCSPResponse(t, revoked, ocsp.Revoked))
	f := files{"certs/ca.crt": string(ca.CertPEM), "certs/other.crt": string(other.CertPEM)}
	f.add("good", good)
	f.add("revoked", revoked)
	f["certs/revoked.der"] = string(ca.OCSPResponse(t, revoked, ocsp.Revoked))
	conf := "events {}\nhttp {\n    access_log off;\n    ssl_stapling on;\n" +
		"    ssl_stapling_responder " + r.srv.URL + "/;\n    ssl_trusted_certificate {{ROOT}}/certs/ca.crt;\n" +
		stapledServer("", "good", "ssl_stapling_verify on;") +
		stapledServer("1", "revoked", "") +
		stapledServer("2", "revoked", "ssl_stapling_file {{ROOT}}/certs/revoked.der;") +
		stapledServer("3", "good", "ssl_trusted_certificate {{ROOT}}/certs/other.crt; ssl_stapling_verify on;") +
		"}\n"
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 4, Files: f})
	stapled := func(port int) (ng, gp bool) {
		t.Helper()
		a, b := p.BothTLS(t, port, client("x.test"), "")
		if a.HandshakeErr != nil || b.HandshakeErr != nil {
			t.Fatalf("port %d: handshake: nginx %v, goproxy %v", port, a.HandshakeErr, b.HandshakeErr)
		}
		return len(a.State.OCSPResponse) > 0, len(b.State.OCSPResponse) > 0
	}
	for port := 0; port < 4; port++ {
		ng, gp := stapled(port)
		if ng != gp || ng != (port == 2) {
			t.Errorf("port %d, first handshake: stapled by nginx %v, goproxy %v", port, ng, gp)
		}
	}
	want := []bool{true, false, true, false}
	deadline := time.Now().Add(5 * time.Second)
	for port := 0; port < 4; port++ {
		for {
			ng, gp := stapled(port)
			if ng == want[port] && gp == want[port] {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("port %d: stapled by nginx %v, goproxy %v; want %v\n%s", port, ng, gp, want[port], grepOCSP(p.Nginx.ErrorLog()))
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	a, b := p.BothTLS(t, 2, client("x.test"), "")
	if !bytes.Equal(a.State.OCSPResponse, b.State.OCSPResponse) || len(b.State.OCSPResponse) == 0 {
		t.Error("ssl_stapling_file: the servers staple different responses")
	}
	// A staple is fetched once, not once a handshake.
	r.mu.Lock()
	asked := r.asked
	r.mu.Unlock()
	for i := 0; i < 3; i++ {
		stapled(0)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.asked != asked {
		t.Errorf("the responder was asked %d more times for a response still fresh", r.asked-asked)
	}
}

func grepOCSP(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "OCSP") && !strings.Contains(l, "[debug]") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestStaplingResolver: a responder named by host is looked up with the
// server's "resolver" when the response is fetched, in nginx and in
// goproxy (both look the name up with the system's resolver too, when
// the configuration loads, and ignore ssl_stapling if it is not found).
func TestStaplingResolver(t *testing.T) {
	ca := testcerts.NewCA(t, "Root")
	good := ca.Server(t, testcerts.Opts{}, "good.test")
	r := newOCSPResponder(t)
	r.set(good, ca.OCSPResponse(t, good, ocsp.Good))
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(r.srv.URL, "http://"))
	f := files{"certs/ca.crt": string(ca.CertPEM)}
	f.add("good", good)
	dns := testdns.Start(t, func(_ string, typ dnsmessage.Type) testdns.Reply {
		if typ != dnsmessage.TypeA {
			return testdns.Reply{}
		}
		return testdns.Reply{RRs: []testdns.RR{{Type: dnsmessage.TypeA, Value: "127.0.0.1", TTL: 60}}}
	})
	trusted := "ssl_trusted_certificate {{ROOT}}/certs/ca.crt; ssl_stapling on; "
	conf := "events {}\nhttp {\n    access_log off;\n" +
		stapledServer("", "good", "resolver "+dns.Addr()+" ipv6=off; "+trusted+"ssl_stapling_responder http://localhost:"+port+"/;") +
		stapledServer("1", "good", trusted+"ssl_stapling_responder http://ocsp.invalid:"+port+"/;") +
		"}\n"
	p := nginxtest.Start(t, conf, nginxtest.Options{Files: f, Ports: 2})
	for _, l := range []string{p.Nginx.ErrorLog(), p.Go.ErrorLog()} {
		if !strings.Contains(l, `"ssl_stapling" ignored, host not found in OCSP responder "ocsp.invalid:`+port+`/"`) {
			t.Errorf("no warning for a responder not found:\n%s", l)
		}
	}
	p.BothTLS(t, 0, client("x.test"), "")
	p.BothTLS(t, 1, client("x.test"), "")
	deadline := time.Now().Add(5 * time.Second)
	for {
		a, b := p.BothTLS(t, 0, client("x.test"), "")
		ng, gp := len(a.State.OCSPResponse) > 0, len(b.State.OCSPResponse) > 0
		if ng && gp {
			if n := len(dns.Asked()); n < 2 {
				t.Errorf("the resolver was asked %d times, want once by each server", n)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stapled by nginx %v, goproxy %v\nnginx: %s\ngoproxy: %s", ng, gp, grepOCSP(p.Nginx.ErrorLog()), p.Go.ErrorLog())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stapledServer is a server block on {{PORTn}} with certificate name
// and the directives of extra.
func stapledServer(n, name, extra string) string {
	return "    server {\n        listen 127.0.0.1:{{PORT" + n + "}} ssl;\n" +
		"        ssl_certificate {{ROOT}}/certs/" + name + ".crt;\n        ssl_certificate_key {{ROOT}}/certs/" + name + ".key;\n" +
		"        " + extra + "\n        return 200 \"ok\\n\";\n    }\n"
}
