package slice_test

import (
	"testing"

	"goproxy/internal/nginxtest"
)

// The second server is the upstream: files with Accept-Ranges, and
// answers that do not fit a slice.
const conf = `events {}
http {
    access_log off;
    proxy_cache_path {{DIR}}/cache keys_zone=SL:1m;
    proxy_temp_path {{DIR}}/tmp;
    server {
        listen 127.0.0.1:{{PORT}};
        location /p/ {
            slice 4;
            proxy_pass http://127.0.0.1:{{PORT1}}/;
            proxy_set_header Range $slice_range;
            add_header X-Range "$slice_range";
        }
        location /c/ {
            slice 4;
            proxy_pass http://127.0.0.1:{{PORT1}}/;
            proxy_cache SL;
            proxy_cache_key $uri$is_args$args$slice_range;
            proxy_cache_valid 200 206 1h;
            proxy_set_header Range $slice_range;
            add_header X-Cache $upstream_cache_status;
        }
        location /unused/ {
            slice 4;
            proxy_pass http://127.0.0.1:{{PORT1}}/;
        }
        location /big/ {
            slice 1m;
            proxy_pass http://127.0.0.1:{{PORT1}}/;
            proxy_set_header Range $slice_range;
        }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        root {{ROOT}};
        location /norange/ { max_ranges 0; }
        location /gone { return 404; }
        location /redir { return 302 /elsewhere; }
    }
}
`

// TestSliceLikeNginx: whole responses and ranges made of slices, the
// client's conditions, an upstream that does not answer with ranges,
// and a location that never asks for a slice.
func TestSliceLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 2, Files: map[string]string{
		"f":         "0123456789abcdefghijklmnopqrstuvwxyz",
		"norange/f": "0123456789abcdefghij",
		"small":     "ab",
		"empty":     "",
	}})
	etag := `"65ec3608-24"` // the mtime nginxtest gives files, and f's size
	lm := "Sat, 09 Mar 2024 10:11:12 GMT"
	for _, loc := range []string{"/p/", "/c/", "/unused/", "/big/"} {
		for _, r := range []string{
			nginxtest.Get(loc + "f"),
			nginxtest.Get(loc+"f", "Range: bytes=5-9"),
			nginxtest.Get(loc+"f", "Range: bytes=30-"),
			nginxtest.Get(loc+"f", "Range: bytes=-3"),
			nginxtest.Get(loc+"f", "Range: bytes=0-0,5-6"),
			nginxtest.Get(loc+"f", "Range: bytes=40-50"),
			nginxtest.Get(loc+"f", "If-None-Match: "+etag),
			nginxtest.Get(loc+"f", "If-Match: \"other\""),
			nginxtest.Get(loc+"f", "Range: bytes=6-9", "If-Range: "+etag),
			nginxtest.Get(loc+"f", "Range: bytes=6-9", "If-Range: \"other\""),
			nginxtest.Get(loc+"f", "Range: bytes=6-9", "If-Range: "+lm),
			nginxtest.Req("HEAD", loc+"f"),
			nginxtest.Get(loc + "norange/f"),
			nginxtest.Get(loc + "small"),
			nginxtest.Get(loc + "empty"),
			nginxtest.Get(loc + "gone"),
			nginxtest.Get(loc + "redir"),
			nginxtest.Get(loc + "missing"),
		} {
			p.Compare(t, r)
		}
	}
}
