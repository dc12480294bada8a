package addition_test

import (
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
        location / { add_before_body /before.txt; add_after_body /after.txt; }
        location /one/ { add_after_body /after.txt; alias {{ROOT}}/; }
        location /txt/ { addition_types text/plain; add_before_body /before.txt; alias {{ROOT}}/; }
        location /ret { default_type text/html; add_before_body /before.txt; add_after_body /after.txt; return 200 "body"; }
        location /ret404 { add_after_body /after.txt; return 404; }
        location /gz/ { gzip on; gzip_min_length 1; add_after_body /after.txt; alias {{ROOT}}/; }
        location /up/ { add_after_body /after.txt; proxy_pass http://127.0.0.1:{{PORT1}}/; }
        location /missing/ { add_after_body /nope.txt; alias {{ROOT}}/; }
        location = /before.txt { }
        location = /after.txt { }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        root {{ROOT}};
    }
}
`

// TestAdditionLikeNginx compares responses with add_before_body and
// add_after_body: static files and return, types, statuses other than
// 200, ranges, HEAD, a proxied body, a subrequest that finds nothing.
func TestAdditionLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 2, Files: map[string]string{
		"a.html": "<p>body</p>\n", "a.txt": "text\n", "before.txt": "[before]", "after.txt": "[after]",
		"empty.html": "",
	}})
	for _, r := range []string{
		nginxtest.Get("/a.html"), nginxtest.Get("/a.txt"), nginxtest.Get("/empty.html"),
		nginxtest.Get("/one/a.html"), nginxtest.Get("/txt/a.txt"), nginxtest.Get("/txt/a.html"),
		nginxtest.Get("/ret"), nginxtest.Get("/ret404"), nginxtest.Get("/nope.html"),
		nginxtest.Get("/a.html", "Range: bytes=0-2"), nginxtest.Req("HEAD", "/a.html"),
		nginxtest.Get("/gz/a.html"), nginxtest.Get("/up/a.html"), nginxtest.Get("/missing/a.html"),
		"GET /a.html HTTP/1.0\r\n\r\n",
		nginxtest.Get("/ret", "If-Modified-Since: Thu, 01 Jan 2037 00:00:00 GMT"),
	} {
		p.Compare(t, r)
	}
}
