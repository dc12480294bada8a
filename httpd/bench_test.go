package httpd_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"goproxy/httpd"
	"goproxy/internal/benchkit"
)

// nopHandler answers every request with an empty 204, so that the
// benchmarks time the engine: reading the head (and body), writing the
// response.
type nopHandler struct{}

func (nopHandler) Limits(*httpd.Conn) httpd.Limits {
	return httpd.Limits{HeaderTimeout: time.Minute, HeaderBufferSize: 1024, LargeBufferSize: 8192,
		LargeBuffers: 4, IgnoreInvalidHeaders: true}
}

func (nopHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil {
		var buf [512]byte
		for {
			if _, err := r.Body.Read(buf[:]); err != nil {
				break
			}
		}
	}
	if cw, ok := w.(httpd.ConnWriter); ok {
		cw.Conn().IdleTimeout = time.Minute
	}
	w.WriteHeader(204)
}

func (nopHandler) ServeError(w http.ResponseWriter, r *http.Request, err *httpd.StatusError) {
	w.WriteHeader(err.Status)
}

// browserHead is a request head as a browser sends it.
const browserHead = "GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n" +
	"Connection: keep-alive\r\nCookie: session=0123456789abcdef; theme=dark\r\n" +
	"Upgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\n" +
	"Sec-Fetch-Site: none\r\nSec-Fetch-User: ?1\r\nX-Custom-Header: something\r\n\r\n"

// BenchmarkRequestHead is one keep-alive request with a browser's head.
func BenchmarkRequestHead(b *testing.B) {
	benchkit.Serve(b, &httpd.Server{Handler: nopHandler{}}, browserHead)
}

// BenchmarkChunkedBody is a request with a 4 KiB body in 1 KiB chunks.
func BenchmarkChunkedBody(b *testing.B) {
	chunk := "400\r\n" + strings.Repeat("x", 1024) + "\r\n"
	req := "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" +
		strings.Repeat(chunk, 4) + "0\r\n\r\n"
	benchkit.Serve(b, &httpd.Server{Handler: nopHandler{}}, req)
}
