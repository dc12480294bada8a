package proxy_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"goproxy/confparse"
	"goproxy/httpd"
	"goproxy/proxy"
	"goproxy/router"
	"goproxy/staticfs"
)

// memConn is a client connection in memory: the same request n times,
// then EOF; what is written is dropped.
type memConn struct {
	req  []byte
	left int
	pos  int
	done chan struct{}
	once sync.Once
}

func (c *memConn) Read(p []byte) (int, error) {
	if c.pos == len(c.req) {
		if c.left == 0 {
			c.once.Do(func() { close(c.done) })
			return 0, io.EOF
		}
		c.left--
		c.pos = 0
	}
	n := copy(p, c.req[c.pos:])
	c.pos += n
	return n, nil
}
func (c *memConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *memConn) Close() error                     { c.once.Do(func() { close(c.done) }); return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5555} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// fastUpstream answers every request on a keep-alive connection with a
// fixed short response.
func fastUpstream(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n")
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					// Read one request head.
					for {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
					}
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// BenchmarkProxyKeepalive is one proxied request over a pooled upstream
// connection (the client side in memory, the upstream on loopback).
func BenchmarkProxyKeepalive(b *testing.B) {
	up := fastUpstream(b)
	dir := b.TempDir()
	conf := `events {}
http {
    access_log off;
    keepalive_requests 100000000;
    upstream up { server ` + up + `; keepalive 16; }
    server {
        listen 127.0.0.1:80;
        location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
`
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, []byte(conf), 0644)
	cfg, err := confparse.Load(confparse.Options{Path: path, Prefix: dir})
	if err != nil {
		b.Fatal(err)
	}
	m := proxy.NewManager()
	rt, err := router.New(cfg, router.Options{Static: staticfs.New(nil), Proxy: m.Configure(cfg, nil)})
	if err != nil {
		b.Fatal(err)
	}
	srv := &httpd.Server{Handler: rt}
	c := &memConn{req: []byte("GET /x HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"),
		left: b.N - 1, done: make(chan struct{})}
	b.ReportAllocs()
	b.ResetTimer()
	srv.ServeConn(c, "127.0.0.1:80")
	<-c.done
	if c.left != 0 {
		b.Fatalf("closed with %d requests left", c.left)
	}
	_ = strconv.Itoa
	_ = strings.Repeat
}
