package charset_test

import (
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

const conf = `events {}
http {
    access_log off;
    types { text/html html; text/plain txt; text/foo foo; image/png png; }
    charset_map B A { 58 59; C0 C1; }
    charset_map koi8-r utf-8 { C0 D18E; 58 C3A9; }
    server {
        listen 127.0.0.1:{{PORT0}};
        root {{ROOT}};
        location / { charset utf-8; }
        location /off/ { charset utf-8; alias {{ROOT}}/; location /off/in/ { charset off; alias {{ROOT}}/; } }
        location /types/ { charset utf-8; charset_types text/foo; alias {{ROOT}}/; }
        location /any/ { charset utf-8; charset_types *; alias {{ROOT}}/; }
        location /var/ { charset $arg_c; source_charset B; alias {{ROOT}}/; }
        location /ba/ { charset A; source_charset B; alias {{ROOT}}/; }
        location /ab/ { charset b; source_charset a; alias {{ROOT}}/; }
        location /same/ { charset A; source_charset a; alias {{ROOT}}/; }
        location /toutf/ { charset utf-8; source_charset koi8-r; alias {{ROOT}}/; }
        location /fromutf/ { charset koi8-r; source_charset utf-8; alias {{ROOT}}/; }
        location /err/ { charset utf-8; return 404; }
        location /keep/ { charset utf-8; proxy_pass http://127.0.0.1:{{PORT1}}/; }
        location /over/ { charset A; override_charset on; proxy_pass http://127.0.0.1:{{PORT1}}/; }
        location /accel/ { proxy_pass http://127.0.0.1:{{PORT1}}/accel/; }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        root {{ROOT}};
        location / { types { "text/html; charset=B" html; } }
        location /accel/ { charset B; add_header X-Accel-Charset A; alias {{ROOT}}/; }
    }
}
`

// TestCharsetLikeNginx compares the Content-Type charset and recoded
// bodies with nginx: single-byte tables both ways (ranges kept), to and
// from UTF-8 (length and ranges dropped, "&#N;" for what the table
// lacks), charset_types, variables, override_charset, X-Accel-Charset.
func TestCharsetLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 2, Files: map[string]string{
		"a.html": "X\xC0\xFFY" + strings.Repeat("XY", 50),
		"u.html": "caf\u00e9 \u20ac \u044e X" + strings.Repeat("\u00e9", 3000),
		"t.foo":  "X", "t.txt": "X", "i.png": "X",
	}})
	for _, r := range []string{
		nginxtest.Get("/a.html"), nginxtest.Get("/t.txt"), nginxtest.Get("/t.foo"), nginxtest.Get("/i.png"),
		nginxtest.Get("/off/a.html"), nginxtest.Get("/off/in/a.html"),
		nginxtest.Get("/types/t.foo"), nginxtest.Get("/types/a.html"), nginxtest.Get("/any/i.png"),
		nginxtest.Get("/var/a.html?c=A"), nginxtest.Get("/var/a.html?c=B"), nginxtest.Get("/var/a.html?c=Q"), nginxtest.Get("/var/a.html?c=a"), nginxtest.Get("/var/a.html?c=b"),
		nginxtest.Get("/ba/a.html"), nginxtest.Get("/ba/a.html", "Range: bytes=0-3"),
		nginxtest.Get("/ba/a.html", "Range: bytes=0-1,5-6"),
		nginxtest.Get("/ab/a.html"), nginxtest.Get("/same/a.html"),
		nginxtest.Get("/toutf/a.html"), nginxtest.Get("/toutf/a.html", "Range: bytes=0-1"),
		nginxtest.Get("/fromutf/u.html"), nginxtest.Req("HEAD", "/toutf/a.html"),
		nginxtest.Get("/err/"), nginxtest.Get("/missing.html"),
		nginxtest.Get("/keep/a.html"), nginxtest.Get("/over/a.html"), nginxtest.Get("/accel/a.html"),
	} {
		p.Compare(t, r)
	}
	if log := p.Go.ErrorLog(); !strings.Contains(log, `no "charset_map" between the charsets "B" and "Q"`) {
		t.Errorf("error log lacks the missing charset_map line:\n%s", log)
	}
}
