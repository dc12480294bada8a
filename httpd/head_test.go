package httpd

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// testLimits are nginx's defaults.
var testLimits = Limits{HeaderTimeout: time.Minute, HeaderBufferSize: 1024, LargeBufferSize: 8192,
	LargeBuffers: 4, IgnoreInvalidHeaders: true}

// parseHead serves raw on a connection in memory and returns the first
// request as the handler saw it (a copy), or the engine's refusal. It
// goes through Server rather than building a conn, so that it does not
// depend on how a connection keeps its state.
func parseHead(raw []byte, lim Limits) (*http.Request, error) {
	h := &headRecorder{lim: lim}
	nc := &memConn{r: bytes.NewReader(raw), done: make(chan struct{})}
	(&Server{Handler: h}).ServeConn(nc, "test")
	<-nc.done
	if h.req == nil && h.err == nil {
		return nil, io.ErrUnexpectedEOF
	}
	return h.req, h.err
}

// headRecorder keeps the first request, or error, it is handed.
type headRecorder struct {
	lim  Limits
	once bool
	req  *http.Request
	err  error
}

func (h *headRecorder) Limits(*Conn) Limits { return h.lim }

func (h *headRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.(ConnWriter).Conn().KeepAlive = false
	if h.once {
		return
	}
	h.once = true
	c := *r // the engine reuses its request: keep a copy
	c.Header = r.Header.Clone()
	c.TransferEncoding = append([]string(nil), r.TransferEncoding...)
	h.req = &c
}

func (h *headRecorder) ServeError(w http.ResponseWriter, r *http.Request, err *StatusError) {
	if !h.once {
		h.once, h.err = true, err
	}
}

// memConn reads from r, drops what is written, and says when it closes.
type memConn struct {
	r    *bytes.Reader
	done chan struct{}
	once sync.Once
}

func (c *memConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *memConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *memConn) Close() error                     { c.once.Do(func() { close(c.done) }); return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5555} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// TestHeadErrors: the head checks nginx makes, in its order and with its
// error log's words (each checked against nginx 1.22's log).
func TestHeadErrors(t *testing.T) {
	const inH = " while reading client request headers"
	for _, tc := range []struct{ raw, want string }{
		{"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rX-Real-IP: 6.6.6.6\r\n\r\n",
			`400 client sent invalid header line: "X-A: a\x0d..."` + inH},
		{"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n",
			`400 client sent invalid header line: "Transfer-Encoding\x20..."` + inH},
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
			`400 client sent duplicate host header: "Host: b", previous value: "Host: a"` + inH},
		{"GET / HTTP/1.1\r\nHOST: a\r\nhost: b\r\n\r\n",
			`400 client sent duplicate host header: "host: b", previous value: "HOST: a"` + inH},
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\nX A: 1\r\n\r\n",
			`400 client sent duplicate header line: "Content-Length: 2", previous value: "Content-Length: 1"` + inH},
		{"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n",
			`400 client sent duplicate header line: "transfer-encoding: chunked", previous value: "Transfer-Encoding: chunked"` + inH},
		{"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n",
			`400 client sent duplicate header line: "Authorization: b", previous value: "Authorization: a"` + inH},
		// The first bad line wins, whichever kind.
		{"GET / HTTP/1.1\r\nHost: a/b\r\nX A: 1\r\n\r\n", "400 client sent invalid host header" + inH},
		{"GET / HTTP/1.1\r\nX A: 1\r\nHost: a/b\r\n\r\n", `400 client sent invalid header line: "X\x20..."` + inH},
		{"GET / HTTP/1.1\r\nHost:\tlocalhost\r\n\r\n", "400 client sent invalid host header" + inH},
		{"POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
			`400 client sent HTTP/1.0 request with "Transfer-Encoding" header` + inH},
		{"POST / HTTP/1.0\r\nHost: a\r\nContent-Length: x\r\nTransfer-Encoding: chunked\r\n\r\n",
			`400 client sent invalid "Content-Length" header` + inH},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
			`400 client sent "Content-Length" and "Transfer-Encoding" headers at the same time` + inH},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
			`501 client sent unknown "Transfer-Encoding": "gzip, chunked"` + inH},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n",
			`501 client sent unknown "Transfer-Encoding": "` + "\t" + `chunked"` + inH},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chun\u212aed\r\n\r\n", // Kelvin sign
			`501 client sent unknown "Transfer-Encoding": "chun` + "\u212a" + `ed"` + inH},
		{"GET http://localhost/p HTTP/1.1\r\n\r\n", `400 client sent HTTP/1.1 request without "Host" header` + inH},
		{"POST /p HTTP/1.1\r\nContent-Length: x\r\n\r\n", `400 client sent HTTP/1.1 request without "Host" header` + inH},
		{"GET http://a..b/p HTTP/1.1\r\nHost: a\r\nX A: 1\r\n\r\n",
			"400 client sent invalid host in request line while reading client request line"},
		{"GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", "400 client sent invalid request while reading client request line"},
		{"GET / HTTP/2.0\r\nHost: a\r\n\r\n", "505 client sent invalid version while reading client request line"},
		{"POST /\r\n", "400 client sent invalid method in HTTP/0.9 request while reading client request line"},
		// Accepted: what nginx takes.
		{"GET http://localhost/p HTTP/1.0\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: a\r\nX.Y: 1\r\nX_Y: 1\r\nXA\r\nX-A: v\r\r\r\n\r\n", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0005\r\n\r\n", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED \r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n", ""},
	} {
		_, err := parseHead([]byte(tc.raw), testLimits)
		got := ""
		if se, ok := err.(*StatusError); ok {
			got = strconv.Itoa(int(se.Status)) + " " + se.Msg
		} else if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.raw, got, tc.want)
		}
	}
}

// TestHeadValues: what a header holds after parsing.
func TestHeadValues(t *testing.T) {
	r, err := parseHead([]byte("POST http://h.example/p HTTP/1.1\r\nHost: other\r\nX-A:\tb\t\r\nX-B:  c  d  \r\n"+
		"XA\r\nContent-Length: 0005\r\nX.Y: dropped\r\n\r\n"), testLimits)
	if err != nil {
		t.Fatal(err)
	}
	if r.Host != "h.example" || r.ContentLength != 5 {
		t.Errorf("host %q length %d", r.Host, r.ContentLength)
	}
	for k, want := range map[string]string{"X-A": "\tb\t", "X-B": "c  d", "Xa": "", "X.y": "<none>"} {
		got, ok := r.Header[k]
		if !ok && want != "<none>" || ok && (len(got) != 1 || got[0] != want) {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	lim := testLimits
	lim.IgnoreInvalidHeaders = false
	r, err = parseHead([]byte("GET / HTTP/1.1\r\nHost: a\r\nX.Y: kept\r\nX_Y: kept\r\n\r\n"), lim)
	if err != nil || r.Header.Get("X.y") != "kept" || r.Header.Get("X_y") != "kept" {
		t.Errorf("ignore_invalid_headers off: %v %v", err, r.Header)
	}
}

// TestBadMethodBeforeLineEnd: nginx refuses a request line as soon as
// what came cannot begin a method (a uwsgi packet or a TLS handshake to
// a plain port), without waiting for a line end that may never come;
// a good method's start still waits for the rest.
func TestBadMethodBeforeLineEnd(t *testing.T) {
	for _, tc := range []struct {
		sent    string
		refused bool
	}{
		{"\x00\x10\x00\x00\x0b\x00SERVER_NAME", true},
		{"\x16\x03\x01\x02\x00", true},
		{"\r\n\r\nget", true},
		{"GET", false},
		{"\r\nPOS", false},
		{"GET /no-end", false},
	} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cli, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		srv, err := l.Accept()
		l.Close()
		if err != nil {
			t.Fatal(err)
		}
		h := &refusalRecorder{lim: testLimits, refused: make(chan *StatusError, 1)}
		go (&Server{Handler: h}).ServeConn(srv, "test")
		cli.Write([]byte(tc.sent))
		select {
		case se := <-h.refused:
			if !tc.refused {
				t.Errorf("%q: refused (%v) before the line ended", tc.sent, se)
			} else if se != errBadMethod {
				t.Errorf("%q: %v, want %v", tc.sent, se, errBadMethod)
			}
		case <-time.After(300 * time.Millisecond):
			if tc.refused {
				t.Errorf("%q: still waiting for a line end", tc.sent)
			}
		}
		cli.Close()
	}
}

// TestWholeRequestAfterMethodCheck: a request line that arrives whole,
// alone or after empty lines, is read and served, not left waiting.
func TestWholeRequestAfterMethodCheck(t *testing.T) {
	for _, raw := range []string{"GET / HTTP/1.0\r\n\r\n", "\r\n\r\nPOST /a HTTP/1.0\r\nContent-Length: 0\r\n\r\n", "G"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cli, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		srv, err := l.Accept()
		l.Close()
		if err != nil {
			t.Fatal(err)
		}
		go (&Server{Handler: &headRecorder{lim: testLimits}}).ServeConn(srv, "test")
		if raw == "G" {
			// The method's letters one by one.
			for _, p := range []string{"G", "E", "T", " / HTTP/1.0\r\n\r\n"} {
				cli.Write([]byte(p))
				time.Sleep(20 * time.Millisecond)
			}
		} else {
			cli.Write([]byte(raw))
		}
		cli.SetReadDeadline(time.Now().Add(2 * time.Second))
		got, _ := io.ReadAll(cli)
		if !bytes.HasPrefix(got, []byte("HTTP/1.1 200 OK")) {
			t.Errorf("%q: %q, want it served", raw, got)
		}
		cli.Close()
	}
}

// refusalRecorder passes on the engine's refusal of a request.
type refusalRecorder struct {
	lim     Limits
	refused chan *StatusError
}

func (h *refusalRecorder) Limits(*Conn) Limits                          { return h.lim }
func (h *refusalRecorder) ServeHTTP(http.ResponseWriter, *http.Request) {}
func (h *refusalRecorder) ServeError(_ http.ResponseWriter, _ *http.Request, se *StatusError) {
	h.refused <- se
}
