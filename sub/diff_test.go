package sub_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"

	"goproxy/internal/nginxtest"
)

const conf = `events {}
http {
    access_log off;
    types { text/html html; text/plain txt; }
    server {
        listen 127.0.0.1:{{PORT0}};
        root {{ROOT}};
        sub_filter foo X;
        sub_filter bar Y;
        location / { }
        location /lm/ { alias {{ROOT}}/; sub_filter foo X; sub_filter_last_modified on; }
        location /all/ { alias {{ROOT}}/; sub_filter_once off; }
        location /txt/ { alias {{ROOT}}/; sub_filter_types text/plain; }
        location /order { sub_filter_types *; sub_filter_once off;
            sub_filter abc 2; sub_filter ab 1; sub_filter b 3; return 200 "abcabxabAB"; }
        location /var { sub_filter_types text/plain; sub_filter_once off;
            sub_filter $arg_x <$arg_y>; sub_filter $arg_z Z; return 200 "aXaXa"; }
        location /up/ { sub_filter_once off; sub_filter foo X; proxy_pass http://127.0.0.1:{{PORT1}}/; }
        location /gz/ { alias {{ROOT}}/; gzip on; gzip_min_length 1; }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        root {{ROOT}};
    }
}
`

// TestSubFilterLikeNginx compares responses with sub_filter: inherited
// and own lists, once and not, types, the order strings are tried in, a
// string still unfinished at the end, strings with variables (one
// empty), headers (Last-Modified, ETag, ranges, HEAD), error pages, a
// proxied body and gzip after the filter.
func TestSubFilterLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 2, Files: map[string]string{
		"a.html": "foo bar FOO baz Bar foo\n", "a.txt": "foo bar\n", "empty.html": "",
	}})
	for _, r := range []string{
		nginxtest.Get("/a.html"), nginxtest.Get("/a.txt"), nginxtest.Get("/empty.html"),
		nginxtest.Get("/lm/a.html"), nginxtest.Get("/all/a.html"), nginxtest.Get("/txt/a.txt"),
		nginxtest.Get("/order"), nginxtest.Get("/var?x=XA&y=1"), nginxtest.Get("/var?x=a&z=x"),
		nginxtest.Get("/var?z=X"), nginxtest.Get("/a.html", "Range: bytes=0-2"),
		nginxtest.Req("HEAD", "/a.html"), nginxtest.Req("HEAD", "/lm/a.html"),
		nginxtest.Get("/up/a.html"), nginxtest.Get("/nope.html"),
	} {
		p.Compare(t, r)
	}
	// gzip runs after the filter: the compressed text is the replaced
	// one (the compressors' bytes differ, so compare it uncompressed).
	ng, gp := p.Both(t, nginxtest.Get("/gz/a.html", "Accept-Encoding: gzip"))
	for _, r := range []*nginxtest.Response{ng, gp} {
		if r.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("/gz/a.html not compressed:\n%s", r.Body)
		}
		zr, err := gzip.NewReader(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		if r.Body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	if d := p.Diff(ng, gp); d != "" {
		t.Errorf("/gz/a.html:\n%s", d)
	}
}
