package process_test

// h2_test.go compares nginx and goproxy over HTTP/2: with TLS (ALPN
// "h2") and in clear text with prior knowledge ("listen ... http2"
// without ssl), static files, ranges, autoindex, gzip, error pages,
// redirects and proxied requests (the upstream speaks HTTP/1.1), with the
// golang.org/x/net/http2 client.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
)

// h2Client is an HTTP/2 client: over TLS (ALPN) or clear text.
func h2Client(tlsMode bool) *http.Client {
	tr := &http2.Transport{DisableCompression: true}
	if tlsMode {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}
	} else {
		tr.AllowHTTP = true
		tr.DialTLSContext = func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type h2req struct {
	method, path string
	headers      []string
	body         string
}

// h2Do sends one request and returns the response in the harness's
// form, or the error.
func h2Do(c *http.Client, base string, q h2req) (*nginxtest.Response, string, error) {
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	req, err := http.NewRequest(q.method, base+q.path, body)
	if err != nil {
		return nil, "", err
	}
	for _, h := range q.headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	if resp.Header.Get("Content-Encoding") == "gzip" && len(b) > 0 {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, "", err
		}
		if b, err = io.ReadAll(zr); err != nil {
			return nil, "", err
		}
	}
	return &nginxtest.Response{Status: resp.StatusCode, Proto: resp.Proto, Header: resp.Header, Body: b}, resp.Proto, nil
}

// upstream is an HTTP/1.1 application that echoes what it got.
func upstream(t *testing.T) string {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var keys []string
		for k := range r.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Upstream", "yes")
		fmt.Fprintf(w, "%s %s %s host=%s len=%d body=%q\n", r.Method, r.RequestURI, r.Proto, r.Host, r.ContentLength, b)
		for _, k := range keys {
			fmt.Fprintf(w, "%s: %s\n", k, strings.Join(r.Header[k], " | "))
		}
	}))
	t.Cleanup(up.Close)
	return strings.TrimPrefix(up.URL, "http://")
}

func h2Files(t *testing.T) map[string]string {
	ca := testcerts.NewCA(t, "Root")
	srv := ca.Server(t, testcerts.Opts{}, "localhost")
	css := strings.Repeat("body { color: red; }\n", 200)
	return map[string]string{
		"certs/server.crt": string(srv.CertPEM), "certs/server.key": string(srv.KeyPEM),
		"www/index.html": "<h1>hello</h1>\n", "www/file.txt": "0123456789abcdef\n",
		"www/style.css": css, "www/dir/": "", "www/dir/a.txt": "a\n", "www/dir/b.html": "b\n",
		"www/404.html": "custom not found\n", "www/big.bin": strings.Repeat("x", 200000),
	}
}

const h2Conf = `events {}
http {
    access_log off;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate {{ROOT}}/certs/server.crt;
    ssl_certificate_key {{ROOT}}/certs/server.key;
    types { text/html html; text/plain txt; text/css css; }
    gzip on;
    gzip_types text/css;
    upstream app { server {{UP}}; }
    server {
        listen 127.0.0.1:{{PORT}} ssl http2;
        listen 127.0.0.1:{{PORT1}} http2;
        server_name localhost;
        root {{ROOT}}/www;
        location /dir/ { autoindex on; }
        location /api/ { proxy_pass http://app; }
        location /err/ { error_page 404 /404.html; }
        location /vars {
            return 200 "proto=$server_protocol host=$host http_host=$http_host scheme=$scheme https=$https alpn=$ssl_alpn_protocol uri=$request_uri args=$args cookie=$http_cookie request=$request method=$request_method len=$content_length\n";
        }
        location /ret444 { return 444; }
        location /redir { return 301 /x; }
        location /teapot { return 418; }
    }
}
`

var h2Requests = []h2req{
	{method: "GET", path: "/index.html"},
	{method: "GET", path: "/"},
	{method: "HEAD", path: "/index.html"},
	{method: "GET", path: "/file.txt", headers: []string{"Range: bytes=2-5"}},
	{method: "GET", path: "/file.txt", headers: []string{"Range: bytes=0-1,4-5"}},
	{method: "GET", path: "/file.txt", headers: []string{"Range: bytes=100-"}},
	{method: "GET", path: "/file.txt", headers: []string{"If-Modified-Since: " + nginxtest.Mtime.Format(http.TimeFormat)}},
	{method: "GET", path: "/style.css", headers: []string{"Accept-Encoding: gzip"}},
	{method: "GET", path: "/style.css"},
	{method: "GET", path: "/big.bin"},
	{method: "GET", path: "/dir/"},
	{method: "GET", path: "/dir"},
	{method: "GET", path: "/dir/../file.txt"},
	{method: "GET", path: "/%64ir/a.txt"},
	{method: "GET", path: "/missing"},
	{method: "GET", path: "/err/missing"},
	{method: "POST", path: "/index.html", body: "x"},
	{method: "DELETE", path: "/file.txt"},
	{method: "GET", path: "/api/echo?x=1&y=%41"},
	{method: "GET", path: "/api/echo", headers: []string{"Cookie: a=1", "Cookie: b=2", "X-Custom: v"}},
	{method: "POST", path: "/api/post", headers: []string{"Content-Type: text/plain"}, body: "hello upstream"},
	{method: "GET", path: "/vars?a=b", headers: []string{"Cookie: a=1", "Cookie: b=2"}},
	{method: "POST", path: "/vars", body: "12345"},
	{method: "GET", path: "/redir"},
	{method: "GET", path: "/teapot"},
	{method: "GET", path: "/file.txt", headers: []string{"X-Big: " + strings.Repeat("v", 9000)}},
	{method: "GET", path: "/file.txt", headers: []string{"X-A: " + strings.Repeat("v", 8000), "X-B: " + strings.Repeat("v", 8000),
		"X-C: " + strings.Repeat("v", 8000), "X-D: " + strings.Repeat("v", 8000)}},
	// Over the limits of large_client_header_buffers (4 8k): one field
	// longer than a buffer as sent (HPACK, Huffman-coded), or all of
	// them longer than all buffers: the request fails (nginx: GOAWAY
	// ENHANCE_YOUR_CALM; goproxy: the stream is reset, then GOAWAY).
	{method: "GET", path: "/file.txt", headers: []string{"X-Big: " + strings.Repeat("v", 12000)}},
	{method: "GET", path: "/api/x", headers: []string{"X-A: " + strings.Repeat("v", 7000), "X-B: " + strings.Repeat("v", 7000),
		"X-C: " + strings.Repeat("v", 7000), "X-D: " + strings.Repeat("v", 7000), "X-E: " + strings.Repeat("v", 7000)}},
}

// TestHTTP2LikeNginx sends the same HTTP/2 requests to both, over TLS and
// in clear text.
func TestHTTP2LikeNginx(t *testing.T) {
	conf := strings.ReplaceAll(h2Conf, "{{UP}}", upstream(t))
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 2, Files: h2Files(t)})
	for _, mode := range []struct {
		name string
		tls  bool
		port int
	}{{"h2", true, 0}, {"h2c", false, 1}} {
		scheme := "http"
		if mode.tls {
			scheme = "https"
		}
		nc, gc := h2Client(mode.tls), h2Client(mode.tls)
		for _, q := range h2Requests {
			what := mode.name + " " + q.method + " " + q.path
			if len(what) > 80 {
				what = what[:80]
			}
			ng, nproto, nerr := h2Do(nc, scheme+"://"+p.Nginx.AddrN(mode.port), q)
			gp, gproto, gerr := h2Do(gc, scheme+"://"+p.Go.AddrN(mode.port), q)
			if (nerr == nil) != (gerr == nil) {
				t.Errorf("%s: nginx error %v, goproxy error %v", what, nerr, gerr)
				continue
			}
			if nerr != nil {
				continue
			}
			if nproto != "HTTP/2.0" || gproto != "HTTP/2.0" {
				t.Errorf("%s: protocols nginx %s, goproxy %s", what, nproto, gproto)
			}
			if d := p.Diff(ng, gp); d != "" {
				t.Errorf("%s:\n%s\n--- nginx:\n%v\n%s\n--- goproxy:\n%v\n%s", what, d, ng.Header, clip(ng.Body), gp.Header, clip(gp.Body))
			}
		}
	}
	// A stream reset (return 444) fails the request on both, and the
	// connection carries the next one.
	for _, srv := range []*nginxtest.Server{p.Nginx, p.Go} {
		c := h2Client(true)
		if _, _, err := h2Do(c, "https://"+srv.AddrN(0), h2req{method: "GET", path: "/ret444"}); err == nil {
			t.Errorf("%s: return 444 over HTTP/2 answered", srv.Name)
		}
		if r, _, err := h2Do(c, "https://"+srv.AddrN(0), h2req{method: "GET", path: "/file.txt"}); err != nil || r.Status != 200 {
			t.Errorf("%s: after a reset stream: %v", srv.Name, err)
		}
	}
}

func clip(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// TestHTTP2CleartextOnly checks that "listen ... http2" without ssl
// speaks HTTP/2 only (nginx 1.22): an HTTP/1.1 request gets no HTTP/1.1
// answer, and HTTPS with HTTP/1.1 still works on the TLS address.
func TestHTTP2CleartextOnly(t *testing.T) {
	conf := strings.ReplaceAll(h2Conf, "{{UP}}", upstream(t))
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 2, Files: h2Files(t)})
	for _, srv := range []*nginxtest.Server{p.Nginx, p.Go} {
		r := nginxtest.Do(t, srv.AddrN(1), nginxtest.Get("/index.html"))
		if r.Status != 0 || bytes.HasPrefix(r.Raw, []byte("HTTP/")) {
			t.Errorf("%s: HTTP/1.1 on an http2 address answered %q", srv.Name, clip(r.Raw))
		}
		// The server's first frame is its SETTINGS.
		if len(r.Raw) < 9 || r.Raw[3] != 0x4 {
			t.Errorf("%s: HTTP/1.1 on an http2 address: no SETTINGS frame first: %q", srv.Name, clip(r.Raw))
		}
	}
	ng, gp := p.BothTLS(t, 0, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost", NextProtos: []string{"http/1.1"}},
		nginxtest.Get("/index.html"))
	if ng.HandshakeErr != nil || gp.HandshakeErr != nil {
		t.Fatalf("handshakes: %v %v", ng.HandshakeErr, gp.HandshakeErr)
	}
	if d := p.Diff(ng.Response, gp.Response); d != "" || ng.State.NegotiatedProtocol != gp.State.NegotiatedProtocol {
		t.Errorf("HTTP/1.1 over TLS on an http2 address: %s (ALPN %q, %q)", d, ng.State.NegotiatedProtocol, gp.State.NegotiatedProtocol)
	}
	// ALPN offers h2 first.
	ng, gp = p.BothTLS(t, 0, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost", NextProtos: []string{"h2", "http/1.1"}}, "")
	if ng.State.NegotiatedProtocol != "h2" || gp.State.NegotiatedProtocol != "h2" {
		t.Errorf("ALPN: nginx %q, goproxy %q", ng.State.NegotiatedProtocol, gp.State.NegotiatedProtocol)
	}
}

// serverSettings opens a clear-text HTTP/2 connection and returns the
// server's SETTINGS.
func serverSettings(t *testing.T, addr string) map[http2.SettingID]uint32 {
	t.Helper()
	c, fr := nginxtest.DialH2(t, addr)
	defer c.Close()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
			out := map[http2.SettingID]uint32{}
			sf.ForeachSetting(func(s http2.Setting) error { out[s.ID] = s.Val; return nil })
			return out
		}
	}
}

// TestHTTP2Settings checks what nginx's directives announce:
// http2_max_concurrent_streams and http2_body_preread_size (the initial
// window); the obsolete directives are accepted.
func TestHTTP2Settings(t *testing.T) {
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    http2_recv_buffer_size 128k;
    server {
        listen 127.0.0.1:{{PORT}} http2;
        http2_max_concurrent_streams 7;
        http2_body_preread_size 32k;
        http2_chunk_size 16k;
        http2_idle_timeout 1m;
        http2_max_field_size 4k;
        return 200 "ok\n";
    }
    server {
        listen 127.0.0.1:{{PORT1}} http2;
        return 200 "ok\n";
    }
}
`, nginxtest.Options{Ports: 2})
	for port := 0; port < 2; port++ {
		ng, gp := serverSettings(t, p.Nginx.AddrN(port)), serverSettings(t, p.Go.AddrN(port))
		for _, id := range []http2.SettingID{http2.SettingMaxConcurrentStreams, http2.SettingInitialWindowSize} {
			if ng[id] != gp[id] {
				t.Errorf("port %d, %v: nginx %d, goproxy %d", port, id, ng[id], gp[id])
			}
		}
	}
	// The concurrency limit holds: streams beyond it wait, all finish.
	// One request first, so that the client has the server's SETTINGS
	// before it opens 20 streams: a client that exceeds the announced
	// limit gets its extra streams reset (PROTOCOL_ERROR from Go's
	// server, REFUSED_STREAM from nginx), which is not what this checks.
	c := h2Client(false)
	if _, _, err := h2Do(c, "http://"+p.Go.AddrN(0), h2req{method: "GET", path: "/"}); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		go func() {
			r, _, err := h2Do(c, "http://"+p.Go.AddrN(0), h2req{method: "GET", path: "/"})
			if err == nil && r.Status != 200 {
				err = fmt.Errorf("status %d", r.Status)
			}
			errs <- err
		}()
	}
	for i := 0; i < 20; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestHTTP2On checks the "http2 on" syntax of nginx 1.25.1, a goproxy
// extension here: ALPN h2 for the servers that have it, and on a plain
// address both HTTP/1.1 and HTTP/2 with prior knowledge.
func TestHTTP2On(t *testing.T) {
	files := h2Files(t)
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    ssl_certificate {{ROOT}}/certs/server.crt;
    ssl_certificate_key {{ROOT}}/certs/server.key;
    server {
        listen 127.0.0.1:{{PORT}};
        listen 127.0.0.1:{{PORT1}} ssl;
        server_name localhost;
        http2 on;
        return 200 "$server_name $server_protocol\n";
    }
    server {
        listen 127.0.0.1:{{PORT1}} ssl;
        server_name old.test;
        return 200 "$server_name $server_protocol\n";
    }
}
`, nginxtest.Options{GoOnly: true, Ports: 2, Files: files})
	r := nginxtest.Do(t, p.Go.AddrN(0), nginxtest.Get("/"))
	if r.Status != 200 || string(r.Body) != "localhost HTTP/1.1\n" {
		t.Errorf("HTTP/1.1 on an \"http2 on\" address: %d %q", r.Status, r.Body)
	}
	// A request shorter than the preface is HTTP/1.x too.
	r = nginxtest.Do(t, p.Go.AddrN(0), "GET /\r\n")
	if string(r.Body) != "localhost \n" {
		t.Errorf("HTTP/0.9 on an \"http2 on\" address: %q", r.Raw)
	}
	g, proto, err := h2Do(h2Client(false), "http://"+p.Go.AddrN(0), h2req{method: "GET", path: "/"})
	if err != nil || proto != "HTTP/2.0" || string(g.Body) != "localhost HTTP/2.0\n" {
		t.Errorf("h2c on an \"http2 on\" address: %v %s %v", err, proto, g)
	}
	for sni, want := range map[string]string{"localhost": "h2", "old.test": "http/1.1", "": "h2"} {
		st := nginxtest.DoTLS(t, p.Go.AddrN(1), &tls.Config{InsecureSkipVerify: true, ServerName: sni, NextProtos: []string{"h2", "http/1.1"}}, "")
		if st.HandshakeErr != nil || st.State.NegotiatedProtocol != want {
			t.Errorf("SNI %q: ALPN %q (%v), want %q", sni, st.State.NegotiatedProtocol, st.HandshakeErr, want)
		}
	}
}

// TestHTTP2Shutdown checks that a graceful stop lets a stream in flight
// finish and then ends the HTTP/2 connection.
func TestHTTP2Shutdown(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "slow done\n")
	}))
	defer slow.Close()
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:{{PORT}} http2;
        location / { proxy_pass http://`+strings.TrimPrefix(slow.URL, "http://")+`; }
    }
}
`, nginxtest.Options{GoOnly: true})
	c := h2Client(false)
	quitDuringRequest(t, p, "the HTTP/2 connection", func() (int, string, error) {
		r, _, err := h2Do(c, "http://"+p.Go.Addr(), h2req{method: "GET", path: "/"})
		if err != nil {
			return 0, "", err
		}
		return r.Status, string(r.Body), nil
	})
}

// quitDuringRequest sends a request to a slow location ("slow done\n"
// after a while), stops the server gracefully while it is in flight, and
// wants the answer whole and the stop to end.
func quitDuringRequest(t *testing.T, p *nginxtest.Pair, what string, get func() (int, string, error)) {
	t.Helper()
	done := make(chan string, 1)
	go func() {
		status, body, err := get()
		if err != nil {
			done <- err.Error()
			return
		}
		done <- strconv.Itoa(status) + " " + body
	}()
	time.Sleep(100 * time.Millisecond)
	stopped := make(chan struct{})
	go func() { p.Go.Proc.Quit(); close(stopped) }()
	select {
	case got := <-done:
		if got != "200 slow done\n" {
			t.Errorf("request in flight at a graceful stop: %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("request in flight never finished")
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("graceful stop did not end " + what)
	}
}

// TestTLSSiteSample serves testdata/configs/tls-site (HTTP to HTTPS
// redirect, HTTPS with HTTP/1.1 and HTTP/2, HSTS, try_files) on test
// ports through both servers and compares every protocol.
func TestTLSSiteSample(t *testing.T) {
	sample, err := filepath.Abs("../testdata/configs/tls-site")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(sample, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for old, repl := range map[string]string{
		"listen 80 default_server;": "listen 127.0.0.1:{{PORT}} default_server;",
		"listen 443 ssl http2;":     "listen 127.0.0.1:{{PORT1}} ssl http2;",
		"certs/site.":               sample + "/certs/site.",
		"/var/www/secure":           "{{ROOT}}/secure",
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("the sample no longer has %q", old)
		}
		conf = strings.ReplaceAll(conf, old, repl)
	}
	var kept []string
	for _, l := range strings.Split(conf, "\n") {
		if !strings.Contains(l, "listen [::]") { // no IPv6 needed here
			kept = append(kept, l)
		}
	}
	conf = strings.Replace(strings.Join(kept, "\n"), "http {", "http {\n    access_log off;", 1)
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 2, Files: map[string]string{
		"secure/index.html": "<h1>secure</h1>\n", "secure/docs/": "", "secure/docs/index.html": "docs\n"}})
	// Plain HTTP: the redirect to HTTPS.
	for _, r := range []string{
		"GET /docs/?a=1 HTTP/1.1\r\nHost: secure.example.test\r\nConnection: close\r\n\r\n",
		nginxtest.Get("/"),
	} {
		p.Compare(t, r)
	}
	paths := []string{"/", "/index.html", "/docs", "/docs/", "/missing"}
	// HTTPS, HTTP/1.1.
	cfg := &tls.Config{InsecureSkipVerify: true, ServerName: "secure.example.test", NextProtos: []string{"http/1.1"}}
	for _, path := range paths {
		ng, gp := p.BothTLS(t, 1, cfg, "GET "+path+" HTTP/1.1\r\nHost: secure.example.test\r\nConnection: close\r\n\r\n")
		if ng.HandshakeErr != nil || gp.HandshakeErr != nil {
			t.Fatalf("handshake: nginx %v, goproxy %v", ng.HandshakeErr, gp.HandshakeErr)
		}
		if d := p.Diff(ng.Response, gp.Response); d != "" {
			t.Errorf("HTTPS %s:\n%s", path, d)
		}
		if gp.Header.Get("Strict-Transport-Security") == "" && gp.Status < 300 {
			t.Errorf("HTTPS %s: no HSTS header", path)
		}
	}
	// HTTPS, HTTP/2.
	tr := &http2.Transport{DisableCompression: true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "secure.example.test"}}
	for _, path := range paths {
		var rs [2]*nginxtest.Response
		for i, srv := range []*nginxtest.Server{p.Nginx, p.Go} {
			// The :authority names the site; the connection goes to the
			// test port.
			c := &http.Client{Transport: &authorityTransport{tr, srv.AddrN(1)}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			r, proto, err := h2Do(c, "https://secure.example.test", h2req{method: "GET", path: path})
			if err != nil || proto != "HTTP/2.0" {
				t.Fatalf("%s: HTTP/2 %s: %v %s", srv.Name, path, err, proto)
			}
			rs[i] = r
		}
		if d := p.Diff(rs[0], rs[1]); d != "" {
			t.Errorf("HTTP/2 %s:\n%s", path, d)
		}
	}
}

// authorityTransport sends requests for any host to addr.
type authorityTransport struct {
	tr   *http2.Transport
	addr string
}

func (a *authorityTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Host = a.addr
	r2.Host = "secure.example.test"
	return a.tr.RoundTrip(r2)
}
