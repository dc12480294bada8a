package proxy_test

// order_diff_test.go compares the order of the header lines nginx and
// goproxy send upstream: an upstream may depend on it (a signature over
// the head, a WAF), and nginx's is fixed by its configuration and the
// client's request.

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"goproxy/internal/nginxtest"
)

// echoRaw answers with the request line and header lines exactly as
// they came, in their order.
func echoRaw(w *bufio.Writer, _ net.Conn, r *upReq) bool {
	body := r.Line + "\n" + strings.Join(r.Lines, "\n") + "\n"
	w.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ")
	w.WriteString(itoa(len(body)) + "\r\n\r\n" + body)
	return true
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// TestRequestHeaderOrder: proxy_set_header's list, nginx's defaults
// after it, the client's lines in the order they came (duplicates
// included), the framing headers where nginx puts them.
func TestRequestHeaderOrder(t *testing.T) {
	up := startUpstream(t, "raw", echoRaw)
	p := start(t, conf(`
    upstream ka { server {{UP}}; keepalive 4; }`, `
        location /plain/ { proxy_pass http://{{UP}}; }
        location /set/ {
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header Host $host;
            proxy_set_header X-Empty "";
            proxy_set_header Accept-Encoding "";
            proxy_set_header X-Second two;
            proxy_pass http://{{UP}};
        }
        location /ka/ {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_pass http://ka;
        }
        location /outer/ {
            proxy_set_header X-Outer 1;
            location /outer/in/ { proxy_pass http://{{UP}}; }
        }
        location /hdrs/ { proxy_pass_request_headers off; proxy_set_header X-Only 1; proxy_pass http://{{UP}}; }
        location /body/ { proxy_set_header X-After-Body 1; proxy_pass http://{{UP}}; }
        location /chunk/ { proxy_http_version 1.1; proxy_request_buffering off; proxy_pass http://{{UP}}; }`), up)
	client := []string{"User-Agent: ua", "Zeta: z", "Accept: */*", "X-Dup: 1", "alpha: a", "X-Dup: 2",
		"Cookie: c=1", "X-Forwarded-For: 10.0.0.1", "Accept-Encoding: gzip"}
	for _, r := range []string{
		nginxtest.Get("/plain/", client...),
		nginxtest.Get("/set/", client...),
		nginxtest.Get("/ka/", client...),
		nginxtest.Get("/outer/in/", client...),
		nginxtest.Get("/hdrs/", client...),
		nginxtest.Req("POST", "/body/", append([]string{"Content-Length: 3"}, client...)...) + "abc",
		nginxtest.Req("POST", "/body/", append(client, "Content-Length: 3")...) + "abc",
		nginxtest.Req("POST", "/ka/", append(client, "Content-Length: 3")...) + "abc",
		nginxtest.Req("POST", "/set/", "Content-Length: 3") + "abc",
		"GET /plain/ HTTP/1.0\r\nB: 1\r\nA: 2\r\n\r\n",
	} {
		p.cmp(t, r)
	}
}

// TestRequestHeaderOrderH2: an HTTP/2 client's fields go upstream with
// their names in lower case, as they came, after the configured list.
// x/net/http2 keeps no order of the fields, so goproxy sends the
// client's by name: the client here sends them so, which is nginx's
// order too.
func TestRequestHeaderOrderH2(t *testing.T) {
	up := startUpstream(t, "raw", echoRaw)
	p := start(t, `events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:{{PORT}} http2;
        location /plain/ { proxy_pass http://{{UP}}; }
        location /set/ {
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header Host $host;
            proxy_set_header Accept-Encoding "";
            proxy_pass http://{{UP}};
        }
    }
}
`, up)
	fields := [][2]string{{"accept", "*/*"}, {"accept-encoding", "gzip"}, {"user-agent", "ua"},
		{"x-dup", "1"}, {"x-dup", "2"}, {"zeta", "z"}}
	for _, path := range []string{"/plain/", "/set/"} {
		ng := h2Get(t, p.Nginx.Addr(), path, fields)
		gp := h2Get(t, p.Go.Addr(), path, fields)
		ng = strings.ReplaceAll(ng, p.Nginx.Addr(), "SERVER")
		gp = strings.ReplaceAll(gp, p.Go.Addr(), "SERVER")
		if ng != gp {
			t.Errorf("%s: upstream got\n--- nginx:\n%s--- goproxy:\n%s", path, ng, gp)
		}
	}
}

// h2Get sends one GET with exactly fields, in their order, over
// HTTP/2 with prior knowledge, and returns the response body.
func h2Get(t *testing.T, addr, path string, fields [][2]string) string {
	t.Helper()
	c, fr := nginxtest.DialH2(t, addr)
	defer c.Close()
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "localhost"}, {":path", path}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	for _, f := range fields {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true})
	var body []byte
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.DataFrame:
			body = append(body, f.Data()...)
			if f.StreamEnded() {
				return string(body)
			}
		case *http2.HeadersFrame:
			if f.StreamEnded() {
				return string(body)
			}
		case *http2.RSTStreamFrame, *http2.GoAwayFrame:
			t.Fatalf("%s: %v", addr, f)
		}
	}
}
