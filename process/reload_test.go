package process_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testupstream"
)

func conf(port, port2 int, version string, second bool) string {
	extra := ""
	if second {
		extra = fmt.Sprintf("server { listen 127.0.0.1:%d; location / { return 200 \"second\"; } }", port2)
	}
	return fmt.Sprintf(`events {}
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:%d;
        location /v { return 200 "%s"; }
    }
    %s
}
`, port, version, extra)
}

// TestReloadUnderLoad keeps keep-alive clients busy through ten reloads
// (a location changing, a listener added and removed): no request may
// fail and no connection may be reset, and the clients' connections see
// the new configuration without reconnecting.
func TestReloadUnderLoad(t *testing.T) {
	port, port2 := nginxtest.FreePort(t), nginxtest.FreePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, []byte(conf(port, port2, "v0", false)), 0644)
	p := start(t, dir, path)

	var ok, failed, closed atomic.Int64
	var seen sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A connection the server ends shows as EOF on the client's
			// read; counting those, not dials, leaves out the spare
			// connections Go's transport may dial and never use.
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
				nc, err := (&net.Dialer{}).DialContext(ctx, n, a)
				if err != nil {
					return nil, err
				}
				return &eofConn{Conn: nc, ended: &closed}, nil
			}}}
			defer c.CloseIdleConnections()
			url := fmt.Sprintf("http://127.0.0.1:%d/v", port)
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.Get(url)
				if err != nil {
					failed.Add(1)
					t.Logf("request failed: %v", err)
					continue
				}
				if resp.Close { // "Connection: close": ended by the server too
					closed.Add(1)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
					continue
				}
				seen.Store(string(b), true)
				ok.Add(1)
			}
		}()
	}
	for i := 1; i <= 10; i++ {
		time.Sleep(60 * time.Millisecond)
		os.WriteFile(path, []byte(conf(port, port2, fmt.Sprintf("v%d", i), i%2 == 1)), 0644)
		if err := p.Reload(); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		// The second listener comes and goes with the reloads.
		_, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port2), time.Second)
		if (err == nil) != (i%2 == 1) {
			t.Errorf("reload %d: second listener open=%v", i, err == nil)
		}
	}
	time.Sleep(60 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed across reloads", failed.Load(), failed.Load()+ok.Load())
	}
	if _, ok := seen.Load("v10"); !ok {
		t.Error("the last configuration was never served")
	}
	if closed.Load() != 0 {
		t.Errorf("goproxy closed %d keep-alive connections across reloads", closed.Load())
	}
	t.Logf("%d requests, 0 failed", ok.Load())
}

// eofConn counts, in ended, a connection whose peer closed it.
type eofConn struct {
	net.Conn
	ended *atomic.Int64
	once  sync.Once
}

func (c *eofConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err == io.EOF || errors.Is(err, syscall.ECONNRESET) {
		c.once.Do(func() { c.ended.Add(1) })
	}
	return n, err
}

// TestBadReloadKeepsServing refuses a broken configuration and keeps the
// running one.
func TestBadReloadKeepsServing(t *testing.T) {
	port := nginxtest.FreePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, []byte(conf(port, 0, "good", false)), 0644)
	p := start(t, dir, path)
	os.WriteFile(path, []byte("events {}\nhttp { server { listen 127.0.0.1:1; bogus; } }\n"), 0644)
	err := p.Reload()
	if err == nil || !strings.Contains(err.Error(), `unknown directive "bogus"`) {
		t.Fatalf("reload error = %v", err)
	}
	r := nginxtest.Do(t, fmt.Sprintf("127.0.0.1:%d", port), nginxtest.Get("/v"))
	if r.Status != 200 || string(r.Body) != "good" {
		t.Fatalf("after a bad reload: %d %q", r.Status, r.Body)
	}
}

// TestGracefulQuit lets a slow request finish when the process is told
// to quit, and refuses new connections.
func TestGracefulQuit(t *testing.T) {
	slow, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	testupstream.Serve(slow, func(c net.Conn) {
		buf := make([]byte, 4096)
		c.Read(buf)
		time.Sleep(400 * time.Millisecond)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nslow")
	})
	port := nginxtest.FreePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, []byte(fmt.Sprintf(`events {}
http { access_log off; server { listen 127.0.0.1:%d; location / { proxy_pass http://%s; } } }
`, port, slow.Addr())), 0644)
	p := start(t, dir, path)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	done := make(chan *nginxtest.Response)
	go func() { done <- nginxtest.Do(t, addr, nginxtest.Get("/")) }()
	time.Sleep(100 * time.Millisecond)
	quit := make(chan struct{})
	go func() { p.Quit(); close(quit) }()
	time.Sleep(50 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
		c.Close()
		t.Error("a new connection was accepted while quitting")
	}
	r := <-done
	if r.Status != 200 || string(r.Body) != "slow" {
		t.Errorf("the request in flight got %d %q", r.Status, r.Body)
	}
	<-quit
}

// TestReloadWorkerShutdownTimeout: connections open before a reload are
// closed once the old configuration's worker_shutdown_timeout has run
// out, as nginx's old worker closes what it still holds; one opened
// after the reload stays.
func TestReloadWorkerShutdownTimeout(t *testing.T) {
	port := nginxtest.FreePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	write := func(timeout string) {
		os.WriteFile(path, []byte(fmt.Sprintf(`%s events {}
http { access_log off; server { listen 127.0.0.1:%d; location / { return 200 ok; } } }
`, timeout, port)), 0644)
	}
	write("worker_shutdown_timeout 50ms;")
	p := start(t, dir, path)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	old, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	// A request answered on it first: the server has accepted it before
	// the reload (a dial alone may still wait in the backlog).
	old.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	old.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := http.ReadResponse(bufio.NewReader(old), nil); err != nil {
		t.Fatal(err)
	}
	write("")
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	fresh, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	time.Sleep(50 * time.Millisecond)
	old.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := old.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
		t.Fatalf("connection from before the reload still open: %d, %v", n, err)
	}
	// The new configuration has no timeout: a second reload leaves the
	// fresh connection alone.
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	fresh.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	b, _ := io.ReadAll(fresh)
	if !strings.HasSuffix(string(b), "\r\n\r\nok") {
		t.Fatalf("fresh connection: %q", b)
	}
}
