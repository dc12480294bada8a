// Package benchkit is what the micro-benchmarks share: a client
// connection in memory, a configuration loaded from text, and a request
// as the router would hand it to a phase, so that one hot-path function
// can be timed alone and its allocations seen. Only tests import it.
package benchkit

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
	_ "goproxy/internal/golden" // -update for the packages benchmarking with it
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
func (c *memConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *memConn) Close() error                     { c.once.Do(func() { close(c.done) }); return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5555} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// Serve sends req b.N times on one keep-alive connection in memory and
// fails the benchmark if the server closes it early.
func Serve(b *testing.B, srv *httpd.Server, req string) {
	c := &memConn{req: []byte(req), left: b.N - 1, done: make(chan struct{})}
	b.ReportAllocs()
	b.ResetTimer()
	srv.ServeConn(c, "127.0.0.1:80")
	<-c.done
	if c.left != 0 {
		b.Fatalf("the server closed the connection with %d requests left", c.left)
	}
}

// Load writes files and conf ({{ROOT}} is the temporary directory) and
// loads the configuration as goproxy does at start-up.
func Load(tb testing.TB, conf string, files map[string]string) *confparse.Config {
	tb.Helper()
	dir := tb.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0755)
		os.WriteFile(p, []byte(body), 0644)
	}
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, []byte(strings.ReplaceAll(conf, "{{ROOT}}", dir)), 0644)
	cfg, err := confparse.Load(confparse.Options{Path: path, Prefix: dir})
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// Request parses raw (a request head) and returns it as the router
// leaves it after find-location: the first server, its first location,
// the URI normalised, a client at 192.0.2.7:51234 on 127.0.0.1:80.
func Request(tb testing.TB, cfg *confparse.Config, raw string) *httpcore.Request {
	tb.Helper()
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		tb.Fatal(err)
	}
	r.RemoteAddr = "192.0.2.7:51234"
	srv := cfg.HTTP.Servers[0]
	rq := &httpcore.Request{
		R: r,
		Conn: &httpd.Conn{ID: 1, Start: time.Now(),
			Local:  &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80},
			Remote: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 51234}},
		Cfg:    cfg,
		Vars:   httpcore.NewVarTable(cfg.HTTP),
		Server: &httpcore.Server{Conf: srv, Name: "localhost"},
		Loc:    srv.Loc,
		Args:   r.URL.RawQuery,
		Host:   r.Host,
		HostOK: true,
		Start:  time.Now(),
	}
	if len(srv.Locations) > 0 {
		rq.Location, rq.Loc = srv.Locations[0], srv.Locations[0].Conf
	}
	if rq.URI, err = httpcore.NormalizeURI(r.URL.Path, true); err != nil {
		tb.Fatal(err)
	}
	return rq
}
