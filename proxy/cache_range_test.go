package proxy_test

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

// TestCacheRangeDiff: a Range request on a MISS and then on a HIT, from
// an upstream that sends Accept-Ranges and one that does not, against
// nginx.
func TestCacheRangeDiff(t *testing.T) {
	up := startUpstream(t, "r", func(w *bufio.Writer, c net.Conn, r *upReq) bool {
		ar := ""
		if strings.Contains(r.Line, "/ar") {
			ar = "Accept-Ranges: bytes\r\n"
		}
		w.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n" + ar + "Connection: close\r\n\r\n0123456789")
		return false
	})
	p := start(t, conf(`
    proxy_cache_path cache keys_zone=rz:1m;
    add_header X-Cache $upstream_cache_status;
`, `
        location / {
            proxy_pass http://{{UP}};
            proxy_cache rz;
            proxy_cache_valid 1m;
        }
`), up)
	for _, path := range []string{"/ar", "/plain"} {
		for i := 0; i < 2; i++ {
			p.cmp(t, nginxtest.Get(path, "Range: bytes=2-4"))
		}
	}
	p.cmp(t, nginxtest.Get("/x", "Range: bytes=20-30"))
	p.cmp(t, nginxtest.Get("/x", "Range: bytes=20-30"))
}
