package proxy_test

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// TestCacheBackgroundUpdateDiff: an entry past its max-age but within
// its stale-while-revalidate window is sent at once (STALE) while one
// background request refreshes it; the next request has the new
// response (HIT). A refresh that fails leaves the entry stale, and
// proxy_cache_use_stale updating allows the same without the window.
// Against nginx.
func TestCacheBackgroundUpdateDiff(t *testing.T) {
	var gen atomic.Int64
	gen.Store(1)
	up := startUpstream(t, "bg", func(w *bufio.Writer, c net.Conn, r *upReq) bool {
		g := strconv.FormatInt(gen.Load(), 10)
		status, cc := "200 OK", "max-age=1, stale-while-revalidate=60"
		if strings.Contains(r.Line, "/plain") {
			cc = "max-age=1"
		}
		if strings.Contains(r.Line, "fail") && gen.Load() > 1 {
			status, cc = "500 Internal Server Error", ""
		}
		w.WriteString("HTTP/1.1 " + status + "\r\nContent-Length: " + strconv.Itoa(len(g)+1) + "\r\n")
		if cc != "" {
			w.WriteString("Cache-Control: " + cc + "\r\n")
		}
		w.WriteString("Connection: close\r\n\r\nv" + g)
		return false
	})
	p := start(t, conf(`
    proxy_cache_path cache keys_zone=bg:1m use_temp_path=off;
    add_header X-Cache $upstream_cache_status always;
`, `
        location / {
            proxy_pass http://{{UP}};
            proxy_cache bg;
            proxy_cache_background_update on;
        }
        location /updating/ {
            proxy_pass http://{{UP}};
            proxy_cache bg;
            proxy_cache_background_update on;
            proxy_cache_use_stale updating;
        }
`), up)
	paths := []string{"/swr", "/fail", "/plain", "/updating/plain"}
	for _, path := range paths {
		p.cmp(t, nginxtest.Get(path)) // MISS, v1
	}
	time.Sleep(2100 * time.Millisecond)
	gen.Store(2)
	want := map[string]string{
		// Served stale, the refresh done before the connection
		// closes; a refresh that failed leaves the entry stale.
		"/swr": "STALE v1, HIT v2", "/fail": "STALE v1, STALE v1",
		// No window: the upstream is asked first.
		"/plain": "EXPIRED v2, HIT v2", "/updating/plain": "STALE v1, HIT v2",
	}
	for _, path := range paths {
		var got []string
		for i := 0; i < 2; i++ {
			_, gp := p.cmp(t, nginxtest.Get(path))
			got = append(got, gp.Header.Get("X-Cache")+" "+string(gp.Body))
		}
		if g := strings.Join(got, ", "); g != want[path] {
			t.Errorf("%s: %s, want %s", path, g, want[path])
		}
	}
}
