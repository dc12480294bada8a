package process_test

// reload_race_test.go is issue 12's fault tests for reloads: proxy
// traffic racing reloads (run under -race), a reload that fails at
// listen leaving the running upstreams untouched, and the state of a
// configuration that is gone being released.

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testupstream"
	"goproxy/metrics"
)

// named starts a keep-alive backend that answers its own name.
func named(t *testing.T, name string) string {
	return testupstream.Start(t, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(name), name))
}

func proxyConf(port int, upstream, extra string) string {
	return fmt.Sprintf(`events {}
http {
    access_log off;
    keepalive_requests 1000000;
    %s
    server {
        listen 127.0.0.1:%d;
        location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
    %s
}
`, upstream, port, extra)
}

// TestReloadRacesProxyTraffic reloads twenty times, the upstream block
// unchanged and then changed, while clients keep proxying through it.
// The race detector sees any write to state that requests read.
func TestReloadRacesProxyTraffic(t *testing.T) {
	a, b := named(t, "a"), named(t, "b")
	port := nginxtest.FreePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	ups := func(i int) string {
		balance := []string{"", "least_conn;", "hash $arg_k;", "hash $arg_k consistent;"}[i%4]
		return fmt.Sprintf("upstream u { %s server %s max_fails=2; server %s; keepalive %d; keepalive_timeout %ds; }",
			balance, a, b, 2+i%2, 30+i%3)
	}
	os.WriteFile(path, []byte(proxyConf(port, ups(0), "")), 0644)
	p := start(t, dir, path)
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/?k=%d", port, n))
				if err != nil {
					failed.Add(1)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || (string(body) != "a" && string(body) != "b") {
					failed.Add(1)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	for i := 0; i < 20; i++ {
		time.Sleep(25 * time.Millisecond)
		// Even reloads keep the upstream as it is, odd ones change it.
		os.WriteFile(path, []byte(proxyConf(port, ups(i/2), "")), 0644)
		if err := p.Reload(); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
	}
	time.Sleep(25 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() == 0 {
		t.Errorf("%d requests failed, %d succeeded across reloads", failed.Load(), ok.Load())
	}
}

// TestFailedReloadLeavesUpstreams fails a reload at listen (its new
// address is taken) after it has compiled a changed upstream: the
// running configuration must go on hashing by its own key, and the
// refused upstream must not appear among the live peers.
func TestFailedReloadLeavesUpstreams(t *testing.T) {
	a, b := named(t, "a"), named(t, "b")
	port := nginxtest.FreePort(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	ups := func(key string) string {
		return fmt.Sprintf("upstream u { hash %s; server %s; server %s; }", key, a, b)
	}
	os.WriteFile(path, []byte(proxyConf(port, ups("$arg_a"), "")), 0644)
	p := start(t, dir, path)
	// The same servers hashed by another key, a new upstream, and a
	// listen on a port that is in use.
	bad := proxyConf(port, ups("$arg_b")+fmt.Sprintf(" upstream refused { server %s; }", a),
		fmt.Sprintf("server { listen %s; location / { proxy_pass http://refused; } }", taken.Addr()))
	os.WriteFile(path, []byte(bad), 0644)
	if err := p.Reload(); err == nil || !strings.Contains(err.Error(), "bind()") {
		t.Fatalf("reload with a taken address: %v", err)
	}
	seen := map[string]bool{}
	for i := 0; i < 32; i++ {
		r := nginxtest.Do(t, fmt.Sprintf("127.0.0.1:%d", port), nginxtest.Get(fmt.Sprintf("/?a=1&b=%d", i)))
		seen[string(r.Body)] = true
	}
	if len(seen) != 1 {
		t.Errorf("after a failed reload, one $arg_a went to %v: the refused hash key is in force", seen)
	}
	if n := peerSeries(t, "refused"); n != 0 {
		t.Errorf("the refused configuration's upstream has %d live peer series", n)
	}
}

// TestReloadReleasesUpstreams drops an upstream in a reload: once no
// request runs on the old configuration its group is released (no peer
// series, no re-resolving), and an unchanged upstream keeps its state.
func TestReloadReleasesUpstreams(t *testing.T) {
	a := named(t, "a")
	port := nginxtest.FreePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	two := fmt.Sprintf("upstream u { server %s; } upstream gone { server %s; }", a, a)
	os.WriteFile(path, []byte(proxyConf(port, two,
		"server { listen 127.0.0.1:"+fmt.Sprint(nginxtest.FreePort(t))+"; location / { proxy_pass http://gone; } }")), 0644)
	p := start(t, dir, path)
	nginxtest.Do(t, fmt.Sprintf("127.0.0.1:%d", port), nginxtest.Get("/"))
	if peerSeries(t, "gone") != 1 || peerSeries(t, "u") != 1 {
		t.Fatalf("before the reload: gone %d, u %d peer series", peerSeries(t, "gone"), peerSeries(t, "u"))
	}
	os.WriteFile(path, []byte(proxyConf(port, fmt.Sprintf("upstream u { server %s; }", a), "")), 0644)
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for peerSeries(t, "gone") != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := peerSeries(t, "gone"); n != 0 {
		t.Errorf("a dropped upstream still has %d peer series", n)
	}
	if n := peerSelected(t, "u"); n != 1 {
		t.Errorf("the unchanged upstream's peer was selected %v times, want its count (1) kept", n)
	}
}

// peerSeries counts the goproxy_upstream_peer_up series of an upstream.
func peerSeries(t *testing.T, upstream string) int {
	n := 0
	for _, m := range peerMetrics(t, "goproxy_upstream_peer_up", upstream) {
		_ = m
		n++
	}
	return n
}

func peerSelected(t *testing.T, upstream string) float64 {
	total := 0.0
	for _, v := range peerMetrics(t, "goproxy_upstream_peer_selected_total", upstream) {
		total += v
	}
	return total
}

func peerMetrics(t *testing.T, name, upstream string) []float64 {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "upstream" && l.GetValue() == upstream {
					v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
					out = append(out, v)
				}
			}
		}
	}
	return out
}
