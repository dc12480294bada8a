package metrics_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testupstream"
)

// scrape returns the metrics page as series -> value.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	r := nginxtest.Do(t, addr, nginxtest.Get("/metrics"))
	if r.Status != 200 {
		t.Fatalf("metrics: status %d\n%s", r.Status, r.Body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("bad line %q", l)
		}
		out[l[:i]] = v
	}
	return out
}

func upstream(t *testing.T) int {
	addr := testupstream.Start(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return n
}

// TestMetricsAfterKnownTraffic scrapes before and after a known set of
// requests and checks the differences.
func TestMetricsAfterKnownTraffic(t *testing.T) {
	up := upstream(t)
	conf := fmt.Sprintf(`events {}
http {
    access_log off;
    upstream app { server 127.0.0.1:%d; server 127.0.0.1:1 backup; }
    server {
        listen 127.0.0.1:{{PORT}};
        server_name metrics.test;
        root {{ROOT}};
        location = /metrics { goproxy_metrics; allow 127.0.0.1; deny all; }
        location /api/ { proxy_pass http://app/; }
    }
}
`, up)
	p := nginxtest.Start(t, conf, nginxtest.Options{GoOnly: true, Files: map[string]string{"a.txt": "a"}})
	addr := p.Go.Addr()
	before := scrape(t, addr)
	for i := 0; i < 3; i++ {
		nginxtest.Do(t, addr, nginxtest.Get("/a.txt"))
	}
	for i := 0; i < 2; i++ {
		nginxtest.Do(t, addr, nginxtest.Get("/missing"))
	}
	nginxtest.Do(t, addr, nginxtest.Req("HEAD", "/a.txt"))
	for i := 0; i < 4; i++ {
		nginxtest.Do(t, addr, nginxtest.Get("/api/x"))
	}
	if err := p.Go.Proc.Reload(); err != nil {
		t.Fatal(err)
	}
	after := scrape(t, addr)
	delta := func(series string) float64 { return after[series] - before[series] }
	want := map[string]float64{
		`goproxy_http_requests_total{code="2xx",location="",method="GET",server="metrics.test"}`:      3,
		`goproxy_http_requests_total{code="4xx",location="",method="GET",server="metrics.test"}`:      2,
		`goproxy_http_requests_total{code="2xx",location="",method="HEAD",server="metrics.test"}`:     1,
		`goproxy_http_requests_total{code="2xx",location="/api/",method="GET",server="metrics.test"}`: 4,
		`goproxy_upstream_response_duration_seconds_count{upstream="app"}`:                            4,
		fmt.Sprintf(`goproxy_upstream_peer_selected_total{peer="127.0.0.1:%d",upstream="app"}`, up):   4,
		fmt.Sprintf(`goproxy_upstream_peer_up{peer="127.0.0.1:%d",upstream="app"}`, up):               0,
		`goproxy_config_reloads_total{result="success"}`:                                              1,
		`goproxy_open_file_cache_lookups_total{result="hit"}`:                                         3,
	}
	for series, w := range want {
		got := delta(series)
		if strings.Contains(series, "peer_up") {
			got = after[series]
			w = 1
		}
		if got != w {
			t.Errorf("%s: %v, want %v", series, got, w)
		}
	}
	if after[`goproxy_http_connections{state="active"}`] < 1 {
		t.Errorf("no active connection counted during the scrape")
	}
	for series := range after {
		if strings.HasPrefix(series, "goproxy_build_info{") {
			return
		}
	}
	t.Error("no goproxy_build_info")
}

// TestCacheZoneMetrics: a cache zone's series follow its traffic: a
// miss, then hits, a bypass, with the bytes sent from the entry and its
// entry, key and disk size.
func TestCacheZoneMetrics(t *testing.T) {
	up := upstream(t)
	conf := fmt.Sprintf(`events {}
http {
    access_log off;
    proxy_cache_path cache levels=1:2 keys_zone=mz:1m;
    server {
        listen 127.0.0.1:{{PORT}};
        location = /metrics { goproxy_metrics; }
        location / {
            proxy_pass http://127.0.0.1:%d;
            proxy_cache mz;
            proxy_cache_valid 1m;
            proxy_cache_bypass $arg_nocache;
        }
    }
}
`, up)
	p := nginxtest.Start(t, conf, nginxtest.Options{GoOnly: true})
	addr := p.Go.Addr()
	for _, u := range []string{"/x", "/x", "/x", "/x?nocache=1"} {
		nginxtest.Do(t, addr, nginxtest.Get(u))
	}
	got := scrape(t, addr)
	l := `{module="proxy",zone="mz"}`
	for series, w := range map[string]float64{
		`goproxy_cache_requests_total{module="proxy",status="miss",zone="mz"}`:   1,
		`goproxy_cache_requests_total{module="proxy",status="hit",zone="mz"}`:    2,
		`goproxy_cache_requests_total{module="proxy",status="bypass",zone="mz"}`: 1,
		`goproxy_cache_sent_bytes_total` + l:                                     4, // "ok" twice
		`goproxy_cache_entries` + l:                                              2, // /x and /x?nocache=1
		`goproxy_cache_keys` + l:                                                 2,
		`goproxy_cache_size_bytes` + l:                                           8192,
	} {
		if got[series] != w {
			t.Errorf("%s: %v, want %v", series, got[series], w)
		}
	}
	if got[`goproxy_cache_written_bytes_total`+l] < 4 {
		t.Errorf("written bytes: %v", got[`goproxy_cache_written_bytes_total`+l])
	}
}
