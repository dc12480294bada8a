package httpcore_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
	_ "goproxy/proxy" // registers $upstream_cache_status
)

// notFoundOK are variables that have no value without a TLS client
// certificate or an upstream; their evaluation is still checked.
var notFoundOK = map[string]bool{
	// Only on a connection that sent a PROXY protocol header.
	"proxy_protocol_addr": true, "proxy_protocol_port": true,
	"proxy_protocol_server_addr": true, "proxy_protocol_server_port": true,
	// Only once gzip or limit_conn/limit_req have looked at the request.
	"gzip_ratio": true, "limit_req_status": true, "limit_conn_status": true,
	// Only once a module read the body into memory.
	"request_body": true,
	// Only with a cached response, once a trailer of the name is sent,
	// once a body is in a file.
	"upstream_cache_status": true, "sent_trailer_x": true, "request_body_file": true,
	// Only where secure_link applies and the link is good.
	"secure_link": true, "secure_link_expires": true,
	// Only where userid is on and there is a cookie to read or set.
	"uid_got": true, "uid_set": true,
	// Only in a request the slice module answers.
	"slice_range": true,
	// Only in a server with acme_certificate, once it is issued.
	"acme_certificate": true, "acme_certificate_key": true,
}

// TestSupportedVariablesEvaluate checks that every variable the
// registered tables declare to confparse evaluates.
func TestSupportedVariablesEvaluate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nginx.conf")
	os.WriteFile(path, []byte("events {} http { server { } }"), 0644)
	cfg, err := confparse.Load(confparse.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/a/b?x=1", nil)
	r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	r.Header.Set("Content-Length", "0")
	r.Header.Set("Content-Type", "text/plain")
	r.Header.Set("X", "1")
	r.Header.Set("Cookie", "x=1")
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13}
	rq := &httpcore.Request{W: httptest.NewRecorder(), R: r, Cfg: cfg, URI: "/a/b", Args: "x=1",
		Loc: cfg.HTTP.Servers[0].Loc}
	rq.Upstream = &httpcore.UpstreamInfo{Header: http.Header{"X": {"1"}, "Set-Cookie": {"x=1"}}}
	rq.W.Header().Set("X", "1")
	for _, name := range confparse.DeclaredVariables() {
		if strings.HasSuffix(name, "_") {
			name += "x" // a family: one of its names
		}
		if _, ok := rq.Var(name); !ok && !notFoundOK[name] {
			t.Errorf("$%s is declared but not evaluated", name)
		}
	}
	if v, _ := rq.Var("arg_x"); v != "1" {
		t.Errorf("$arg_x = %q", v)
	}
}

// TestSentHeaderVarJoins checks $sent_http_*: nginx 1.22 joins the
// values of Cache-Control and Link (kept as lists) with ", ", and gives
// the first value of any other repeated response header.
func TestSentHeaderVarJoins(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	rq := &httpcore.Request{W: httptest.NewRecorder(), R: r}
	h := rq.W.Header()
	h["Cache-Control"] = []string{"max-age=3600", "private", "must-revalidate"}
	h["Link"] = []string{"<a>", "<b>"}
	h["X-A"] = []string{"1", "2"}
	h["Set-Cookie"] = []string{"c1", "c2"}
	h["X-Empty"] = []string{""}
	for name, want := range map[string]string{
		"sent_http_cache_control": "max-age=3600, private, must-revalidate",
		"sent_http_link":          "<a>, <b>",
		"sent_http_x_a":           "1",
		"sent_http_set_cookie":    "c1",
		"sent_http_x_empty":       "",
	} {
		if v, ok := rq.Var(name); !ok || v != want {
			t.Errorf("$%s = %q, %v; want %q", name, v, ok, want)
		}
	}
	if _, ok := rq.Var("sent_http_x_none"); ok {
		t.Errorf("$sent_http_x_none found")
	}
}

// TestSSLSessionID: $ssl_session_id is the hex of the connection's
// session id (empty without one, or without TLS).
func TestSSLSessionID(t *testing.T) {
	r := httptest.NewRequest("POST", "/", nil)
	rq := &httpcore.Request{W: httptest.NewRecorder(), R: r, Conn: &httpd.Conn{}}
	if v, _ := rq.Var("ssl_session_id"); v != "" {
		t.Errorf("without TLS: $ssl_session_id = %q", v)
	}
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS12}
	if v, _ := rq.Var("ssl_session_id"); v != "" {
		t.Errorf("no session id: $ssl_session_id = %q", v)
	}
	rq.Conn.Hello = &httpd.TLSHello{SessionID: []byte{0xab, 0x01}}
	if v, _ := rq.Var("ssl_session_id"); v != "ab01" {
		t.Errorf("$ssl_session_id = %q, want ab01", v)
	}
}
