package proxy_test

// bounded_test.go is issue 12's bounded-growth test for proxy_pass with
// variables: hosts chosen by clients must not leave upstream groups,
// metric series or memory behind.

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testupstream"
)

// TestVariableHostsStayBounded sends 10,000 requests, each naming
// another host in proxy_pass http://$arg_h: every one must be proxied,
// and afterwards no upstream group, peer series or upstream series
// exists per host, and the heap has not grown with them (nginx's
// implicit upstream lives for its request).
func TestVariableHostsStayBounded(t *testing.T) {
	const hosts = 10000
	dns, table := newDNS(t)
	up := testupstream.Start(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	_, port, _ := net.SplitHostPort(up)
	for i := 0; i < hosts; i++ {
		table.Set(fmt.Sprintf("h%d.test", i), "127.0.0.1")
	}
	conf := fmt.Sprintf(`events {}
http {
    access_log off;
    resolver %s valid=30s;
    server {
        listen 127.0.0.1:{{PORT}};
        location = /metrics { goproxy_metrics; }
        location / { proxy_pass http://$arg_h:%s; }
    }
}
`, dns.Addr(), port)
	p := nginxtest.Start(t, conf, nginxtest.Options{GoOnly: true})
	addr := p.Go.Addr()
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	send := func(from, to int) {
		for i := from; i < to; i++ {
			resp, err := c.Get(fmt.Sprintf("http://%s/?h=h%d.test", addr, i))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("host %d: status %d", i, resp.StatusCode)
			}
		}
	}
	send(0, 2000) // the resolver's cache fills up
	before := heap()
	send(2000, hosts)
	grown := int64(heap()) - int64(before)
	t.Logf("heap after 2,000 hosts %d KB, after %d: %+d KB", before>>10, hosts, grown>>10)
	// 8,000 groups kept would be several MB; the bounded cache is
	// already full at 2,000.
	if grown > 1<<20 {
		t.Errorf("the heap grew by %d KB over 8,000 new hosts", grown>>10)
	}
	peers, upstreams := 0, map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(nginxtest.Do(t, addr, nginxtest.Get("/metrics")).Body))
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "goproxy_upstream_peer_up{") && strings.Contains(l, ".test") {
			peers++
		}
		// The registry is the test binary's: other tests' upstreams too.
		if strings.HasPrefix(l, "goproxy_upstream_response_duration_seconds_count{") &&
			(strings.Contains(l, ".test") || strings.Contains(l, "$arg_h")) {
			upstreams[l[:strings.LastIndexByte(l, ' ')]] = true
		}
	}
	if peers != 0 {
		t.Errorf("%d peer series for hosts from a variable, want none", peers)
	}
	if len(upstreams) != 1 {
		t.Errorf("%d upstream series, want one for the proxy_pass", len(upstreams))
	}
}

// heap is the live heap after a collection.
func heap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
