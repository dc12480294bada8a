package httpcore_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"reflect"
	"testing"

	"goproxy/internal/nginxtest"
)

const trailersConf = `events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:{{PORT0}};
        root {{ROOT}};
        add_trailer X-Var $uri;
        add_trailer X-Always a always;
        add_trailer X-Empty '';
        add_trailer X-Sent $sent_trailer_x_var;
        location / { }
        location /hdr/ { alias {{ROOT}}/; add_header X-H h; }
        location /own/ { alias {{ROOT}}/; add_trailer X-Own $status; }
        location /nochunk/ { alias {{ROOT}}/; chunked_transfer_encoding off; }
        location /ret { return 200 "text"; }
        location /up/ { proxy_pass http://127.0.0.1:{{PORT1}}/; add_trailer X-Len $upstream_response_length; }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        root {{ROOT}};
        add_trailer X-Upstream u;
    }
}
`

// trailers reads the trailer section of a raw response.
func trailers(t *testing.T, r *nginxtest.Response, method string) http.Header {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(r.Raw)), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Trailer
}

// TestTrailersLikeNginx compares add_trailer: which statuses, "always",
// empty values, $sent_trailer_*, inheritance apart from add_header, a
// body of known length chunked for them, HTTP/1.0, HEAD and
// chunked_transfer_encoding off without them, and an upstream's
// trailers not passed on.
func TestTrailersLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, trailersConf, nginxtest.Options{Ports: 2, Files: map[string]string{
		"a.html": "<p>body</p>\n",
	}})
	for _, c := range []struct{ method, raw string }{
		{"GET", nginxtest.Get("/a.html")}, {"GET", nginxtest.Get("/nope.html")},
		{"GET", nginxtest.Get("/hdr/a.html")}, {"GET", nginxtest.Get("/own/a.html")},
		{"GET", nginxtest.Get("/own/nope")}, {"GET", nginxtest.Get("/nochunk/a.html")},
		{"GET", nginxtest.Get("/ret")}, {"GET", nginxtest.Get("/up/a.html")},
		{"HEAD", nginxtest.Req("HEAD", "/a.html")}, {"GET", "GET /a.html HTTP/1.0\r\n\r\n"},
	} {
		ng, gp := p.Compare(t, c.raw)
		if ng == nil || gp == nil {
			continue
		}
		nt, gt := trailers(t, ng, c.method), trailers(t, gp, c.method)
		if len(nt) == 0 && len(gt) == 0 {
			continue
		}
		if !reflect.DeepEqual(nt, gt) {
			t.Errorf("%q: trailers nginx %v, goproxy %v", c.raw, nt, gt)
		}
	}
}
