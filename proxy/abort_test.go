package proxy_test

// abort_test.go: a client that goes away while the upstream thinks, side
// by side with nginx — the upstream connection is closed, the access log
// says 499 and the error log says why — and proxy_ignore_client_abort.

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// slowUpstream reads a request head, then (for /body) sends half a
// body, and waits up to a second for the proxy to close the connection;
// it reports what happened on seen: "closed" or "answered".
type slowUpstream struct {
	ln   net.Listener
	seen chan string
}

func startSlow(t *testing.T) *slowUpstream {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &slowUpstream{ln: ln, seen: make(chan string, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go u.serve(c)
		}
	}()
	return u
}

func (u *slowUpstream) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if l == "\r\n" {
			break
		}
	}
	if strings.Contains(line, "body") {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345")
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := br.ReadByte(); err == io.EOF || isReset(err) {
		u.seen <- "closed"
		return
	}
	io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
	u.seen <- "answered"
}

func isReset(err error) bool { return err != nil && strings.Contains(err.Error(), "reset") }

func (u *slowUpstream) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-u.seen:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream got no request")
		return ""
	}
}

// lastLine is the last line of a server's file under its directory.
func lastLine(t *testing.T, s *nginxtest.Server, name string) string {
	t.Helper()
	var last string
	for i := 0; i < 100; i++ { // the access log may lag a little
		b, _ := os.ReadFile(filepath.Join(s.Dir, name))
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if last = lines[len(lines)-1]; last != "" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return last
}

var infoRe = regexp.MustCompile(`\[info\] \d+#\d+: \*\d+ (.*prematurely closed.*?), client: .*(, upstream: "http://[^/]*(/[^"]*)")`)

// abortLines returns the info lines about a client's going, with the
// connection number and upstream address cut.
func abortLines(s *nginxtest.Server) []string {
	var out []string
	for _, m := range infoRe.FindAllStringSubmatch(s.ErrorLog(), -1) {
		out = append(out, m[1]+" "+m[3])
	}
	return out
}

func TestClientAbortLikeNginx(t *testing.T) {
	up := startSlow(t)
	p := start(t, `events {}
http {
    log_format st '$request_uri $status $upstream_status';
    access_log {{DIR}}/access.log st;
    server {
        listen 127.0.0.1:{{PORT}};
        location / { proxy_pass http://`+up.ln.Addr().String()+`; }
        location /body { proxy_pass http://`+up.ln.Addr().String()+`; proxy_buffering off; }
        location /bbody { proxy_pass http://`+up.ln.Addr().String()+`; }
        location /ign { proxy_pass http://`+up.ln.Addr().String()+`; proxy_ignore_client_abort on; }
    }
}
`)
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		for _, tc := range []struct{ path, upstream, log string }{
			{"/wait", "closed", "/wait 499 -"},
			{"/body", "closed", "/body 200 200"},   // the head was sent: its status stays
			{"/bbody", "closed", "/bbody 499 200"}, // nothing sent yet (buffered)
			{"/ign", "answered", "/ign 200 200"},
		} {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "GET "+tc.path+" HTTP/1.1\r\nHost: a\r\n\r\n")
			if tc.path == "/body" {
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				head := make([]byte, 10)
				io.ReadFull(c, head) // the response has begun
			} else {
				time.Sleep(200 * time.Millisecond)
			}
			c.Close()
			if got := up.next(t); got != tc.upstream {
				t.Errorf("%s %s: the upstream %s, want %s", s.Name, tc.path, got, tc.upstream)
			}
			time.Sleep(100 * time.Millisecond)
			if got := lastLine(t, s, "access.log"); got != tc.log {
				t.Errorf("%s %s: access log %q, want %q", s.Name, tc.path, got, tc.log)
			}
		}
	}
	ng, gp := abortLines(p.Nginx), abortLines(p.Go)
	if strings.Join(ng, "\n") != strings.Join(gp, "\n") || len(ng) != 3 {
		t.Errorf("error log lines differ:\nnginx:\n%s\ngoproxy:\n%s", strings.Join(ng, "\n"), strings.Join(gp, "\n"))
	}
}

// TestHTTP2ResetLikeNginx: over HTTP/2 the client's RST_STREAM is the
// client going: the upstream connection closes and the access log says
// 499, while the client's connection carries on.
func TestHTTP2ResetLikeNginx(t *testing.T) {
	up := startSlow(t)
	p := start(t, `events {}
http {
    log_format st '$request_uri $status $upstream_status';
    access_log {{DIR}}/access.log st;
    server {
        listen 127.0.0.1:{{PORT}} http2;
        location / { proxy_pass http://`+up.ln.Addr().String()+`; }
    }
}
`)
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		tr := h2cTransport()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.Addr()+"/wait", nil)
		done := make(chan error, 1)
		go func() {
			_, err := tr.RoundTrip(req)
			done <- err
		}()
		time.Sleep(200 * time.Millisecond)
		cancel() // RST_STREAM (CANCEL)
		<-done
		if got := up.next(t); got != "closed" {
			t.Errorf("%s: the upstream %s, want it closed", s.Name, got)
		}
		time.Sleep(100 * time.Millisecond)
		if got := lastLine(t, s, "access.log"); got != "/wait 499 -" {
			t.Errorf("%s: access log %q, want \"/wait 499 -\"", s.Name, got)
		}
		tr.CloseIdleConnections()
	}
}
