package httpd_test

// framing_diff_test.go is the table of hostile and borderline request
// framings (issue 12, RFC 9112's rules): each is sent on a raw socket to
// nginx and goproxy proxying to a recorder, which parses strictly what
// reaches it. Both servers must give nginx 1.22's answers (written in the
// table, checked against nginx where it is installed), and the upstream
// must see exactly the requests listed, each well formed: one Host, one
// X-Real-IP that is the client's, at most one Content-Length and a body
// of that length, nothing else on the connection.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testupstream"
)

const framingConf = `events {}
http {
    access_log off;
    client_max_body_size 1k;
    client_body_timeout 10s;
    server {
        listen 127.0.0.1:{{PORT}};
        max_headers 8;
        location / {
            proxy_set_header X-Real-IP $remote_addr;
            proxy_pass http://UPSTREAM;
        }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        ignore_invalid_headers off;
        location / {
            proxy_set_header X-Real-IP $remote_addr;
            proxy_pass http://UPSTREAM;
        }
    }
}
`

// framingCase is one raw request stream and nginx's answer to it.
type framingCase struct {
	name string
	raw  string
	// status lists the responses in order; closed says the server closed
	// the connection after them (rather than waiting for more).
	status []int
	closed bool
	// upstream lists the bodies of the requests the upstream receives.
	upstream []string
	// log is what the error log says (at info level), "" for nothing
	// checked.
	log string
	// lenient sends it to the server with ignore_invalid_headers off.
	lenient bool
}

const (
	h11  = "Host: localhost\r\n"
	cls  = "Connection: close\r\n"
	inH  = " while reading client request headers"
	te   = "Transfer-Encoding: chunked\r\n"
	post = "POST /p HTTP/1.1\r\n" + h11 + cls
)

var framingCases = []framingCase{
	// max_headers counts the lines kept: an ignored invalid one does not
	// count, a line without a colon (a name, empty value) does.
	{name: "max_headers lines", raw: "GET / HTTP/1.1\r\n" + h11 + cls + strings.Repeat("X-A: a\r\n", 6) + "\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	{name: "over max_headers", raw: "GET / HTTP/1.1\r\n" + h11 + cls + strings.Repeat("X-A: a\r\n", 7) + "\r\n",
		status: []int{400}, closed: true, log: `client sent too many header lines` + inH},
	{name: "ignored lines are not counted", raw: "GET / HTTP/1.1\r\n" + h11 + cls + strings.Repeat("X-A: a\r\n", 6) + "X_B: b\r\n\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	{name: "a colonless line counts", raw: "GET / HTTP/1.1\r\n" + h11 + cls + strings.Repeat("X-A: a\r\n", 6) + "X-B\r\n\r\n",
		status: []int{400}, closed: true, log: `client sent too many header lines` + inH},
	// Item 1: a bare CR inside a line is not a line end.
	{name: "bare CR before a header", raw: "GET / HTTP/1.1\r\n" + h11 + "X-A: a\rX-Real-IP: 6.6.6.6\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "X-A: a\x0d..."` + inH},
	{name: "bare CR before TE", raw: "POST / HTTP/1.1\r\n" + h11 + "Content-Length: 5\r\nX-A: a\rTransfer-Encoding: chunked\r\n" + cls + "\r\n0\r\n\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "X-A: a\x0d..."` + inH},
	{name: "bare CR in a name", raw: "GET / HTTP/1.1\r\n" + h11 + "X\rA: a\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "X\x0d..."` + inH},
	{name: "CR CR LF ends the head", raw: "GET / HTTP/1.1\r\n" + h11 + cls + "\r\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "\x0d..."` + inH},
	{name: "CRs before the line end", raw: "GET / HTTP/1.1\r\n" + h11 + "X-A: a\r\r\r\n" + cls + "\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	{name: "NUL in a value", raw: "GET / HTTP/1.1\r\n" + h11 + "X-A: a\x00b\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "X-A: a\x00..."` + inH},
	{name: "controls in a value", raw: "GET / HTTP/1.1\r\n" + h11 + "X-A: a\x01\x7f\tb\xff\r\n" + cls + "\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	// Item 2: characters that end nginx's name state are 400s.
	{name: "space in a name", raw: "GET / HTTP/1.1\r\n" + h11 + "X A: a\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "X\x20..."` + inH},
	{name: "HTAB in a name", raw: "GET / HTTP/1.1\r\n" + h11 + "X\tA: a\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "X\x09..."` + inH},
	{name: "control in a name", raw: "GET / HTTP/1.1\r\n" + h11 + "X\x01A: a\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "X\x01..."` + inH},
	{name: "DEL in a name", raw: "GET / HTTP/1.1\r\n" + h11 + "X\x7fA: a\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "X\x7f..."` + inH},
	{name: "NUL in a name", raw: "GET / HTTP/1.1\r\n" + h11 + "X\x00A: a\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "X\x00..."` + inH},
	{name: "obs-fold", raw: "GET / HTTP/1.1\r\n" + h11 + "X-A: a\r\n b\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "\x20..."` + inH},
	{name: "obs-fold with HTAB", raw: "GET / HTTP/1.1\r\n" + h11 + "X-A: a\r\n\tb\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "\x09..."` + inH},
	{name: "obs-fold continuing TE", raw: "POST / HTTP/1.1\r\n" + h11 + "Transfer-Encoding: x\r\n chunked\r\n" + cls + "\r\n0\r\n\r\n",
		status: []int{400}, closed: true},
	{name: "white space before the first header", raw: "GET / HTTP/1.1\r\n " + h11 + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "\x20..."` + inH},
	{name: "empty name", raw: "GET / HTTP/1.1\r\n" + h11 + ": b\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "\x3a..."` + inH},
	{name: "TE with a space before the colon", raw: "POST /a HTTP/1.1\r\n" + h11 + "Content-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n" +
		"0\r\n\r\nGET /b HTTP/1.1\r\n" + h11 + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent invalid header line: "Transfer-Encoding\x20..."` + inH},
	// ignore_invalid_headers drops other odd names, and goes on.
	{name: "odd names dropped", raw: "GET / HTTP/1.1\r\n" + h11 + "X.Y: 1\r\nX_Y: 1\r\nX/Y: 1\r\nX\xffY: 1\r\nXA\r\n" + cls + "\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	{name: "odd names passed on", raw: "GET / HTTP/1.1\r\n" + h11 + "X.Y: 1\r\nX_Y: 1\r\nX~Y: 1\r\n" + cls + "\r\n",
		status: []int{200}, closed: true, upstream: []string{""}, lenient: true},
	{name: "space in a name, not ignoring", raw: "GET / HTTP/1.1\r\n" + h11 + "X A: a\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, lenient: true, log: `client sent invalid header line: "X\x20..."` + inH},
	{name: "bare CR, not ignoring", raw: "GET / HTTP/1.1\r\n" + h11 + "X-A: a\rX-Real-IP: 6.6.6.6\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, lenient: true},
	// Item 3.
	// TRACE is refused after the framing checks, and closes.
	{name: "TRACE", raw: "TRACE / HTTP/1.1\r\n" + h11 + "\r\nGET / HTTP/1.1\r\n" + h11 + "\r\n",
		status: []int{405}, closed: true, log: "client sent TRACE method" + inH},
	{name: "TRACE with a bad Content-Length", raw: "TRACE / HTTP/1.1\r\n" + h11 + "Content-Length: x\r\n\r\n",
		status: []int{400}, closed: true, log: `client sent invalid "Content-Length" header` + inH},
	{name: "TE in HTTP/1.0", raw: "POST / HTTP/1.0\r\n" + h11 + te + "\r\n5\r\nhello\r\n0\r\n\r\n",
		status: []int{400}, closed: true, log: `client sent HTTP/1.0 request with "Transfer-Encoding" header` + inH},
	{name: "chunk size 2^63", raw: post + te + "\r\n8000000000000000\r\nhello\r\n0\r\n\r\n", status: []int{400}, closed: true},
	{name: "chunk size 2^64-1", raw: post + te + "\r\nffffffffffffffff\r\nhello\r\n", status: []int{400}, closed: true},
	{name: "chunk size 2^59", raw: post + te + "\r\n800000000000000\r\nhello\r\n", status: []int{400}, closed: true},
	// nginx judges a chunk's size when its first data byte comes; goproxy
	// already at the size line's end.
	{name: "chunk over client_max_body_size", raw: post + te + "\r\n401\r\nhello\r\n", status: []int{413}, closed: true},
	{name: "chunks over client_max_body_size", raw: post + te + "\r\n200\r\n" + strings.Repeat("x", 512) + "\r\n201\r\nx",
		status: []int{413}, closed: true},
	{name: "chunk lines ending in LF", raw: post + te + "\r\n5\nhello\n0\n\n", status: []int{200}, closed: true, upstream: []string{"hello"}},
	{name: "chunk extension over 4 KB", raw: post + te + "\r\n5;" + strings.Repeat("e", 5000) + "\r\nhello\r\n0;" + strings.Repeat("f", 5000) + "\r\n\r\n",
		status: []int{200}, closed: true, upstream: []string{"hello"}},
	{name: "zero-padded Content-Length", raw: post + "Content-Length: 0005\r\n\r\nhello", status: []int{200}, closed: true, upstream: []string{"hello"}},
	{name: "absolute form without Host", raw: "GET http://localhost/p HTTP/1.1\r\n" + cls + "\r\n",
		status: []int{400}, closed: true, log: `client sent HTTP/1.1 request without "Host" header` + inH},
	{name: "absolute form without Host in HTTP/1.0", raw: "GET http://localhost/p HTTP/1.0\r\n\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	{name: "absolute form with Host", raw: "GET http://localhost/p HTTP/1.1\r\nHost: other\r\n" + cls + "\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	// Smuggling shapes.
	{name: "CL and TE", raw: post + "Content-Length: 5\r\n" + te + "\r\n0\r\n\r\n", status: []int{400}, closed: true,
		log: `client sent "Content-Length" and "Transfer-Encoding" headers at the same time` + inH},
	{name: "TE and CL", raw: post + te + "Content-Length: 5\r\n\r\n0\r\n\r\n", status: []int{400}, closed: true},
	{name: "TE gzip, chunked", raw: post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", status: []int{501}, closed: true,
		log: `client sent unknown "Transfer-Encoding": "gzip, chunked"` + inH},
	{name: "TE chunked, chunked", raw: post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", status: []int{501}, closed: true},
	{name: "TE identity", raw: post + "Transfer-Encoding: identity\r\n\r\n", status: []int{501}, closed: true},
	{name: "TE with HTAB", raw: post + "Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n", status: []int{501}, closed: true},
	{name: "TE with a Kelvin sign", raw: post + "Transfer-Encoding: chun\u212aed\r\n\r\n0\r\n\r\n", status: []int{501}, closed: true},
	{name: "TE upper case, trailing space", raw: post + "Transfer-Encoding: CHUNKED \r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		status: []int{200}, closed: true, upstream: []string{"abc"}},
	{name: "TE twice", raw: post + te + te + "\r\n0\r\n\r\n", status: []int{400}, closed: true,
		log: `client sent duplicate header line: "Transfer-Encoding: chunked", previous value: "Transfer-Encoding: chunked"` + inH},
	{name: "CL twice", raw: post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", status: []int{400}, closed: true,
		log: `client sent duplicate header line: "Content-Length: 5", previous value: "Content-Length: 5"` + inH},
	{name: "CL list", raw: post + "Content-Length: 5, 5\r\n\r\nhello", status: []int{400}, closed: true,
		log: `client sent invalid "Content-Length" header` + inH},
	{name: "CL signed", raw: post + "Content-Length: +5\r\n\r\nhello", status: []int{400}, closed: true},
	{name: "CL 2^63", raw: post + "Content-Length: 9223372036854775808\r\n\r\nhello", status: []int{400}, closed: true},
	{name: "CL trailing space", raw: post + "Content-Length: 5 \r\n\r\nhello", status: []int{200}, closed: true, upstream: []string{"hello"}},
	{name: "Host twice", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + cls + "\r\n", status: []int{400}, closed: true,
		log: `client sent duplicate host header: "Host: b", previous value: "Host: a"` + inH},
	{name: "chunk size 0x5", raw: post + te + "\r\n0x5\r\nhello\r\n0\r\n\r\n", status: []int{400}, closed: true},
	{name: "no chunk size", raw: post + te + "\r\n\r\nhello\r\n0\r\n\r\n", status: []int{400}, closed: true},
	{name: "bare CR after chunk data", raw: post + te + "\r\n5\r\nhello\r0\r\n\r\n", status: []int{400}, closed: true},
	{name: "chunk data too long", raw: post + te + "\r\n5\r\nhelloX\r\n0\r\n\r\n", status: []int{400}, closed: true},
	{name: "bare CR in a trailer", raw: post + te + "\r\n5\r\nhello\r\n0\r\nX: a\rb\r\n\r\n", status: []int{400}, closed: true},
	{name: "trailers", raw: post + te + "\r\n5\r\nhello\r\n0\r\nX-T: 1\r\nnocolon\r\n folded\r\n\r\n",
		status: []int{200}, closed: true, upstream: []string{"hello"}},
	// Pipelining: each request is framed where nginx frames it.
	{name: "pipelined", raw: "GET /1 HTTP/1.1\r\n" + h11 + "\r\nGET /2 HTTP/1.1\r\n" + h11 + cls + "\r\n",
		status: []int{200, 200}, closed: true, upstream: []string{"", ""}},
	{name: "pipelined after a chunked body", raw: "POST /1 HTTP/1.1\r\n" + h11 + te + "\r\n3\r\nabc\r\n0\r\nT: x\r\n\r\nGET /2 HTTP/1.1\r\n" + h11 + cls + "\r\n",
		status: []int{200, 200}, closed: true, upstream: []string{"abc", ""}},
	{name: "a request inside a body", raw: "POST /1 HTTP/1.1\r\n" + h11 + "Content-Length: 37\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nX: GET /3 HTTP/1.1\r\n" + h11 + cls + "\r\n",
		status: []int{200, 400}, closed: true, upstream: []string{"GET /2 HTTP/1.1\r\nHost: a\r\nX: GET /3 H"}},
	{name: "LF line ends", raw: "POST /1 HTTP/1.1\nHost: localhost\nContent-Length: 2\n\nokGET /2 HTTP/1.1\n" + "Host: localhost\nConnection: close\n\n",
		status: []int{200, 200}, closed: true, upstream: []string{"ok", ""}},
	{name: "Content-Length 0, pipelined", raw: "GET /1 HTTP/1.1\r\n" + h11 + "Content-Length: 0\r\n\r\nGET /2 HTTP/1.1\r\n" + h11 + cls + "\r\n",
		status: []int{200, 200}, closed: true, upstream: []string{"", ""}},
	{name: "HTTP/1.0 keep-alive, pipelined", raw: "GET /1 HTTP/1.0\r\n" + h11 + "Connection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n" + h11 + "\r\n",
		status: []int{200, 200}, closed: true, upstream: []string{"", ""}},
	// Connection: "close" anywhere in a header closes, else
	// "keep-alive" anywhere keeps alive; the last header that says
	// either decides.
	{name: "close, then keep-alive", raw: "GET /1 HTTP/1.1\r\n" + h11 + cls + "Connection: keep-alive\r\n\r\nGET /2 HTTP/1.1\r\n" + h11 + cls + "\r\n",
		status: []int{200, 200}, closed: true, upstream: []string{"", ""}},
	{name: "keep-alive, then close", raw: "GET /1 HTTP/1.1\r\n" + h11 + "Connection: keep-alive\r\n" + cls + "\r\nGET /2 HTTP/1.1\r\n" + h11 + cls + "\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	{name: "close, then another", raw: "GET /1 HTTP/1.1\r\n" + h11 + cls + "Connection: x\r\n\r\nGET /2 HTTP/1.1\r\n" + h11 + cls + "\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	{name: "close inside a word", raw: "GET /1 HTTP/1.1\r\n" + h11 + "Connection: xCLOSEx\r\n\r\nGET /2 HTTP/1.1\r\n" + h11 + cls + "\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	{name: "HTTP/1.0 keep-alive inside a word", raw: "GET /1 HTTP/1.0\r\n" + h11 + "Connection: xkeep-alivex\r\n\r\nGET /2 HTTP/1.0\r\n" + h11 + "\r\n",
		status: []int{200, 200}, closed: true, upstream: []string{"", ""}},
	{name: "HTTP/1.0 keep-alive and close", raw: "GET /1 HTTP/1.0\r\n" + h11 + "Connection: keep-alive, close\r\n\r\nGET /2 HTTP/1.0\r\n" + h11 + "\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	{name: "HTTP/1.0 closes after one", raw: "GET /1 HTTP/1.0\r\n" + h11 + "\r\nGET /2 HTTP/1.0\r\n" + h11 + "\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	{name: "bytes after the last request", raw: post + te + "\r\n3\r\nabc\r\n0\r\n\r\nXYZ",
		status: []int{200}, closed: true, upstream: []string{"abc"}},
	{name: "a GET with a body", raw: "GET / HTTP/1.1\r\n" + h11 + cls + "Content-Length: 5\r\n\r\nhello",
		status: []int{200}, closed: true, upstream: []string{"hello"}},
	{name: "a chunked GET", raw: "GET / HTTP/1.1\r\n" + h11 + cls + te + "\r\n3\r\nabc\r\n0\r\n\r\n",
		status: []int{200}, closed: true, upstream: []string{"abc"}},
	{name: "Expect: 100-continue", raw: post + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
		status: []int{100, 200}, closed: true, upstream: []string{"hello"}},
	{name: "empty Host", raw: "GET / HTTP/1.1\r\nHost: \r\n" + cls + "\r\n", status: []int{400}, closed: true,
		log: "client sent invalid host header" + inH},
	{name: "space in Host", raw: "GET / HTTP/1.1\r\nHost: a b\r\n" + cls + "\r\n", status: []int{400}, closed: true},
	// The request line.
	{name: "empty lines before the request", raw: "\r\n\n\r\nGET / HTTP/1.1\r\n" + h11 + cls + "\r\n",
		status: []int{200}, closed: true, upstream: []string{""}},
	{name: "lower-case method", raw: "get / HTTP/1.1\r\n" + h11 + "\r\n", status: []int{400}, closed: true,
		log: "client sent invalid method while reading client request line"},
	{name: "NUL in the target", raw: "GET /p\x00 HTTP/1.1\r\n" + h11 + "\r\n", status: []int{400}, closed: true,
		log: "client sent invalid request while reading client request line"},
	{name: "CR in the target", raw: "GET /p\rX HTTP/1.1\r\n" + h11 + "\r\n", status: []int{400}, closed: true},
	{name: "CR CR LF after the version", raw: "GET / HTTP/1.1\r\r\n" + h11 + cls + "\r\n", status: []int{400}, closed: true,
		log: "client sent invalid request while reading client request line"},
	{name: "HTTP/2.0", raw: "GET / HTTP/2.0\r\n" + h11 + "\r\n", status: []int{505}, closed: true,
		log: "client sent invalid version while reading client request line"},
	{name: "HTTP/1.100", raw: "GET / HTTP/1.100\r\n" + h11 + cls + "\r\n", status: []int{200}, closed: true, upstream: []string{""}},
	{name: "HTTP/1.1000", raw: "GET / HTTP/1.1000\r\n" + h11 + "\r\n", status: []int{400}, closed: true},
	{name: "bad host in the request line", raw: "GET http://a..b/ HTTP/1.1\r\n" + h11 + "X A: 1\r\n\r\n", status: []int{400}, closed: true,
		log: "client sent invalid host in request line while reading client request line"},
}

// TestFraming runs the table on both servers.
func TestFraming(t *testing.T) {
	up := newRecorder(t)
	o := nginxtest.Options{Ports: 2, GoOnly: nginxtest.NginxPath == "" && os.Getenv("GOPROXY_REQUIRE_NGINX") != "1"}
	p := nginxtest.Start(t, strings.ReplaceAll(framingConf, "UPSTREAM", up.addr), o)
	servers := []*nginxtest.Server{p.Go}
	if p.Nginx != nil {
		servers = append(servers, p.Nginx)
	}
	for _, tc := range framingCases {
		for _, s := range servers {
			logBefore := len(s.ErrorLog())
			up.reset()
			start := time.Now()
			addr := s.Addr()
			if tc.lenient {
				addr = "127.0.0.1:" + strconv.Itoa(s.Ports[1])
			}
			statuses, closed := exchange(t, addr, tc.raw)
			took := time.Since(start)
			got := up.wait(t)
			what := fmt.Sprintf("%s: %s", s.Name, tc.name)
			if fmt.Sprint(statuses) != fmt.Sprint(tc.status) || closed != tc.closed {
				t.Errorf("%s: answered %v, closed %v; nginx answers %v, closed %v", what, statuses, closed, tc.status, tc.closed)
			}
			if tc.closed && took > time.Second {
				t.Errorf("%s: took %v (nginx answers at once)", what, took)
			}
			var bodies []string
			for _, r := range got {
				if r.err != nil {
					t.Errorf("%s: the upstream received a malformed request: %v\n%q", what, r.err, r.raw)
				}
				bodies = append(bodies, r.body)
			}
			if fmt.Sprintf("%q", bodies) != fmt.Sprintf("%q", tc.upstream) {
				t.Errorf("%s: the upstream received bodies %q, want %q", what, bodies, tc.upstream)
			}
			if tc.log != "" && !strings.Contains(s.ErrorLog()[logBefore:], tc.log) {
				t.Errorf("%s: the error log lacks %q:\n%s", what, tc.log, s.ErrorLog()[logBefore:])
			}
		}
	}
}

// exchange sends raw and reads the responses until the server closes or
// a second passes without one.
func exchange(t *testing.T, addr, raw string) (statuses []int, closed bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for {
		c.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := br.Peek(1); err != nil {
			return statuses, !isTimeout(err)
		}
		resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
		if err != nil {
			t.Fatalf("unreadable response after %v: %v", statuses, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// recorder is the upstream: it reads each connection's request by
// RFC 9112's rules, strictly, keeps it, answers 200 and expects the
// connection to end there.
type recorder struct {
	addr string
	mu   sync.Mutex
	reqs []recorded
	busy int // connections being handled
}

type recorded struct {
	raw  []byte
	body string
	err  error
}

func newRecorder(t *testing.T) *recorder {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	r := &recorder{addr: l.Addr().String()}
	testupstream.Serve(l, func(c net.Conn) {
		r.mu.Lock()
		r.busy++
		r.mu.Unlock()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		var raw bytes.Buffer
		br := bufio.NewReader(io.TeeReader(c, &raw))
		body, err := readStrict(br)
		// The request takes its place in order when it has been read:
		// the servers close finished upstream connections at their own
		// pace, so the end of the check below says nothing of order.
		r.mu.Lock()
		i := len(r.reqs)
		r.reqs = append(r.reqs, recorded{body: body, err: err})
		r.mu.Unlock()
		if err == nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nup\n")
			// Nothing may follow the request: read to the end.
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			if n, _ := br.Read(make([]byte, 1)); n > 0 {
				err = errors.New("bytes after the request")
			}
		}
		r.mu.Lock()
		if i < len(r.reqs) {
			r.reqs[i].raw, r.reqs[i].err = raw.Bytes(), err
		}
		r.busy--
		r.mu.Unlock()
	})
	return r
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.reqs = nil
	r.mu.Unlock()
}

// wait returns what arrived once the connections in progress are done.
func (r *recorder) wait(t *testing.T) []recorded {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		r.mu.Lock()
		if r.busy == 0 {
			defer r.mu.Unlock()
			return r.reqs
		}
		r.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("the upstream connections did not end")
		}
	}
}

var (
	requestLineRe = regexp.MustCompile(`^[A-Z]+ /[!-~]* HTTP/1\.[01]\r\n$`)
	tokenRe       = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// readStrict reads one request head and body by RFC 9112 with no
// leniency: CRLF line ends, token names, no obs-fold, no CR, LF or NUL in
// a value, one Host, one X-Real-IP (the client's), at most one
// Content-Length and no Transfer-Encoding (both servers buffer bodies and
// send them with a length), and exactly that many bytes of body.
func readStrict(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !requestLineRe.MatchString(line) {
		return "", fmt.Errorf("request line %q", line)
	}
	seen := map[string][]string{}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		if line == "\r\n" {
			break
		}
		if !strings.HasSuffix(line, "\r\n") {
			return "", fmt.Errorf("line %q does not end in CRLF", line)
		}
		name, value, ok := strings.Cut(strings.TrimSuffix(line, "\r\n"), ":")
		if !ok || !tokenRe.MatchString(name) {
			return "", fmt.Errorf("header line %q", line)
		}
		value = strings.Trim(value, " \t")
		if strings.ContainsAny(value, "\r\n\x00") {
			return "", fmt.Errorf("header value %q", value)
		}
		k := http.CanonicalHeaderKey(name)
		seen[k] = append(seen[k], value)
	}
	switch {
	case len(seen["Host"]) != 1:
		return "", fmt.Errorf("Host %q", seen["Host"])
	case fmt.Sprint(seen["X-Real-Ip"]) != "[127.0.0.1]":
		return "", fmt.Errorf("X-Real-IP %q", seen["X-Real-Ip"])
	case seen["Transfer-Encoding"] != nil:
		return "", fmt.Errorf("Transfer-Encoding %q", seen["Transfer-Encoding"])
	case len(seen["Content-Length"]) > 1:
		return "", fmt.Errorf("Content-Length %q", seen["Content-Length"])
	}
	n := 0
	if cl := seen["Content-Length"]; cl != nil {
		if n, err = strconv.Atoi(cl[0]); err != nil || n < 0 || strconv.Itoa(n) != cl[0] {
			return "", fmt.Errorf("Content-Length %q", cl[0])
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return "", fmt.Errorf("body: %v", err)
	}
	return string(body), nil
}
