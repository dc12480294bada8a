package router_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"goproxy/confparse"
	"goproxy/httpd"
	"goproxy/router"
	"goproxy/staticfs"
)

// memConn is a client connection in memory: it hands out the same
// request n times, then EOF, and discards what is written. It measures
// the user-space cost of a request without the kernel's.
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
func (c *memConn) Write(p []byte) (int, error)        { return len(p), nil }
func (c *memConn) Close() error                       { c.once.Do(func() { close(c.done) }); return nil }
func (c *memConn) LocalAddr() net.Addr                { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }
func (c *memConn) RemoteAddr() net.Addr               { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5555} }
func (c *memConn) SetDeadline(t time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(t time.Time) error { return nil }

func benchRouter(b *testing.B, conf string, files map[string]string) *httpd.Server {
	dir := b.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0755)
		os.WriteFile(p, []byte(body), 0644)
	}
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, []byte(strings.ReplaceAll(conf, "{{ROOT}}", dir)), 0644)
	cfg, err := confparse.Load(confparse.Options{Path: path, Prefix: dir})
	if err != nil {
		b.Fatal(err)
	}
	rt, err := router.New(cfg, router.Options{Static: staticfs.New(nil)})
	if err != nil {
		b.Fatal(err)
	}
	return &httpd.Server{Handler: rt}
}

func runRequests(b *testing.B, srv *httpd.Server, req string) {
	c := &memConn{req: []byte(req), left: b.N - 1, done: make(chan struct{})}
	b.ReportAllocs()
	b.ResetTimer()
	srv.ServeConn(c, "127.0.0.1:80")
	<-c.done
	if c.left != 0 {
		b.Fatalf("the server closed the connection with %d requests left", c.left)
	}
}

const benchConf = `events {}
http {
    access_log off;
    keepalive_requests 100000000;
    types { text/plain txt; }
    server {
        listen 127.0.0.1:80;
        root {{ROOT}};
        location /dir/ { autoindex on; }
        location = /exact { return 200 "ok"; }
        location ~ \.php$ { return 404; }
    }
}
`

// BenchmarkSmallFile is one keep-alive request for a 1 KiB file.
func BenchmarkSmallFile(b *testing.B) {
	srv := benchRouter(b, benchConf, map[string]string{"1k.txt": strings.Repeat("x", 1024)})
	runRequests(b, srv, "GET /1k.txt HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
}

// BenchmarkReturn is a request answered by "return".
func BenchmarkReturn(b *testing.B) {
	srv := benchRouter(b, benchConf, nil)
	runRequests(b, srv, "GET /exact HTTP/1.1\r\nHost: localhost\r\n\r\n")
}

// BenchmarkAutoindex lists a 1000-entry directory.
func BenchmarkAutoindex(b *testing.B) {
	files := map[string]string{}
	for i := 0; i < 1000; i++ {
		files[fmt.Sprintf("dir/file-%d.txt", i)] = "x"
	}
	srv := benchRouter(b, benchConf, files)
	runRequests(b, srv, "GET /dir/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
}

// BenchmarkLocations1000 finds locations among 1000 prefix and 50 regex
// locations.
func BenchmarkLocations1000(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("events {}\nhttp { access_log off; keepalive_requests 100000000; server { listen 127.0.0.1:80;\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&sb, "location /app%d/ { return 200 %d; }\n", i, i)
	}
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&sb, "location ~ ^/re%d/[a-z]+$ { return 200 r%d; }\n", i, i)
	}
	sb.WriteString("} }\n")
	srv := benchRouter(b, sb.String(), nil)
	runRequests(b, srv, "GET /app777/some/path HTTP/1.1\r\nHost: localhost\r\n\r\n")
}
