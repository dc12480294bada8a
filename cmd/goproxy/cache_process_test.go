package main

// cache_process_test.go runs the built binary with proxy_cache for what
// only a real process shows: a kill -9 in the middle of writing an entry
// leaves nothing a restarted server serves, an entry committed before
// the kill is served after the restart, and 100,000 distinct keys
// against a small keys_zone keep the keys, the disk and the memory
// bounded.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// server is a goproxy process serving dir/nginx.conf in the foreground.
type server struct {
	cmd  *exec.Cmd
	port int
}

func startServer(t *testing.T, dir, conf string, port int) *server {
	t.Helper()
	os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644)
	cmd := exec.Command(bin, "-p", dir+"/", "-c", "nginx.conf", "-g", "daemon off;")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, port: port}
	t.Cleanup(func() { s.kill() })
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", s.addr(), 100*time.Millisecond)
		if err == nil {
			c.Close()
			return s
		}
		if i > 100 {
			t.Fatalf("goproxy did not listen on %s", s.addr())
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func (s *server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// kill is kill -9.
func (s *server) kill() {
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

func cacheConf(dir string, port, upPort int, zone string) string {
	return fmt.Sprintf(`user root;
error_log %[1]s/error.log info;
pid %[1]s/run.pid;
events { worker_connections 1024; }
http {
    access_log off;
    proxy_cache_path %[1]s/cache levels=1:2 keys_zone=%[4]s;
    upstream app { server 127.0.0.1:%[3]d; keepalive 16; }
    proxy_http_version 1.1;
    keepalive_requests 1000000;
    proxy_set_header Connection "";
    server {
        listen 127.0.0.1:%[2]d;
        location = /metrics { goproxy_metrics; }
        location / {
            proxy_pass http://app;
            proxy_cache z;
            proxy_cache_valid 10m;
            add_header X-Cache $upstream_cache_status;
        }
        # Keys counted, nothing written before a second use.
        location /keys/ {
            proxy_pass http://app;
            proxy_cache z;
            proxy_cache_min_uses 2;
        }
    }
}
`, dir, port, upPort, zone)
}

// listFiles lists the regular files under dir.
func listFiles(dir string) (entries, tmps []string) {
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			if strings.HasSuffix(p, ".tmp") {
				tmps = append(tmps, p)
			} else {
				entries = append(entries, p)
			}
		}
		return nil
	})
	return
}

// TestCacheKill9DuringWrite: the upstream stalls in the middle of a
// body; goproxy is killed with SIGKILL while the entry's temporary file
// is being written. Restarted, it serves a fresh MISS with the whole new
// body (never the torn one), removes the torn temporary file, and still
// serves the entry it had committed before the kill as a HIT.
func TestCacheKill9DuringWrite(t *testing.T) {
	dir := t.TempDir()
	var stall atomic.Bool
	stall.Store(true)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/done" {
			w.Write([]byte("complete entry"))
			return
		}
		body := strings.Repeat("v2", 50000)
		if stall.Load() {
			body = strings.Repeat("v1", 50000)
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(200)
		if stall.Load() {
			w.Write([]byte(body[:30000]))
			w.(http.Flusher).Flush()
			<-release // never finishes while goproxy lives
			return
		}
		w.Write([]byte(body))
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go up.Serve(ln)
	t.Cleanup(func() { up.Close() })
	upPort := ln.Addr().(*net.TCPAddr).Port
	port := nginxtest.FreePort(t)
	conf := cacheConf(dir, port, upPort, "z:1m")
	s := startServer(t, dir, conf, port)

	if got := get(t, s.addr(), "/done"); got.cache != "MISS" || got.body != "complete entry" {
		t.Fatalf("/done: %+v", got)
	}
	// The request whose entry is cut by the kill.
	c, err := net.Dial("tcp", s.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /big HTTP/1.0\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 20000)); err != nil {
		t.Fatalf("the start of the body: %v", err)
	}
	var tmps []string
	for i := 0; i < 100 && len(tmps) == 0; i++ {
		_, tmps = listFiles(filepath.Join(dir, "cache"))
		time.Sleep(10 * time.Millisecond)
	}
	if len(tmps) == 0 {
		t.Fatal("no temporary file while the entry is written")
	}
	s.kill()
	once.Do(func() { close(release) })
	stall.Store(false)

	s = startServer(t, dir, conf, port)
	got := get(t, s.addr(), "/big")
	if got.cache != "MISS" || got.body != strings.Repeat("v2", 50000) {
		t.Fatalf("/big after the restart: X-Cache %q, %d bytes (want a MISS with the new body)", got.cache, len(got.body))
	}
	if got := get(t, s.addr(), "/big"); got.cache != "HIT" || got.body != strings.Repeat("v2", 50000) {
		t.Fatalf("/big again: X-Cache %q, %d bytes", got.cache, len(got.body))
	}
	if got := get(t, s.addr(), "/done"); got.cache != "HIT" || got.body != "complete entry" {
		t.Fatalf("/done after the restart: %+v (want the entry committed before the kill)", got)
	}
	for i := 0; ; i++ {
		if _, tmps = listFiles(filepath.Join(dir, "cache")); len(tmps) == 0 {
			break
		}
		if i > 100 {
			t.Fatalf("the torn temporary file stays: %v", tmps)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type got struct {
	status      int
	cache, body string
}

func get(t *testing.T, addr, path string) got {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return got{resp.StatusCode, resp.Header.Get("X-Cache"), string(b)}
}

// rss is the process's resident memory in kB.
func rss(t *testing.T, pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skip("no /proc")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	return 0
}

// TestCacheManyKeysBounded: 100,000 distinct keys against the smallest
// keys_zone (8k: 64 keys), 3,000 of them written as entries, keep at
// most 64 keys and entries, the disk use of 64 entries, and the memory
// of the first 11,000.
func TestCacheManyKeysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 requests")
	}
	dir := t.TempDir()
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 100)))
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go up.Serve(ln)
	t.Cleanup(func() { up.Close() })
	port := nginxtest.FreePort(t)
	s := startServer(t, dir, cacheConf(dir, port, ln.Addr().(*net.TCPAddr).Port, "z:8k"), port)

	// Requests are pipelined on 8 connections: the client must not
	// be what takes the time.
	run := func(prefix string, from, to int) {
		var wg sync.WaitGroup
		per := (to - from) / 8
		for w := 0; w < 8; w++ {
			lo, hi := from+w*per, from+(w+1)*per
			if w == 7 {
				hi = to
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.Dial("tcp", s.addr())
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				go func() {
					bw := bufio.NewWriter(c)
					for i := lo; i < hi; i++ {
						fmt.Fprintf(bw, "GET %s%d HTTP/1.1\r\nHost: x\r\n\r\n", prefix, i)
					}
					bw.Flush()
				}()
				br := bufio.NewReader(c)
				for i := lo; i < hi; i++ {
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						t.Errorf("%s%d: %v", prefix, i, err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						t.Errorf("%s%d: %d", prefix, i, resp.StatusCode)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	// Every key takes a node in the keys zone; one in 25 writes an
	// entry too (all would take a minute on a small machine).
	start := time.Now()
	run("/keys/", 0, 10000)
	run("/k/", 10000, 11000)
	base := rss(t, s.cmd.Process.Pid)
	run("/keys/", 11000, 98000)
	run("/k/", 98000, 100000)
	t.Logf("100,000 keys in %v; RSS %d kB after 11,000, %d kB after 100,000", time.Since(start), base, rss(t, s.cmd.Process.Pid))
	if t.Failed() {
		return
	}
	entries, _ := listFiles(filepath.Join(dir, "cache"))
	if len(entries) > 64 {
		t.Errorf("%d entries on disk, want at most 64 (the keys zone's keys)", len(entries))
	}
	m := get(t, s.addr(), "/metrics").body
	for _, l := range strings.Split(m, "\n") {
		if strings.HasPrefix(l, "goproxy_cache_keys{") || strings.HasPrefix(l, "goproxy_cache_entries{") {
			f := strings.Fields(l)
			if n, _ := strconv.ParseFloat(f[len(f)-1], 64); n > 64 || n < 1 {
				t.Errorf("%s: want 1 to 64", l)
			}
		}
		if strings.HasPrefix(l, "goproxy_cache_size_bytes{") {
			f := strings.Fields(l)
			if n, _ := strconv.ParseFloat(f[len(f)-1], 64); n > 64*4096 {
				t.Errorf("%s: want at most 64 blocks", l)
			}
		}
	}
	if after := rss(t, s.cmd.Process.Pid); after > base+32*1024 {
		t.Errorf("RSS grew from %d kB to %d kB over 90,000 more keys", base, after)
	}
}
