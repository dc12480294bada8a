package proxy_test

// body_diff_test.go compares request and response bodies through the
// proxy: framings, limits, streaming both ways, and upgraded tunnels.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// TestBodies checks request bodies (Content-Length, chunked, buffered or
// streamed, over client_max_body_size, Expect: 100-continue) and upstream
// response framings (chunked, close-delimited, large, HEAD).
func TestBodies(t *testing.T) {
	big := bigBody(3 << 20)
	echoUp := startUpstream(t, "echo", echo)
	chunkUp := startUpstream(t, "chunked", chunked("hello ", "chunked ", "world\n"))
	closeUp := startUpstream(t, "close", closeDelimited("until close\n"))
	bigUp := startUpstream(t, "big", respond("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream", big))
	bigCloseUp := startUpstream(t, "bigclose", closeDelimited(big))
	p := start(t, conf("", `
        client_max_body_size 1m;
        location /echo/ { proxy_pass http://{{UP0}}; }
        location /echo11/ { proxy_http_version 1.1; proxy_pass http://{{UP0}}; }
        location /stream11/ { proxy_http_version 1.1; proxy_request_buffering off; proxy_pass http://{{UP0}}; }
        location /stream10/ { proxy_request_buffering off; proxy_pass http://{{UP0}}; }
        location /small/ { client_max_body_size 10; proxy_pass http://{{UP0}}; }
        location /bigbody/ { client_max_body_size 4m; proxy_pass http://{{UP0}}; }
        location /smallbuf/ { client_body_buffer_size 1k; proxy_pass http://{{UP0}}; }
        location /chunked/ { proxy_pass http://{{UP1}}; }
        location /close/ { proxy_pass http://{{UP2}}; }
        location /big/ { proxy_pass http://{{UP3}}; }
        location /bigclose/ { proxy_pass http://{{UP4}}; }
        location /nobuf/ { proxy_buffering off; proxy_pass http://{{UP4}}; }`),
		echoUp, chunkUp, closeUp, bigUp, bigCloseUp)
	form := "a=1&b=" + strings.Repeat("x", 100)
	chunkedBody := "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
	mid := strings.Repeat("m", 200<<10)
	for _, r := range []string{
		nginxtest.Req("POST", "/echo/", "Content-Type: application/x-www-form-urlencoded", "Content-Length: "+strconv.Itoa(len(form))) + form,
		nginxtest.Req("PUT", "/echo/", "Content-Length: 0"),
		nginxtest.Req("POST", "/echo/", "Transfer-Encoding: chunked") + chunkedBody,
		nginxtest.Req("POST", "/echo11/", "Transfer-Encoding: chunked") + chunkedBody,
		nginxtest.Req("POST", "/stream11/", "Content-Length: 5") + "hello",
		nginxtest.Req("POST", "/stream10/", "Transfer-Encoding: chunked") + chunkedBody,
		nginxtest.Req("POST", "/small/", "Content-Length: 11") + "hello world",
		nginxtest.Req("POST", "/small/", "Content-Length: 10") + "helloworld",
		nginxtest.Req("POST", "/small/", "Transfer-Encoding: chunked") + chunkedBody,
		nginxtest.Req("POST", "/bigbody/", "Content-Length: 2000000") + strings.Repeat("z", 2000000),
		nginxtest.Req("POST", "/smallbuf/", "Content-Length: "+strconv.Itoa(len(mid))) + mid,
		nginxtest.Get("/chunked/"),
		nginxtest.Req("HEAD", "/chunked/"),
		"GET /chunked/ HTTP/1.0\r\n\r\n",
		nginxtest.Get("/close/"),
		nginxtest.Req("HEAD", "/close/"),
		"GET /close/ HTTP/1.0\r\n\r\n",
		nginxtest.Get("/big/"),
		nginxtest.Req("HEAD", "/big/"),
		nginxtest.Get("/big/", "Range: bytes=100-199"),
		nginxtest.Get("/bigclose/"),
		nginxtest.Get("/nobuf/"),
	} {
		p.cmp(t, r)
	}
	// A body over the limit gets 413 even while the client still sends
	// it: the server must not reset the connection under the response.
	for _, r := range []string{
		nginxtest.Req("POST", "/echo/", "Content-Length: 2000000") + strings.Repeat("z", 2000000),
		nginxtest.Req("POST", "/echo/", "Transfer-Encoding: chunked") + "1e8480\r\n" + strings.Repeat("z", 2000000) + "\r\n0\r\n\r\n",
	} {
		ng, gp := doAsync(t, p.Nginx.Addr(), r), doAsync(t, p.Go.Addr(), r)
		p.hide(ng)
		p.hide(gp)
		if d := p.Diff(ng, gp); d != "" {
			t.Errorf("large body over the limit:\n%s\n--- nginx:\n%s\n--- goproxy:\n%s", d, clip(ng.Raw), clip(gp.Raw))
		}
	}
	// Expect: 100-continue is answered before the body is read.
	for _, path := range []string{"/echo/", "/small/"} {
		r := nginxtest.Req("POST", path, "Expect: 100-continue", "Content-Length: 11") + "hello world"
		ng, gp := p.Both(t, r)
		if a, b := first100(ng.Raw), first100(gp.Raw); a != b {
			t.Errorf("%s: 100-continue: nginx %v, goproxy %v\n%s\n%s", path, a, b, clip(ng.Raw), clip(gp.Raw))
		}
	}
}

func first100(b []byte) bool { return strings.HasPrefix(string(b), "HTTP/1.1 100 Continue\r\n\r\n") }

// TestStreamedRequestBody checks that with proxy_request_buffering off
// the upstream gets the request before the client's body is complete,
// chunked for HTTP/1.1.
func TestStreamedRequestBody(t *testing.T) {
	heads := make(chan *upReq, 1)
	up := startUpstreamWith(t, "echo", echo, func(u *upstream) { u.heads = heads })
	p := start(t, conf("", `
        location / { proxy_http_version 1.1; proxy_request_buffering off; proxy_pass http://{{UP}}; }`), up)
	var bodies []string
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, nginxtest.Req("POST", "/s", "Transfer-Encoding: chunked")+"5\r\nhello\r\n")
		select {
		case <-heads:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the upstream saw no request before the body ended", s.Name)
		}
		io.WriteString(c, "6\r\n world\r\n0\r\n\r\n")
		data, _ := io.ReadAll(c)
		r := nginxtest.Parse(data, "POST")
		p.hide(r)
		bodies = append(bodies, string(r.Body))
	}
	if bodies[0] != bodies[1] || !strings.Contains(bodies[0], "(chunked) hello world") {
		t.Errorf("streamed body: nginx\n%s\ngoproxy\n%s", bodies[0], bodies[1])
	}
}

// TestStreamingResponse checks that with proxy_buffering off (or
// X-Accel-Buffering: no) the client gets the upstream's first chunk
// while the upstream is still sending.
func TestStreamingResponse(t *testing.T) {
	release := make(chan struct{})
	plain := startUpstream(t, "stream", streaming(release, ""))
	accel := startUpstream(t, "accel", streaming(release, "X-Accel-Buffering: no\r\n"))
	p := start(t, conf("", `
        location /off/ { proxy_buffering off; proxy_pass http://{{UP0}}; }
        location /accel/ { proxy_pass http://{{UP1}}; }`), plain, accel)
	for _, path := range []string{"/off/", "/accel/"} {
		var got []*nginxtest.Response
		for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, nginxtest.Get(path))
			var data []byte
			buf := make([]byte, 4096)
			for !strings.Contains(string(data), "first") {
				n, err := c.Read(buf)
				data = append(data, buf[:n]...)
				if err != nil {
					t.Fatalf("%s %s: no first chunk before the upstream finished: %v\n%s", s.Name, path, err, data)
				}
			}
			release <- struct{}{}
			rest, _ := io.ReadAll(c)
			r := nginxtest.Parse(append(data, rest...), "GET")
			p.hide(r)
			got = append(got, r)
		}
		if d := p.Diff(got[0], got[1]); d != "" {
			t.Errorf("%s:\n%s\n--- nginx:\n%s\n--- goproxy:\n%s", path, d, got[0].Raw, got[1].Raw)
		}
	}
}

// TestUpgrade checks the WebSocket tunnel: the 101 answer, the request
// the upstream gets, and bytes flowing both ways after the switch.
func TestUpgrade(t *testing.T) {
	up := startUpstream(t, "ws", wsUpstream)
	p := start(t, conf(`
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }`, `
        location /ws/ {
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_pass http://{{UP}};
        }
        location /idle/ {
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1s;
            proxy_pass http://{{UP}};
        }
        location /plain/ { proxy_pass http://{{UP}}; }`), up)
	const hs = "GET /ws/chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	var heads, reqs []string
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, hs)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		delete(resp.Header, "Date")
		delete(resp.Header, "Server")
		heads = append(heads, fmt.Sprint(resp.StatusCode, " ", resp.Header))
		for _, msg := range []string{"hello\n", "second line\n"} {
			io.WriteString(c, msg)
			got, err := br.ReadString('\n')
			if err != nil || got != strings.ToUpper(msg) {
				t.Errorf("%s: tunnel echoed %q, %v", s.Name, got, err)
			}
		}
		c.(*net.TCPConn).CloseWrite()
		if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
			t.Errorf("%s: after the client's close: %q, %v", s.Name, rest, err)
		}
		c.Close()
		for _, r := range up.Requests() {
			reqs = append(reqs, r.dump())
		}
	}
	if heads[0] != heads[1] {
		t.Errorf("101 answer: nginx %s\ngoproxy %s", heads[0], heads[1])
	}
	if len(reqs) != 2 || reqs[0] != reqs[1] {
		t.Errorf("upstream requests differ: %q", reqs)
	}
	// A tunnel where nothing moves for proxy_read_timeout is closed.
	idle := make(chan string, 2)
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		go func(s *nginxtest.Server) {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				idle <- s.Name + ": " + err.Error()
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, strings.Replace(hs, "/ws/", "/idle/", 1))
			br := bufio.NewReader(c)
			if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
				idle <- fmt.Sprintf("%s: no 101: %v", s.Name, err)
				return
			}
			start := time.Now()
			_, err = io.ReadAll(br)
			if d := time.Since(start); err != nil || d < 900*time.Millisecond || d > 3*time.Second {
				idle <- fmt.Sprintf("%s: idle tunnel closed after %v (%v)", s.Name, d, err)
				return
			}
			idle <- ""
		}(s)
	}
	for i := 0; i < 2; i++ {
		if msg := <-idle; msg != "" {
			t.Error(msg)
		}
	}
	up.Requests()
	// Without the Upgrade headers set, the upstream sees a plain request.
	p.cmp(t, strings.Replace(strings.Replace(hs, "/ws/", "/plain/", 1), "Connection: Upgrade", "Connection: close", 1))
}

// alwaysSwitch answers 101 to any request, with a line after the head,
// then echoes lines in upper case until the proxy closes.
func alwaysSwitch(w *bufio.Writer, c net.Conn, r *upReq) bool {
	w.WriteString("HTTP/1.1 101 Switching\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\nhandshaked\r\n")
	w.Flush()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		w.WriteString(strings.ToUpper(l))
		w.Flush()
	}
}

// TestUpgradeNotAsked: a 101 to a request without Upgrade is not
// tunnelled (the head alone, then the connection closes once the
// upstream is silent for proxy_read_timeout); a tunnel's bytes count in
// $bytes_sent and $body_bytes_sent; the upstream's status line is kept.
func TestUpgradeNotAsked(t *testing.T) {
	up := startUpstream(t, "switch", alwaysSwitch)
	p := start(t, conf(`
    log_format sent "$status $bytes_sent $body_bytes_sent";`, `
        location / {
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "Upgrade";
            proxy_read_timeout 1s;
            access_log {{DIR}}/sent.log sent;
            proxy_pass http://{{UP}};
        }`), up)
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		var got []string
		for _, upgrade := range []bool{true, false} {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			req := "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n\r\n"
			if upgrade {
				req = "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n"
			}
			sent := time.Now()
			io.WriteString(c, req)
			br := bufio.NewReader(c)
			status, _ := br.ReadString('\n')
			got = append(got, strings.TrimSpace(status))
			var head int
			for {
				l, err := br.ReadString('\n')
				head += len(l)
				if err != nil || l == "\r\n" {
					break
				}
			}
			if upgrade {
				io.WriteString(c, "ping\n")
				l1, _ := br.ReadString('\n')
				l2, _ := br.ReadString('\n')
				got = append(got, strings.TrimSpace(l1), strings.TrimSpace(l2))
				c.Close()
				continue
			}
			// nginx holds the head back until the end.
			rest, err := io.ReadAll(br)
			d := time.Since(sent)
			if err != nil || len(rest) != 0 || d < 800*time.Millisecond || d > 3*time.Second {
				t.Errorf("%s: not upgraded: after the head %q, %v after %v", s.Name, rest, err, d)
			}
			c.Close()
		}
		want := []string{"HTTP/1.1 101 Switching", "handshaked", "PING", "HTTP/1.1 101 Switching"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: got %q, want %q", s.Name, got, want)
		}
		var log []byte
		for i := 0; i < 100; i++ {
			log, _ = os.ReadFile(filepath.Join(s.Dir, "sent.log"))
			if strings.Count(string(log), "\n") == 2 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		lines := strings.Split(strings.TrimSpace(string(log)), "\n")
		var tunnel, plain [3]int64
		if len(lines) == 2 {
			fmt.Sscan(lines[0], &tunnel[0], &tunnel[1], &tunnel[2])
			fmt.Sscan(lines[1], &plain[0], &plain[1], &plain[2])
		}
		// "handshaked\r\n" and "PING\n" came through the tunnel.
		if tunnel[0] != 101 || tunnel[2] != 17 || tunnel[1] < 100+17 || plain[0] != 101 || plain[2] != 0 || plain[1] < 100 {
			t.Errorf("%s: access log %q", s.Name, log)
		}
	}
}
