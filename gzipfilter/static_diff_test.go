package gzipfilter_test

import (
	"bytes"
	"compress/gzip"
	"net"
	"net/http"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

func gz(s string) string {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, 6)
	zw.Write([]byte(s))
	zw.Close()
	return b.String()
}

// gzBackend serves gzip-encoded bodies: whole, two gzip members in a
// row, broken, and empty.
func gzBackend(t *testing.T, big string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("ETag", `"up-etag"`)
		switch r.URL.Path {
		case "/big":
			w.Write([]byte(gz(big)))
		case "/members":
			w.Write([]byte(gz("first member\n") + gz("second member\n")))
		case "/upper":
			w.Header().Set("Content-Encoding", "GZIP")
			w.Write([]byte(gz("upper\n")))
		case "/identity":
			w.Header().Set("Content-Encoding", "identity")
			w.Write([]byte("plain\n"))
		case "/head":
			w.WriteHeader(204)
		default:
			w.Write([]byte(gz("small upstream body\n")))
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

const staticConf = `events {}
http {
    access_log off;
    types { text/html html; text/plain txt; application/javascript js; }
    root {{ROOT}};
    server {
        listen 127.0.0.1:{{PORT}};
        gzip_static on;
        location /vary/ { gzip_vary on; }
        location /always/ { gzip_static always; }
        location /gunzip/ { gzip_static always; gunzip on; gzip_vary on; }
        location /off/ { gzip_static off; }
        location /old/ { gzip_http_version 1.1; }
        location /up/ { gunzip on; proxy_pass http://BACKEND/; }
        location /upvary/ { gunzip on; gzip_vary on; proxy_pass http://BACKEND/; }
        location /upgzip/ { gunzip on; gzip on; gzip_types text/plain; proxy_pass http://BACKEND/; }
    }
}
`

// TestGzipStaticGunzipLikeNginx compares gzip_static (on, always, off,
// Vary, missing .gz, HEAD, ranges, conditional requests) and gunzip of
// .gz files and of upstream responses; compressed bodies are compared
// decompressed.
func TestGzipStaticGunzipLikeNginx(t *testing.T) {
	big := strings.Repeat("gunzip streams through a coroutine. ", 20000)
	conf := strings.ReplaceAll(staticConf, "BACKEND", gzBackend(t, big))
	files := map[string]string{}
	for _, d := range []string{"", "vary/", "always/", "gunzip/", "off/", "old/"} {
		files[d+"a.txt"] = "original a\n"
		files[d+"a.txt.gz"] = gz("compressed a\n")
		files[d+"only.js"] = "only original\n"
		files[d+"page.html.gz"] = gz("<p>only compressed</p>\n")
		files[d+"big.txt"] = "x"
		files[d+"big.txt.gz"] = gz(big)
		files[d+"dir.gz/"] = ""
		files[d+"dir"] = "a file next to dir.gz\n"
	}
	p := nginxtest.Start(t, conf, nginxtest.Options{Files: files})
	ae := "Accept-Encoding: gzip"
	var reqs []string
	for _, d := range []string{"/", "/vary/", "/always/", "/gunzip/", "/off/"} {
		for _, f := range []string{"a.txt", "only.js", "page.html", "big.txt", "dir", "missing.txt", ""} {
			reqs = append(reqs, nginxtest.Get(d+f, ae), nginxtest.Get(d+f))
		}
		reqs = append(reqs,
			nginxtest.Req("HEAD", d+"a.txt", ae), nginxtest.Req("HEAD", d+"a.txt"),
			nginxtest.Req("POST", d+"a.txt", ae),
			nginxtest.Get(d+"a.txt", ae, "Range: bytes=0-3"), nginxtest.Get(d+"a.txt", "Range: bytes=0-3"),
			nginxtest.Get(d+"a.txt", ae, "If-Modified-Since: Sat, 09 Mar 2024 10:11:12 GMT"),
			nginxtest.Get(d+"a.txt", "If-Modified-Since: Sat, 09 Mar 2024 10:11:12 GMT"),
			nginxtest.Get(d+"a.txt", "Accept-Encoding: gzip;q=0"),
			"GET "+d+"a.txt HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n",
		)
	}
	for _, d := range []string{"/up/", "/upvary/", "/upgzip/"} {
		for _, f := range []string{"small", "big", "members", "upper", "identity"} {
			reqs = append(reqs, nginxtest.Get(d+f, ae), nginxtest.Get(d+f))
		}
		reqs = append(reqs, nginxtest.Req("HEAD", d+"small"), nginxtest.Get(d+"small", "Range: bytes=0-3"))
	}
	for _, r := range reqs {
		ng, gp := p.Both(t, r)
		for _, x := range []*nginxtest.Response{ng, gp} {
			if x.Header.Get("Content-Encoding") == "gzip" && len(x.Body) > 0 {
				x.Body = gunzip(t, x.Body)
			}
		}
		if d := p.Diff(ng, gp); d != "" {
			t.Errorf("%q:\n%s\n--- nginx:\n%s\n--- goproxy:\n%s", r, d, ng.Raw[:min(len(ng.Raw), 400)], gp.Raw[:min(len(gp.Raw), 400)])
		}
	}
	// gunzip really decompressed the big ones.
	for _, u := range []string{"/gunzip/big.txt", "/up/big"} {
		_, gp := p.Both(t, nginxtest.Get(u))
		if string(gp.Body) != big {
			t.Errorf("%s: body of %d bytes is not the original", u, len(gp.Body))
		}
	}
}
