package proxy_test

// upstream_test.go holds the test upstreams: raw TCP servers written
// here rather than with net/http, so that a test sees exactly the request
// line, headers and body framing the proxy sent, and can answer with
// framings net/http would not produce (close-delimited, invalid, 101).

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// upReq is one request as a test upstream received it.
type upReq struct {
	Line    string      // request line
	Lines   []string    // header lines as sent
	Header  http.Header // parsed headers
	Body    []byte      // decoded body
	Chunked bool
	Conn    int // which accepted connection (1-based) carried it
	N       int // its index on that connection (1-based)
}

// upHandler answers one request on w; it returns false to close the
// connection afterwards.
type upHandler func(w *bufio.Writer, c net.Conn, r *upReq) bool

// upstream is a test upstream on 127.0.0.1.
type upstream struct {
	t    testing.TB
	ln   net.Listener
	Port int
	Name string
	h    upHandler
	// headOnly upstreams answer without reading a request body.
	headOnly bool
	// heads, when set, is told of each request head before its body is
	// read.
	heads chan *upReq
	conns atomic.Int64
	mu    sync.Mutex
	reqs  []*upReq
}

func startUpstream(t testing.TB, name string, h upHandler) *upstream {
	t.Helper()
	return startUpstreamWith(t, name, h, nil)
}

// startUpstreamWith lets set tune the upstream before it serves.
func startUpstreamWith(t testing.TB, name string, h upHandler, set func(*upstream)) *upstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &upstream{t: t, ln: ln, Port: ln.Addr().(*net.TCPAddr).Port, Name: name, h: h}
	if set != nil {
		set(u)
	}
	go u.serve()
	t.Cleanup(func() { ln.Close() })
	return u
}

// Addr is "127.0.0.1:port".
func (u *upstream) Addr() string { return "127.0.0.1:" + strconv.Itoa(u.Port) }

// Requests returns the requests received so far and forgets them.
func (u *upstream) Requests() []*upReq {
	u.mu.Lock()
	defer u.mu.Unlock()
	r := u.reqs
	u.reqs = nil
	return r
}

func (u *upstream) serve() {
	for {
		c, err := u.ln.Accept()
		if err != nil {
			return
		}
		n := int(u.conns.Add(1))
		go u.serveConn(c, n)
	}
}

func (u *upstream) serveConn(c net.Conn, id int) {
	defer c.Close()
	br := bufio.NewReader(c)
	bw := bufio.NewWriter(c)
	for n := 1; ; n++ {
		r, err := readUpHead(br)
		if err != nil {
			return
		}
		if u.heads != nil {
			u.heads <- r
		}
		if !u.headOnly {
			if err := r.readBody(br); err != nil {
				return
			}
		}
		r.Conn, r.N = id, n
		u.mu.Lock()
		u.reqs = append(u.reqs, r)
		u.mu.Unlock()
		keep := u.h(bw, c, r)
		bw.Flush()
		if !keep {
			return
		}
	}
}

func readUpHead(br *bufio.Reader) (*upReq, error) {
	r := &upReq{Header: http.Header{}}
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	r.Line = strings.TrimRight(line, "\r\n")
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		r.Lines = append(r.Lines, l)
		k, v, _ := strings.Cut(l, ":")
		r.Header.Add(k, strings.TrimSpace(v))
	}
	return r, nil
}

func (r *upReq) readBody(br *bufio.Reader) (err error) {
	switch {
	case strings.EqualFold(r.Header.Get("Transfer-Encoding"), "chunked"):
		r.Chunked = true
		r.Body, err = io.ReadAll(httputil.NewChunkedReader(br))
		if err == nil {
			// The trailer section: an empty line after the last chunk.
			_, err = br.ReadString('\n')
		}
	case r.Header.Get("Content-Length") != "":
		n, _ := strconv.Atoi(r.Header.Get("Content-Length"))
		r.Body = make([]byte, n)
		_, err = io.ReadFull(br, r.Body)
	}
	return err
}

// keepAlive says whether the client asked to keep the connection.
func (r *upReq) keepAlive() bool {
	c := strings.ToLower(r.Header.Get("Connection"))
	if strings.HasSuffix(r.Line, "HTTP/1.0") {
		return c == "keep-alive"
	}
	return c != "close"
}

// dump is the request as the echo upstream reports it: the request line,
// then the header lines sorted, with canonical names, then the body.
// goproxy's engine keeps neither the order nor the spelling of the
// client's header names, which nginx passes on as they came; upstreams
// must not depend on either, so the comparison ignores both.
func (r *upReq) dump() string {
	lines := make([]string, len(r.Lines))
	for i, l := range r.Lines {
		k, v, _ := strings.Cut(l, ":")
		lines[i] = http.CanonicalHeaderKey(k) + ":" + v
	}
	sort.SliceStable(lines, func(i, j int) bool {
		a, _, _ := strings.Cut(lines[i], ":")
		b, _, _ := strings.Cut(lines[j], ":")
		return strings.ToLower(a) < strings.ToLower(b)
	})
	body := string(r.Body)
	if r.Chunked {
		body = "(chunked) " + body
	}
	return r.Line + "\n" + strings.Join(lines, "\n") + "\n\n" + body
}

// echo answers with the request it received as the body.
func echo(w *bufio.Writer, _ net.Conn, r *upReq) bool {
	body := r.dump()
	fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n", len(body))
	if !r.keepAlive() {
		w.WriteString("Connection: close\r\n")
	}
	w.WriteString("\r\n")
	if !strings.HasPrefix(r.Line, "HEAD ") {
		w.WriteString(body)
	}
	return r.keepAlive()
}

// respond returns a handler that sends a fixed raw response (status line
// and headers; Content-Length is added for body) and closes.
func respond(head, body string) upHandler {
	return func(w *bufio.Writer, _ net.Conn, r *upReq) bool {
		w.WriteString(head)
		if !strings.HasSuffix(head, "\r\n") {
			w.WriteString("\r\n")
		}
		fmt.Fprintf(w, "Content-Length: %d\r\nConnection: close\r\n\r\n", len(body))
		if !strings.HasPrefix(r.Line, "HEAD ") {
			w.WriteString(body)
		}
		return false
	}
}

// named answers with the upstream's name (for balancing tests).
func named(name string) upHandler {
	return respond("HTTP/1.1 200 OK\r\nContent-Type: text/plain", name)
}

// redirector answers 302 with the Location and Refresh the request asked
// for in X-Loc and X-Refresh.
func redirector(w *bufio.Writer, _ net.Conn, r *upReq) bool {
	w.WriteString("HTTP/1.1 302 Found\r\n")
	if v := r.Header.Get("X-Loc"); v != "" {
		w.WriteString("Location: " + v + "\r\n")
	}
	if v := r.Header.Get("X-Refresh"); v != "" {
		w.WriteString("Refresh: " + v + "\r\n")
	}
	w.WriteString("Content-Length: 2\r\nConnection: close\r\n\r\nok")
	return false
}

// chunked answers with body in a chunked response, one chunk per part.
func chunked(parts ...string) upHandler {
	return func(w *bufio.Writer, _ net.Conn, r *upReq) bool {
		w.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
		if strings.HasPrefix(r.Line, "HEAD ") {
			return false
		}
		for _, p := range parts {
			fmt.Fprintf(w, "%x\r\n%s\r\n", len(p), p)
		}
		w.WriteString("0\r\n\r\n")
		return false
	}
}

// closeDelimited answers with a body that ends when the connection does.
func closeDelimited(body string) upHandler {
	return func(w *bufio.Writer, _ net.Conn, r *upReq) bool {
		w.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
		if !strings.HasPrefix(r.Line, "HEAD ") {
			w.WriteString(body)
		}
		return false
	}
}

// raw sends s as the whole response, whatever it is, and closes.
func raw(s string) upHandler {
	return func(w *bufio.Writer, _ net.Conn, _ *upReq) bool {
		w.WriteString(s)
		return false
	}
}

// bigBody is n bytes of a pattern that shows truncation and reordering,
// in letters only: digits could contain a server's port, which the
// harness replaces.
func bigBody(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		for j, x := 0, i; j < 6; j, x = j+1, x/26 {
			b.WriteByte(byte('a' + x%26))
		}
		b.WriteByte('\n')
	}
	return b.String()[:n]
}

// streaming sends a head and a first chunk, then waits for release
// before it ends the body: the test sees whether the proxy passed the
// first chunk on without waiting for the rest.
func streaming(release chan struct{}, extra string) upHandler {
	return func(w *bufio.Writer, _ net.Conn, _ *upReq) bool {
		w.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + extra + "Transfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
		w.Flush()
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		w.WriteString("6\r\nsecond\r\n0\r\n\r\n")
		return false
	}
}

// answer200 answers every request 200 with body and closes.
func answer200(body string) upHandler {
	return func(w *bufio.Writer, c net.Conn, r *upReq) bool {
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		return false
	}
}

// wsUpstream switches protocols when asked to, then sends back each
// line it reads in upper case, until the client closes; a request
// without Upgrade gets the echo answer.
func wsUpstream(w *bufio.Writer, c net.Conn, r *upReq) bool {
	if r.Header.Get("Upgrade") == "" {
		return echo(w, c, r)
	}
	w.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: " + r.Header.Get("Upgrade") +
		"\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-Up: 1\r\n\r\n")
	w.Flush()
	br := bufio.NewReader(c)
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		w.WriteString(strings.ToUpper(l))
		w.Flush()
	}
}

// hang reads the request and answers nothing until the proxy gives up
// and closes (or 5 s pass).
func hang(w *bufio.Writer, c net.Conn, _ *upReq) bool {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, c)
	return false
}

// closedPort is a port on 127.0.0.1 where nothing listens.
func closedPort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
