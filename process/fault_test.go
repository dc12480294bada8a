package process_test

// fault_test.go: the process under faults that need a process of their
// own or the whole configuration — descriptors running out, the
// worker_connections cap, an upstream killed under load.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"goproxy/confparse"
	"goproxy/internal/nginxtest"
	"goproxy/internal/testupstream"
	"goproxy/process"
)

// TestMain lets the test binary be goproxy itself: with
// GOPROXY_FAULT_CHILD set to a directory, it lowers its descriptor limit
// to GOPROXY_FAULT_NOFILE and serves that directory's nginx.conf (as
// "ulimit -n 40; nginx" would), until killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("GOPROXY_FAULT_CHILD"); dir != "" {
		var n uint64
		fmt.Sscan(os.Getenv("GOPROXY_FAULT_NOFILE"), &n)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
			os.Exit(2)
		}
		os.Exit(process.Run(confparse.Options{Path: filepath.Join(dir, "nginx.conf"), Prefix: dir + "/",
			Directives: "daemon off; pid " + dir + "/pid; error_log " + dir + "/error.log info;"}))
	}
	os.Exit(m.Run())
}

// TestDescriptorExhaustion: with "ulimit -n 40", 80 connections opened at
// once leave most in the backlog; the listener logs nginx's [crit]
// accept4() line, pauses, and serves again once they are closed.
func TestDescriptorExhaustion(t *testing.T) {
	dir := t.TempDir()
	port := nginxtest.FreePort(t)
	conf := fmt.Sprintf(`events { accept_mutex_delay 100ms; }
http { access_log off; server { listen 127.0.0.1:%d; location / { return 200 "ok\n"; } } }`, port)
	os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0644)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GOPROXY_FAULT_CHILD="+dir, "GOPROXY_FAULT_NOFILE=40")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitListening(t, addr)
	var conns []net.Conn
	for i := 0; i < 80; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	logPath := filepath.Join(dir, "error.log")
	waitFor(t, 5*time.Second, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "[crit] ") &&
			strings.Contains(string(b), ": accept4() failed (24: Too many open files)\n")
	}, func() string { b, _ := os.ReadFile(logPath); return "error log:\n" + string(b) })
	for _, c := range conns {
		c.Close()
	}
	// The backlog drains (the accepted ones see the client gone) and a
	// new client is served.
	waitFor(t, 10*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
		b, _ := io.ReadAll(c)
		return strings.HasPrefix(string(b), "HTTP/1.1 200 OK\r\n")
	}, func() string {
		b, _ := os.ReadFile(logPath)
		return "no answer after the flood; error log:\n" + string(b)
	})
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	waitFor(t, 10*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, func() string { return "nothing listens on " + addr })
}

func waitFor(t *testing.T, d time.Duration, ok func() bool, why func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal(why())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWorkerConnections: worker_connections × worker_processes, less the
// listening sockets, caps open client connections: beyond it the new
// connection is closed with nginx's [alert]; near it the longest-idle
// keep-alive connections make room with nginx's [warn].
func TestWorkerConnections(t *testing.T) {
	dir := t.TempDir()
	port := nginxtest.FreePort(t)
	path := filepath.Join(dir, "nginx.conf")
	// 2 × 3 slots, one listening socket in each: 4 clients.
	os.WriteFile(path, []byte(fmt.Sprintf(`worker_processes 2; error_log warn.log warn; events { worker_connections 3; }
http { access_log off; server { listen 127.0.0.1:%d; location / { return 200 "ok\n"; } } }`, port)), 0644)
	start(t, dir, path)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var busy []net.Conn
	for i := 0; i < 4; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET / HTTP/1.1\r\n") // a head begun: not reusable
		busy = append(busy, c)
	}
	time.Sleep(100 * time.Millisecond)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if b, err := io.ReadAll(c); len(b) != 0 || err != nil {
		t.Errorf("fifth client: %q %v, want the connection closed", b, err)
	}
	logPath := filepath.Join(dir, "warn.log")
	waitFor(t, 2*time.Second, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "[alert] ") && strings.Contains(string(b), ": 3 worker_connections are not enough\n")
	}, func() string { b, _ := os.ReadFile(logPath); return "no alert:\n" + string(b) })

	// The busy clients finish their requests and stay as keep-alive
	// connections; a new client then takes the place of the oldest.
	var idle []*bufio.Reader
	for _, c := range busy {
		io.WriteString(c, "Host: a\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("busy client: %v %v", resp, err)
		}
		io.Copy(io.Discard, resp.Body)
		idle = append(idle, br)
		time.Sleep(20 * time.Millisecond)
	}
	c, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
	if b, _ := io.ReadAll(c); !strings.HasPrefix(string(b), "HTTP/1.1 200 OK") {
		t.Errorf("client beside idle ones: %q", b)
	}
	busy[0].SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := idle[0].ReadByte(); err != io.EOF {
		t.Errorf("longest-idle connection: %v, want it closed", err)
	}
	waitFor(t, 2*time.Second, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "[warn] ") &&
			strings.Contains(string(b), ": 3 worker_connections are not enough, reusing connections\n")
	}, func() string { b, _ := os.ReadFile(logPath); return "no reuse warning:\n" + string(b) })
}

// TestUpstreamKilledUnderLoad: clients keep sending while the upstream
// dies and comes back on its address: requests in flight and while it is
// down get 502, none hangs, the process serves on, and once the upstream
// is back every request succeeds.
func TestUpstreamKilledUnderLoad(t *testing.T) {
	up := startKillable(t, "127.0.0.1:0")
	dir := t.TempDir()
	port := nginxtest.FreePort(t)
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, []byte(fmt.Sprintf(`events {} http { access_log off;
upstream u { server %s max_fails=0; keepalive 8; }
server { listen 127.0.0.1:%d; proxy_connect_timeout 1s; proxy_read_timeout 2s;
  location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; } } }`, up.addr, port)), 0644)
	start(t, dir, path)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	client := &http.Client{Timeout: 5 * time.Second}
	var stop atomic.Bool
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				key := "error"
				if resp, err := client.Get(url); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					key = resp.Status
				}
				mu.Lock()
				counts[key]++
				mu.Unlock()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	up.kill()
	time.Sleep(300 * time.Millisecond)
	startKillable(t, up.addr)
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	t.Logf("answers while the upstream died and came back: %v", counts)
	if counts["error"] > 0 {
		t.Errorf("%d requests failed without an answer (hung or reset)", counts["error"])
	}
	if counts["502 Bad Gateway"] == 0 || counts["200 OK"] == 0 {
		t.Errorf("want 200s and 502s, got %v", counts)
	}
	for i := 0; i < 20; i++ {
		resp, err := client.Get(url)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("after the upstream came back: %v %v", resp, err)
		}
		resp.Body.Close()
	}
}

// killable is an upstream that can die as a killed process does: its
// listener and every connection closed at once, with a reset.
type killable struct {
	addr  string
	ln    net.Listener
	mu    sync.Mutex
	conns []*net.TCPConn
}

func startKillable(t *testing.T, addr string) *killable {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	k := &killable{addr: ln.Addr().String(), ln: ln}
	t.Cleanup(k.kill)
	handle := testupstream.KeepAlive("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nup\n")
	testupstream.Serve(ln, func(c net.Conn) {
		k.mu.Lock()
		k.conns = append(k.conns, c.(*net.TCPConn))
		k.mu.Unlock()
		handle(c)
	})
	return k
}

func (k *killable) kill() {
	k.ln.Close()
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, c := range k.conns {
		c.SetLinger(0)
		c.Close()
	}
	k.conns = nil
}
