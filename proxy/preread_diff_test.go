package proxy_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// TestUnbufferedPreread: with proxy_request_buffering off, body bytes
// that came with the client's head reach the upstream in the same write
// as the request head (nginx's preread buffer), so an upstream that
// reads once sees both. $request_body has the body once it is all read.
func TestUnbufferedPreread(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	firsts := make(chan []byte, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 64<<10)
				n, _ := c.Read(buf)
				firsts <- append([]byte(nil), buf[:n]...)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
			}(c)
		}
	}()
	p := start(t, conf("", `
        location / {
            proxy_request_buffering off;
            add_header X-Body $request_body;
            proxy_pass http://`+ln.Addr().String()+`;
        }`))
	const body = "0123456789"
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		late := 0
		for i := 0; i < 30; i++ {
			r := nginxtest.Do(t, s.Addr(), fmt.Sprintf("POST /p HTTP/1.0\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
			first := <-firsts
			if !bytes.HasSuffix(first, []byte("\r\n\r\n"+body)) {
				late++
			}
			if r.Status != 200 || r.Header.Get("X-Body") != body {
				t.Fatalf("%s: %d, X-Body %q", s.Name, r.Status, r.Header.Get("X-Body"))
			}
		}
		if late > 0 {
			t.Errorf("%s: the body came after the head in %d of 30 requests", s.Name, late)
		}
	}
}

// TestRequestBodyVar compares $request_body with nginx: the body once a
// proxied location read it into memory (buffered or streamed), none
// when it went past client_body_buffer_size or was never read, and kept
// across an error_page redirect.
func TestRequestBodyVar(t *testing.T) {
	up := startUpstream(t, "echo", echo)
	p := start(t, conf(`
    log_format rb "$uri [$request_body]";`, `
        client_body_buffer_size 1k;
        add_header X-Body "[$request_body]";
        location /b/ { proxy_pass http://{{UP}}; }
        location /u/ { proxy_request_buffering off; proxy_pass http://{{UP}}; }
        location /r/ { return 200 "[$request_body]"; }
        location /e/ { proxy_pass http://{{UP}}/404; proxy_intercept_errors on; error_page 404 /r/; }`), up)
	for _, path := range []string{"/b/", "/u/", "/r/", "/e/"} {
		for _, n := range []int{0, 10, 1024, 1025, 5000} {
			body := strings.Repeat("x", n)
			p.cmp(t, fmt.Sprintf("POST %sx HTTP/1.0\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", path, n, body))
		}
	}
}
