package process_test

// h3_test.go serves one configuration over HTTP/3 (quic-go's client),
// HTTP/2 and HTTP/1.1 and wants the same answers: the reference nginx
// 1.22 has no QUIC, and goproxy's HTTP/2 and HTTP/1.1 are compared with
// nginx elsewhere, so they are the judge here.

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"goproxy/internal/nginxtest"
)

func h3Client(t *testing.T) *http.Client {
	tr := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}, DisableCompression: true}
	t.Cleanup(func() { tr.Close() })
	return &http.Client{Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func h1Client() *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}, DisableCompression: true}
	return &http.Client{Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

const h3Conf = `events {}
http {
    access_log {{DIR}}/access.log;
    log_format proto "$server_protocol $http3 $status $request_uri";
    ssl_certificate {{ROOT}}/certs/server.crt;
    ssl_certificate_key {{ROOT}}/certs/server.key;
    types { text/html html; text/plain txt; text/css css; }
    gzip on;
    gzip_types text/css;
    limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
    upstream app { server {{UP}}; }
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        listen 127.0.0.1:{{PORT}} quic reuseport;
        http2 on;
        http3 on;
        http3_max_concurrent_streams 64;
        quic_retry on;
        server_name localhost;
        root {{ROOT}}/www;
        access_log {{DIR}}/proto.log proto;
        add_header Alt-Svc 'h3=":{{PORT}}"; ma=86400';
        client_max_body_size 4m;
        location /dir/ { autoindex on; }
        location /api/ { proxy_pass http://app; }
        location /err/ { error_page 404 /404.html; }
        location /limited/ { limit_req zone=one nodelay; alias {{ROOT}}/www/; }
        location /vars {
            return 200 "host=$host scheme=$scheme https=$https uri=$request_uri args=$args request_method=$request_method len=$content_length\n";
        }
        location /redir { return 301 /x; }
    }
}
`

type h3resp struct {
	status int
	header http.Header
	body   []byte
}

func doReq(t *testing.T, c *http.Client, method, url string, body []byte, hdrs ...string) (*h3resp, error) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hdrs {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.Header["Content-Length"] == nil && resp.ContentLength >= 0 {
		// quic-go's client keeps the field only in ContentLength.
		resp.Header.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	return &h3resp{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// comparedHeaders are the fields whose values must agree between the
// protocols (Date and connection fields may not).
var comparedHeaders = []string{"Content-Type", "Content-Length", "Content-Range", "Content-Encoding", "Etag",
	"Last-Modified", "Location", "X-Upstream", "Alt-Svc", "Vary", "Accept-Ranges"}

func TestHTTP3LikeHTTP2AndHTTP1(t *testing.T) {
	files := h2Files(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MB
	files["www/large.bin"] = string(big)
	conf := strings.ReplaceAll(h3Conf, "{{UP}}", upstreamEcho(t))
	p := nginxtest.Start(t, conf, nginxtest.Options{GoOnly: true, Files: files})
	base := "https://" + p.Go.Addr()
	c3, c2, c1 := h3Client(t), h2Client(true), h1Client()
	type rq struct {
		method, path string
		body         []byte
		headers      []string
	}
	reqs := []rq{
		{method: "GET", path: "/index.html"},
		{method: "GET", path: "/"},
		{method: "HEAD", path: "/index.html"},
		{method: "GET", path: "/file.txt", headers: []string{"Range: bytes=2-5"}},
		{method: "GET", path: "/file.txt", headers: []string{"If-Modified-Since: " + nginxtest.Mtime.Format(http.TimeFormat)}},
		{method: "GET", path: "/style.css", headers: []string{"Accept-Encoding: gzip"}},
		{method: "GET", path: "/big.bin"},
		{method: "GET", path: "/large.bin"},
		{method: "GET", path: "/dir/"},
		{method: "GET", path: "/dir"},
		{method: "GET", path: "/missing"},
		{method: "GET", path: "/err/missing"},
		{method: "GET", path: "/api/echo?x=1"},
		{method: "POST", path: "/api/post", body: []byte("hello upstream")},
		{method: "POST", path: "/api/large", body: big},                    // 3 MB up, echoed back
		{method: "POST", path: "/api/toolarge", body: append(big, big...)}, // over client_max_body_size
		{method: "GET", path: "/vars?a=b"},
		{method: "POST", path: "/vars", body: []byte("12345")},
		{method: "GET", path: "/redir"},
	}
	for _, q := range reqs {
		name := q.method + " " + q.path
		r3, err := doReq(t, c3, q.method, base+q.path, q.body, q.headers...)
		if err != nil {
			t.Errorf("%s over HTTP/3: %v", name, err)
			continue
		}
		for i, c := range []*http.Client{c2, c1} {
			r, err := doReq(t, c, q.method, base+q.path, q.body, q.headers...)
			if err != nil {
				if i == 1 && q.path == "/api/toolarge" {
					continue // HTTP/1.1: 413 and a close while the client still sends
				}
				t.Errorf("%s over HTTP/%d: %v", name, 2-i, err)
				continue
			}
			if r.status != r3.status {
				t.Errorf("%s: status %d over HTTP/3, %d over HTTP/%d", name, r3.status, r.status, 2-i)
			}
			for _, h := range comparedHeaders {
				if h == "Content-Length" && (i == 1 || r.status == 304 || r.header.Get(h) == "") {
					// HTTP/1.1 may send chunks where the others know the
					// length; quic-go announces the length of a short
					// body that nginx's HTTP/2 (and goproxy's) leaves
					// unannounced (gzip, autoindex).
					continue
				}
				if a, b := r3.header.Get(h), r.header.Get(h); a != b {
					t.Errorf("%s: %s %q over HTTP/3, %q over HTTP/%d", name, h, a, b, 2-i)
				}
			}
			b3, b := r3.body, r.body
			if strings.HasPrefix(q.path, "/api/") {
				// The upstream echoes what it was sent, the same over
				// every client protocol.
				b3, b = bytes.ReplaceAll(b3, []byte("HTTP/3.0"), nil), bytes.ReplaceAll(b, []byte("HTTP/3.0"), nil)
			}
			if !bytes.Equal(b3, b) {
				t.Errorf("%s: bodies differ: HTTP/3 %q, HTTP/%d %q", name, clip(b3), 2-i, clip(b))
			}
		}
		if q.path == "/api/large" && !bytes.HasSuffix(r3.body, big) {
			t.Errorf("the 3 MB body did not go through the proxy whole over HTTP/3 (got %d bytes)", len(r3.body))
		}
		if q.path == "/api/toolarge" && r3.status != 413 {
			t.Errorf("client_max_body_size over HTTP/3: %d, want 413", r3.status)
		}
	}
	// limit_req: one request a minute; the second is refused whatever
	// the protocol.
	if r, err := doReq(t, c3, "GET", base+"/limited/file.txt", nil); err != nil || r.status != 200 {
		t.Errorf("first limited request over HTTP/3: %v %v", r, err)
	}
	if r, err := doReq(t, c3, "GET", base+"/limited/file.txt", nil); err != nil || r.status != 503 {
		t.Errorf("second limited request over HTTP/3: %v %v, want 503", r, err)
	}
	// $server_protocol and $http3 in the access log.
	waitFor(t, 5*time.Second, func() bool {
		b, _ := os.ReadFile(filepath.Join(p.Go.Dir, "proto.log"))
		return bytes.Contains(b, []byte("HTTP/3.0 h3 200 /index.html\n")) && bytes.Contains(b, []byte("HTTP/2.0  200 /index.html\n")) &&
			bytes.Contains(b, []byte("HTTP/1.1  200 /index.html\n"))
	}, func() string { b, _ := os.ReadFile(filepath.Join(p.Go.Dir, "proto.log")); return string(b) })
}

// upstreamEcho answers with the request line and echoes the body.
func upstreamEcho(t *testing.T) string {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Upstream", "yes")
		io.WriteString(w, r.Method+" "+r.RequestURI+" len="+strconv.Itoa(len(b))+"\n")
		w.Write(b)
	}))
	t.Cleanup(up.Close)
	return strings.TrimPrefix(up.URL, "http://")
}

// TestHTTP3Reload: a request in flight over HTTP/3 finishes across a
// reload, and the same QUIC connection then sees the new configuration.
func TestHTTP3Reload(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "slow done\n")
	}))
	defer slow.Close()
	conf := `events {}
http {
    access_log off;
    ssl_certificate {{ROOT}}/certs/server.crt;
    ssl_certificate_key {{ROOT}}/certs/server.key;
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        listen 127.0.0.1:{{PORT}} quic;
        location /slow { proxy_pass http://` + strings.TrimPrefix(slow.URL, "http://") + `; }
        location /v { return 200 "VERSION\n"; }
    }
}
`
	p := nginxtest.Start(t, strings.ReplaceAll(conf, "VERSION", "one"), nginxtest.Options{GoOnly: true, Files: h2Files(t)})
	base := "https://" + p.Go.Addr()
	c := h3Client(t)
	if r, err := doReq(t, c, "GET", base+"/v", nil); err != nil || string(r.body) != "one\n" {
		t.Fatalf("before the reload: %v %v", r, err)
	}
	done := make(chan string, 1)
	go func() {
		r, err := doReq(t, c, "GET", base+"/slow", nil)
		if err != nil {
			done <- err.Error()
			return
		}
		done <- strconv.Itoa(r.status) + " " + string(r.body)
	}()
	time.Sleep(200 * time.Millisecond)
	path := filepath.Join(p.Go.Dir, "nginx.conf")
	os.WriteFile(path, []byte(nginxtest.Render(strings.ReplaceAll(conf, "VERSION", "two"), p.Root, p.Go.Dir, p.Go.Ports)), 0644)
	if err := p.Go.Proc.Reload(); err != nil {
		t.Fatal(err)
	}
	close(release)
	select {
	case got := <-done:
		if got != "200 slow done\n" {
			t.Errorf("request in flight across the reload: %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("request in flight never finished")
	}
	if r, err := doReq(t, c, "GET", base+"/v", nil); err != nil || string(r.body) != "two\n" {
		t.Errorf("after the reload: %v %v", r, err)
	}
}

// startH3 serves one server on {{PORT}} over TLS and QUIC, with body as
// the rest of its block.
func startH3(t *testing.T, body string) *nginxtest.Pair {
	return nginxtest.Start(t, `events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        listen 127.0.0.1:{{PORT}} quic;
        ssl_certificate {{ROOT}}/certs/server.crt;
        ssl_certificate_key {{ROOT}}/certs/server.key;
        `+body+`
    }
}
`, nginxtest.Options{GoOnly: true, Files: h2Files(t)})
}

// TestHTTP3GracefulQuit: a request in flight finishes on a graceful stop.
func TestHTTP3GracefulQuit(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "slow done\n")
	}))
	defer slow.Close()
	p := startH3(t, `location / { proxy_pass http://`+strings.TrimPrefix(slow.URL, "http://")+`; }`)
	c := h3Client(t)
	quitDuringRequest(t, p, "the QUIC connection", func() (int, string, error) {
		r, err := doReq(t, c, "GET", "https://"+p.Go.Addr()+"/", nil)
		if err != nil {
			return 0, "", err
		}
		return r.status, string(r.body), nil
	})
}

// TestHTTP3Off: "http3 off" in the server the TLS name selects leaves the
// handshake without an application protocol, so it fails, as in nginx;
// the other server of the address still answers.
func TestHTTP3Off(t *testing.T) {
	files := h2Files(t)
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    ssl_certificate {{ROOT}}/certs/server.crt;
    ssl_certificate_key {{ROOT}}/certs/server.key;
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        listen 127.0.0.1:{{PORT}} quic;
        server_name localhost;
        return 200 "on\n";
    }
    server {
        listen 127.0.0.1:{{PORT}} quic;
        server_name off.test;
        http3 off;
        return 200 "off\n";
    }
}
`, nginxtest.Options{GoOnly: true, Files: files})
	if r, err := doReq(t, h3Client(t), "GET", "https://"+p.Go.Addr()+"/", nil); err != nil || string(r.body) != "on\n" {
		t.Errorf("http3 on: %v %v", r, err)
	}
	tr := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "off.test"}}
	defer tr.Close()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	if r, err := doReq(t, c, "GET", "https://"+p.Go.Addr()+"/", nil); err == nil {
		t.Errorf("http3 off answered: %d %q", r.status, r.body)
	}
}

// TestHTTP3QuitWithIdleClient: a client that went away without closing
// its QUIC connection does not hold a graceful stop until its idle
// timeout: connections with no request in flight close at once.
func TestHTTP3QuitWithIdleClient(t *testing.T) {
	p := startH3(t, `keepalive_timeout 300s; return 200 "ok\n";`)
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	qt := &quic.Transport{Conn: pc}
	tr := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"},
		Dial: func(ctx context.Context, addr string, tc *tls.Config, qc *quic.Config) (*quic.Conn, error) {
			ua, err := net.ResolveUDPAddr("udp", addr)
			if err != nil {
				return nil, err
			}
			return qt.DialEarly(ctx, ua, tc, qc)
		}}
	if r, err := doReq(t, &http.Client{Transport: tr, Timeout: 5 * time.Second}, "GET", "https://"+p.Go.Addr()+"/", nil); err != nil || r.status != 200 {
		t.Fatalf("request: %v %v", r, err)
	}
	pc.Close() // gone without a word
	stopped := make(chan struct{})
	go func() { p.Go.Proc.Quit(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("a graceful stop waited for an idle QUIC connection whose client is gone")
	}
}

// TestHTTP3MaxConcurrentStreams: with http3_max_concurrent_streams 1 a
// client's requests on one connection reach the upstream one at a time.
func TestHTTP3MaxConcurrentStreams(t *testing.T) {
	for _, c := range []struct {
		limit string
		want  int32
	}{{"1", 1}, {"128", 3}} {
		var cur, peak atomic.Int32
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := cur.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(500 * time.Millisecond) // long enough for all three to arrive
			cur.Add(-1)
			io.WriteString(w, "done\n")
		}))
		p := startH3(t, `http3_max_concurrent_streams `+c.limit+`;
        location / { proxy_pass http://`+strings.TrimPrefix(up.URL, "http://")+`; }`)
		cl := h3Client(t)
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r, err := doReq(t, cl, "GET", "https://"+p.Go.Addr()+"/", nil); err != nil || r.status != 200 {
					t.Errorf("limit %s: %v %v", c.limit, r, err)
				}
			}()
		}
		wg.Wait()
		up.Close()
		if got := peak.Load(); got != c.want {
			t.Errorf("http3_max_concurrent_streams %s: %d requests at once upstream, want %d", c.limit, got, c.want)
		}
	}
}
