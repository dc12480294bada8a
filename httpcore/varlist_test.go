package httpcore_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
)

// notFoundOK are variables that have no value without a TLS client
// certificate or an upstream; their evaluation is still checked.
var notFoundOK = map[string]bool{
	// Only on a connection that sent a PROXY protocol header.
	"proxy_protocol_addr": true, "proxy_protocol_port": true,
	"proxy_protocol_server_addr": true, "proxy_protocol_server_port": true,
}

// TestSupportedVariablesEvaluate keeps confparse's list of variables
// goproxy accepts and httpcore's evaluator in agreement: every name the
// configuration may use must be known here.
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
	for _, name := range confparse.SupportedVariables {
		if _, ok := rq.Var(name); !ok && !notFoundOK[name] {
			t.Errorf("$%s is listed as supported but not evaluated", name)
		}
	}
	for _, p := range confparse.SupportedVariablePrefixes {
		if _, ok := rq.Var(p + "x"); !ok {
			t.Errorf("$%sx is listed as supported but not evaluated", p)
		}
	}
	if v, _ := rq.Var("arg_x"); v != "1" {
		t.Errorf("$arg_x = %q", v)
	}
}

// TestSSLSessionAndBodyVariables: $ssl_session_id is the hex of the
// connection's session id (empty without one, or without TLS), and
// $request_body is the body a module read into memory.
func TestSSLSessionAndBodyVariables(t *testing.T) {
	r := httptest.NewRequest("POST", "/", nil)
	rq := &httpcore.Request{W: httptest.NewRecorder(), R: r, Conn: &httpd.Conn{}}
	if v, _ := rq.Var("ssl_session_id"); v != "" {
		t.Errorf("without TLS: $ssl_session_id = %q", v)
	}
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS12}
	if v, _ := rq.Var("ssl_session_id"); v != "" {
		t.Errorf("no session id: $ssl_session_id = %q", v)
	}
	rq.Conn.SSLSessionID = []byte{0xab, 0x01}
	if v, _ := rq.Var("ssl_session_id"); v != "ab01" {
		t.Errorf("$ssl_session_id = %q, want ab01", v)
	}
	if v, _ := rq.Var("request_body"); v != "" {
		t.Errorf("unread: $request_body = %q", v)
	}
	rq.RequestBody = []byte("0123")
	if v, _ := rq.Var("request_body"); v != "0123" {
		t.Errorf("$request_body = %q", v)
	}
}
