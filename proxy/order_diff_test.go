package proxy_test

// order_diff_test.go compares the order of the header lines nginx and
// goproxy send upstream: an upstream may depend on it (a signature over
// the head, a WAF), and nginx's is fixed by its configuration and the
// client's request.

import (
	"bufio"
	"net"
	"strings"
	"testing"

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
		"GET /plain/ HTTP/1.0\r\nB: 1\r\nA: 2\r\n\r\n",
	} {
		p.cmp(t, r)
	}
}
