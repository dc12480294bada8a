package router_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// mirrorBackend records what the mirrors send, by the port of the server
// that sent them (X-Port), and holds /block/ requests until release.
type mirrorBackend struct {
	addr    string
	mu      sync.Mutex
	seen    map[string][]string
	release chan struct{}
}

func newMirrorBackend(t *testing.T) *mirrorBackend {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &mirrorBackend{addr: l.Addr().String(), seen: map[string][]string{}, release: make(chan struct{})}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.HasPrefix(r.URL.Path, "/block/") {
			<-b.release
		}
		b.mu.Lock()
		b.seen[r.Header.Get("X-Port")] = append(b.seen[r.Header.Get("X-Port")],
			r.Method+" "+r.URL.RequestURI()+" cl="+r.Header.Get("Content-Length")+" body="+string(body))
		b.mu.Unlock()
		w.Write([]byte("mirror answer"))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return b
}

func (b *mirrorBackend) take(port string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.seen[port]
	delete(b.seen, port)
	return s
}

const mirrorConf = `events {}
http {
    access_log off;
    root {{ROOT}};
    server {
        listen 127.0.0.1:{{PORT}};
        location = /up { internal; proxy_pass http://BACKEND$request_uri; proxy_set_header X-Port $server_port; }
        location = /up2 { internal; proxy_pass http://BACKEND/second$is_args$args; proxy_set_header X-Port $server_port; }
        location = /nobody {
            internal;
            proxy_pass http://BACKEND/nobody$is_args$args;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Port $server_port;
        }
        location /block/ { internal; proxy_pass http://BACKEND; proxy_set_header X-Port $server_port; }

        location /m/ {
            mirror /up;
            mirror /up2;
            location /m/off/ { mirror off; }
            location /m/body/ { proxy_pass http://BACKEND/main; proxy_set_header X-Port $server_port; add_header X-Body "[$request_body]"; }
        }
        location /nb/ { mirror /nobody; mirror_request_body off; proxy_pass http://BACKEND/main; proxy_set_header X-Port $server_port; }
        location /tf/ { mirror /up; try_files $uri /m/tf.html; }
        location /slow/ { mirror /block/x; }
    }
}
`

// TestMirrorLikeNginx: what the mirror subrequests send (the client's
// method, arguments and body; none with mirror_request_body off), and
// the client's responses, which the mirrors do not change.
func TestMirrorLikeNginx(t *testing.T) {
	b := newMirrorBackend(t)
	close(b.release)
	conf := strings.ReplaceAll(mirrorConf, "BACKEND", b.addr)
	p := nginxtest.Start(t, conf, nginxtest.Options{Files: map[string]string{
		"m/a": "file a\n", "m/index.html": "index\n", "m/off/x": "off\n", "m/tf.html": "tf\n", "tf/here": "here\n",
	}})
	port := func(s *nginxtest.Server) string { return strings.TrimPrefix(s.Addr(), "127.0.0.1:") }
	for _, r := range []string{
		nginxtest.Get("/m/a?x=1"),
		nginxtest.Get("/m/"),
		nginxtest.Get("/m/off/x"),
		nginxtest.Get("/m/missing"),
		nginxtest.Req("HEAD", "/m/a"),
		"POST /m/body/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
		"POST /m/body/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
		"POST /nb/?q HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
		nginxtest.Get("/tf/here"),
		nginxtest.Get("/tf/nothere"),
	} {
		p.Compare(t, r)
		ng, gp := b.take(port(p.Nginx)), b.take(port(p.Go))
		// The order of concurrent mirrors is not nginx's to promise.
		slices.Sort(ng)
		slices.Sort(gp)
		if !slices.Equal(ng, gp) {
			t.Errorf("%q: the mirrors sent\nnginx   %q\ngoproxy %q", strings.SplitN(r, "\r\n", 2)[0], ng, gp)
		}
	}
}

// TestMirrorKeepsConnection: the client has its whole response while a
// mirror is still waiting for its upstream, but the connection carries
// the next request only once the mirror is done, as nginx's does.
func TestMirrorKeepsConnection(t *testing.T) {
	b := newMirrorBackend(t)
	conf := strings.ReplaceAll(mirrorConf, "BACKEND", b.addr)
	p := nginxtest.Start(t, conf, nginxtest.Options{Files: map[string]string{"slow/f": "slow file\n"}})
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		br := bufio.NewReader(c)
		req := "GET /slow/f HTTP/1.1\r\nHost: localhost\r\n\r\n"
		io.WriteString(c, req)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: no response while the mirror waits: %v", s.Name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "slow file\n" {
			t.Errorf("%s: %d %q", s.Name, resp.StatusCode, body)
		}
		io.WriteString(c, req)
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := br.ReadByte(); err == nil {
			t.Errorf("%s: the next request was answered before the mirror was done", s.Name)
		}
		b.release <- struct{}{}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if resp, err = http.ReadResponse(br, nil); err != nil {
			t.Fatalf("%s: no second response once the mirror is done: %v", s.Name, err)
		}
		resp.Body.Close()
		b.release <- struct{}{} // the second request's mirror
	}
}
