package gzipfilter_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

const conf = `events {}
http {
    access_log off;
    types { text/html html; text/css css; application/json json; image/png png; }
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        gzip on;
        gzip_types text/css application/json;
        gzip_min_length 100;
        gzip_vary on;
        location /lvl9/ { gzip_comp_level 9; alias {{ROOT}}/; }
        location /off/ { gzip off; alias {{ROOT}}/; }
        location /proxied/ { gzip_proxied any; alias {{ROOT}}/; }
        location /http10/ { gzip_http_version 1.0; alias {{ROOT}}/; }
        location /ret { return 200 "short"; }
        location /retlong { return 404 "` + "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" + `"; }
    }
}
`

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip stream: %v", err)
	}
	return out
}

// TestGzipLikeNginx compares headers with nginx and checks that both
// bodies decompress to the original (the compressed bytes differ: nginx
// uses zlib, goproxy klauspost/compress).
func TestGzipLikeNginx(t *testing.T) {
	big := strings.Repeat("goproxy compresses like nginx. ", 4000)
	p := nginxtest.Start(t, conf, nginxtest.Options{Files: map[string]string{
		"page.html": big, "small.html": "tiny", "style.css": big, "data.json": big,
		"image.png": big, "other.txt": big,
	}})
	ae := "Accept-Encoding: gzip, deflate"
	for _, r := range []string{
		nginxtest.Get("/page.html", ae),
		nginxtest.Get("/page.html"),
		nginxtest.Get("/page.html", "Accept-Encoding: gzip;q=0"),
		nginxtest.Get("/page.html", "Accept-Encoding: deflate, GZIP"),
		nginxtest.Get("/small.html", ae),
		nginxtest.Get("/style.css", ae),
		nginxtest.Get("/data.json", ae),
		nginxtest.Get("/image.png", ae),
		nginxtest.Get("/other.txt", ae),
		nginxtest.Get("/lvl9/page.html", ae),
		nginxtest.Get("/off/page.html", ae),
		nginxtest.Get("/page.html", ae, "Via: 1.1 proxy"),
		nginxtest.Get("/proxied/page.html", ae, "Via: 1.1 proxy"),
		nginxtest.Get("/page.html", ae, "Range: bytes=0-10"),
		nginxtest.Get("/small.html", ae, "Range: bytes=0-1"),
		nginxtest.Get("/nope.html", ae),
		nginxtest.Get("/ret", ae),
		nginxtest.Get("/retlong", ae),
		nginxtest.Req("HEAD", "/page.html", ae),
		"GET /page.html HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n",
		"GET /http10/page.html HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n",
	} {
		ng, gp := p.Both(t, r)
		nb, gb := ng.Body, gp.Body
		if ng.Header.Get("Content-Encoding") == "gzip" && len(nb) > 0 {
			nb = gunzip(t, nb)
			ng.Body = nb
		}
		if gp.Header.Get("Content-Encoding") == "gzip" && len(gb) > 0 {
			gb = gunzip(t, gb)
			gp.Body = gb
		}
		if d := p.Diff(ng, gp); d != "" {
			t.Errorf("%q:\n%s", strings.SplitN(r, "\r\n", 2)[0]+" "+r[strings.Index(r, "\r\n"):], d)
		}
	}
}
