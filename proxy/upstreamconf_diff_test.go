package proxy_test

// upstreamconf_diff_test.go: the settings every upstream module shares
// (*_bind, *_force_ranges, *_store, uwsgi_string), against nginx.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testupstream"
)

// peerUpstream answers with the address the connection came from.
func peerUpstream(t *testing.T) *upstream {
	return startUpstream(t, "peer", func(w *bufio.Writer, c net.Conn, r *upReq) bool {
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(host), host)
		return false
	})
}

// TestBindDiff: proxy_bind from a constant, inherited, off, from a
// variable (empty, not an address, an address), and one that cannot be
// bound (a crit and a 500, no next upstream); memcached_bind and
// fastcgi_bind are the same code.
func TestBindDiff(t *testing.T) {
	up := peerUpstream(t)
	p := start(t, conf(`
    log_format u "$request_uri $status [$upstream_addr] [$upstream_status]";`, `
        access_log {{DIR}}/u.log u;
        proxy_bind 127.0.0.2;
        location /c { proxy_bind 127.0.0.3; proxy_pass http://{{UP}}; }
        location /inherit { proxy_pass http://{{UP}}; }
        location /off { proxy_bind off; proxy_pass http://{{UP}}; }
        location /var { proxy_bind $arg_b; proxy_pass http://{{UP}}; }
        location /tp { proxy_bind 127.0.0.4 transparent; proxy_pass http://{{UP}}; }
        location /fail { proxy_bind 10.255.1.2; proxy_pass http://{{UP}}; }
`), up)
	paths := []string{"/c", "/inherit", "/off", "/var", "/var?b=", "/var?b=foo", "/var?b=127.0.0.5",
		"/var?b=127.0.0.5:0", "/var?b=[::1]", "/tp", "/fail"}
	for _, path := range paths {
		p.cmp(t, nginxtest.Get(path))
	}
	ng, gp := logLines(p.Nginx, "u.log", len(paths)), logLines(p.Go, "u.log", len(paths))
	if ng != gp {
		t.Errorf("access logs differ:\n--- nginx:\n%s--- goproxy:\n%s", ng, gp)
	}
	for _, want := range []string{`[error] invalid local address "foo"`, `[error] invalid local address "127.0.0.5:0"`,
		`[crit] bind(10.255.1.2) failed (99: Cannot assign requested address) while connecting to upstream`} {
		for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
			if !strings.Contains(strings.Join(errorLines(s), "\n"), want) {
				t.Errorf("%s's error log lacks %q:\n%s", s.Name, want, s.ErrorLog())
			}
		}
	}
}

// logLines is a log of the server's once it has n lines (it may lag
// the responses a little), with the upstreams' ports hidden.
func logLines(s *nginxtest.Server, name string, n int) string {
	var b []byte
	for i := 0; i < 100 && strings.Count(string(b), "\n") < n; i++ {
		time.Sleep(10 * time.Millisecond)
		b, _ = os.ReadFile(filepath.Join(s.Dir, name))
	}
	return string(b)
}

// TestForceRangesDiff: proxy_force_ranges on an upstream that sends no
// Accept-Ranges: one range, several (the whole response: nginx ranges
// an upstream's body once), none that fits (416), If-Range by date and
// by tag, a body of unknown length (not ranged), and the response
// without a Range header (Accept-Ranges is the filter's).
func TestForceRangesDiff(t *testing.T) {
	up := startUpstream(t, "fr", func(w *bufio.Writer, c net.Conn, r *upReq) bool {
		ar := ""
		if strings.Contains(r.Line, "/ar") {
			ar = "Accept-Ranges: none\r\n"
		}
		if strings.Contains(r.Line, "/chunked") {
			w.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\na\r\n0123456789\r\n0\r\n\r\n")
			return false
		}
		w.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nLast-Modified: Mon, 28 Sep 1970 06:00:00 GMT\r\n" +
			"ETag: \"abc\"\r\n" + ar + "Connection: close\r\n\r\n0123456789")
		return false
	})
	p := start(t, conf("", `
        location / { proxy_pass http://{{UP}}; proxy_force_ranges on; }
        location /plain { proxy_pass http://{{UP}}; }
        location /nomax { proxy_pass http://{{UP}}; proxy_force_ranges on; max_ranges 0; }
`), up)
	for _, raw := range []string{
		nginxtest.Get("/x"),
		nginxtest.Get("/ar"),
		nginxtest.Get("/x", "Range: bytes=2-4"),
		nginxtest.Get("/ar", "Range: bytes=-3"),
		nginxtest.Get("/x", "Range: bytes=0-1,4-5"),
		nginxtest.Get("/x", "Range: bytes=20-30"),
		nginxtest.Get("/x", "Range: bytes=2-", "If-Range: Mon, 28 Sep 1970 06:00:00 GMT"),
		nginxtest.Get("/x", "Range: bytes=2-", "If-Range: Mon, 28 Sep 1970 06:00:01 GMT"),
		nginxtest.Get("/x", "Range: bytes=2-", `If-Range: "abc"`),
		nginxtest.Get("/x", "Range: bytes=2-", `If-Range: "abd"`),
		nginxtest.Get("/chunked", "Range: bytes=2-4"),
		nginxtest.Get("/plain", "Range: bytes=2-4"),
		nginxtest.Get("/nomax", "Range: bytes=2-4"),
		nginxtest.Req("HEAD", "/x", "Range: bytes=2-4"),
	} {
		p.cmp(t, raw)
	}
}

// TestStoreDiff: proxy_store under the root and to a path of variables,
// with proxy_store_access, the upstream's Last-Modified as the file's
// time; not stored: an error status, a HEAD, an unbuffered response, a
// body cut short. The trees the two servers write must be the same.
func TestStoreDiff(t *testing.T) {
	up := startUpstream(t, "st", func(w *bufio.Writer, c net.Conn, r *upReq) bool {
		switch {
		case strings.Contains(r.Line, "/missing"):
			w.WriteString("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno")
		case strings.Contains(r.Line, "/short"):
			w.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\nonly ten b")
		case strings.Contains(r.Line, "/chunked"):
			w.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nLast-Modified: Sat, 01 Jan 2000 00:00:00 GMT\r\n" +
				"Connection: close\r\n\r\n5\r\nchunk\r\n0\r\n\r\n")
		default:
			w.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nLast-Modified: Mon, 28 Sep 1970 06:00:00 GMT\r\nConnection: close\r\n\r\nhello")
		}
		return false
	})
	// Root writes the tree: nginx's workers are otherwise "nobody".
	p := start(t, "user root;\n"+conf("proxy_temp_path {{DIR}}/temp;", `
        location / { root {{DIR}}/store; proxy_store on; proxy_pass http://{{UP}}; }
        location /acc/ { root {{DIR}}/store; proxy_store on; proxy_store_access user:rw group:rw all:r; proxy_pass http://{{UP}}; }
        location /ro/ { root {{DIR}}/store; proxy_store on; proxy_store_access user:r; proxy_pass http://{{UP}}; }
        location /var/ { proxy_store {{DIR}}/store/v/$arg_n.txt; proxy_pass http://{{UP}}; }
        location /nb/ { root {{DIR}}/store; proxy_buffering off; proxy_store on; proxy_pass http://{{UP}}; }
        location /off/ { root {{DIR}}/store; proxy_store off; proxy_pass http://{{UP}}; }
`), up)
	for _, raw := range []string{
		nginxtest.Get("/a.html"),
		nginxtest.Get("/d/e/f.html"),
		nginxtest.Get("/acc/a.html"),
		nginxtest.Get("/ro/x/a.html"),
		nginxtest.Get("/var/a?n=one"),
		nginxtest.Get("/chunked/c.txt"),
		nginxtest.Get("/nb/a.html"),
		nginxtest.Get("/off/a.html"),
		nginxtest.Get("/missing/a.html"),
		nginxtest.Req("HEAD", "/head/a.html"),
		nginxtest.Get("/short/a.html"),
	} {
		p.cmp(t, raw)
	}
	ng, gp := storeTree(t, filepath.Join(p.Nginx.Dir, "store")), storeTree(t, filepath.Join(p.Go.Dir, "store"))
	if ng != gp {
		t.Errorf("stored trees differ:\n--- nginx:\n%s--- goproxy:\n%s", ng, gp)
	}
}

// storeTree lists the files under dir with their modes, times and
// contents; directories with their modes.
func storeTree(t *testing.T, dir string) string {
	var lines []string
	filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if fi.IsDir() {
			lines = append(lines, fmt.Sprintf("%s %v\n", rel, fi.Mode()))
			return nil
		}
		b, _ := os.ReadFile(path)
		lines = append(lines, fmt.Sprintf("%s %v %s %q\n", rel, fi.Mode(), fi.ModTime().UTC().Format("2006-01-02T15:04:05"), b))
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "")
}

// TestUWSGIStringDiff: uwsgi_string goes after the vars, counted in the
// packet's size; the backend answers with the packet as it came. The
// answer is also stored (uwsgi_store: the CGI family's *_store is the
// proxy's).
func TestUWSGIStringDiff(t *testing.T) {
	addr := testupstream.Listen(t, func(c net.Conn) {
		var h [4]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return
		}
		pkt := make([]byte, binary.LittleEndian.Uint16(h[1:3]))
		io.ReadFull(c, pkt)
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nLast-Modified: Sat, 01 Jan 2000 00:00:00 GMT\r\n\r\n%q", pkt)
	})
	p := start(t, "user root;\n"+conf("uwsgi_temp_path {{DIR}}/temp;", `
        location / { uwsgi_param A b; uwsgi_string "XYZ"; uwsgi_pass `+addr+`; }
        location /none { uwsgi_param A b; uwsgi_pass `+addr+`; }
        location /st/ { uwsgi_param A b; uwsgi_store {{DIR}}/store$uri; uwsgi_store_access all:r; uwsgi_pass `+addr+`; }
`))
	p.cmp(t, nginxtest.Get("/"))
	p.cmp(t, nginxtest.Get("/none"))
	p.cmp(t, nginxtest.Get("/st/d/a.txt"))
	ng, gp := storeTree(t, filepath.Join(p.Nginx.Dir, "store")), storeTree(t, filepath.Join(p.Go.Dir, "store"))
	if ng != gp || ng == "" {
		t.Errorf("stored trees differ:\n--- nginx:\n%s--- goproxy:\n%s", ng, gp)
	}
}

// TestStoreOrCacheDiff: the one of proxy_store and proxy_cache a level
// writes turns off the other it inherits.
func TestStoreOrCacheDiff(t *testing.T) {
	up := startUpstream(t, "sc", func(w *bufio.Writer, c net.Conn, r *upReq) bool {
		w.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nLast-Modified: Mon, 28 Sep 1970 06:00:00 GMT\r\nConnection: close\r\n\r\nhello")
		return false
	})
	p := start(t, "user root;\n"+conf("proxy_temp_path {{DIR}}/temp; proxy_cache_path {{DIR}}/cache keys_zone=sc:1m;", `
        proxy_store on;
        root {{DIR}}/store;
        add_header X-Cache $upstream_cache_status;
        location /cached/ { proxy_cache sc; proxy_cache_valid 1m; proxy_pass http://{{UP}}; }
        location /stored/ {
            proxy_cache sc;
            proxy_cache_valid 1m;
            location /stored/in/ { proxy_store on; proxy_pass http://{{UP}}; }
        }
`), up)
	for _, path := range []string{"/cached/a", "/cached/a", "/stored/in/b", "/stored/in/b"} {
		p.cmp(t, nginxtest.Get(path))
	}
	ng, gp := storeTree(t, filepath.Join(p.Nginx.Dir, "store")), storeTree(t, filepath.Join(p.Go.Dir, "store"))
	if ng != gp || ng == "" {
		t.Errorf("stored trees differ:\n--- nginx:\n%s--- goproxy:\n%s", ng, gp)
	}
}

// TestCGIForceRangesDiff: scgi_force_ranges ranges an SCGI answer of
// known length, as proxy_force_ranges does an HTTP one.
func TestCGIForceRangesDiff(t *testing.T) {
	addr := testupstream.Listen(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if _, err := br.ReadString(','); err != nil { // the netstring of headers, enough of it
			return
		}
		io.WriteString(c, "Status: 200 OK\r\nContent-Length: 10\r\nETag: \"e\"\r\n\r\n0123456789")
	})
	p := start(t, conf("", `
        location / { scgi_force_ranges on; scgi_pass `+addr+`; }
        location /plain { scgi_pass `+addr+`; }
`))
	for _, raw := range []string{
		nginxtest.Get("/", "Range: bytes=2-4"),
		nginxtest.Get("/", "Range: bytes=2-4", `If-Range: "e"`),
		nginxtest.Get("/"),
		nginxtest.Get("/plain", "Range: bytes=2-4"),
	} {
		p.cmp(t, raw)
	}
}
