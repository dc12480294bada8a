package httpd

// h2.go serves HTTP/2 on a connection the engine accepted: after a TLS
// handshake that chose "h2" by ALPN, or on a plain connection that opens
// with the HTTP/2 preface (prior knowledge, "h2c"). The protocol itself is
// h2conn.go's, on x/net/http2's framing; every stream is handed to the same Handler as
// an HTTP/1.x request, with a ResponseWriter that is a ConnWriter, so the
// handler sees one engine. nginx's HTTP/2 limits that it applies per
// request (large_client_header_buffers) are checked here.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// H2Mode says whether a plain-HTTP connection speaks HTTP/2.
type H2Mode int

const (
	// H2Off: HTTP/1.x only.
	H2Off H2Mode = iota
	// H2Only: HTTP/2 with prior knowledge only, as nginx 1.22 does for
	// "listen ... http2" without ssl.
	H2Only
	// H2Detect: HTTP/2 when the client opens with the connection
	// preface, HTTP/1.x otherwise ("http2 on", nginx 1.25.1).
	H2Detect
)

// H2Settings are the HTTP/2 settings for one connection, chosen by the
// handler from the configuration in force.
type H2Settings struct {
	// Cleartext is the mode of a plain-HTTP connection (ignored for
	// TLS, where ALPN decided).
	Cleartext            H2Mode
	MaxConcurrentStreams uint32        // http2_max_concurrent_streams
	InitialWindow        int32         // http2_body_preread_size (0: Go's default)
	IdleTimeout          time.Duration // keepalive_timeout
	SendTimeout          time.Duration // send_timeout, per write
}

// H2Handler is a Handler that also serves HTTP/2.
type H2Handler interface {
	Handler
	// HTTP2 returns the settings for connection c, which has done its
	// TLS handshake if it is a TLS one.
	HTTP2(c *Conn) H2Settings
}

// h2Preface is what an HTTP/2 client sends first.
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// h2Conn is a connection speaking HTTP/2, or HTTP/3 (h3.go): one whose
// requests come in streams, each served as an HTTP/1.x request would be.
type h2Conn struct {
	srv  *Server
	base Conn // the connection as streams see it
	h    Handler
	// goAway asks the client to open no more streams; those in flight
	// finish.
	goAway func()
	// keepAliveOff is called when the handler ends the connection
	// after a stream (keepalive_requests, keepalive_time): HTTP/2
	// sends GOAWAY.
	keepAliveOff func()
	streams      atomic.Int64
	mu           sync.Mutex
	verify       string // $ssl_client_verify, once known
}

// serveH2 serves the connection with HTTP/2 if it speaks it; it reports
// whether it did (the connection is then finished).
func (c *conn) serveH2() bool {
	h, ok := c.srv.Handler.(H2Handler)
	if !ok || c.plainOnTLS {
		return false
	}
	if c.info.TLS != nil {
		if c.info.TLS.NegotiatedProtocol != "h2" {
			return false
		}
		c.runH2(h, h.HTTP2(&c.info), c.nc)
		return true
	}
	set := h.HTTP2(&c.info)
	switch set.Cleartext {
	case H2Only:
		if !c.sawPreface() {
			// nginx answers anything else with its SETTINGS and a
			// GOAWAY (PROTOCOL_ERROR), and closes.
			fr := http2.NewFramer(c.nc, nil)
			fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: set.MaxConcurrentStreams},
				http2.Setting{ID: http2.SettingInitialWindowSize, Val: uint32(set.InitialWindow)})
			fr.WriteGoAway(0, http2.ErrCodeProtocol, nil)
			return true
		}
		c.runH2(h, set, &peekedConn{Conn: c.nc, r: c.br})
		return true
	case H2Detect:
		if !c.sawPreface() {
			return false
		}
		c.runH2(h, set, &peekedConn{Conn: c.nc, r: c.br})
		return true
	}
	return false
}

// sawPreface reads as much of the first bytes as it takes to tell the
// HTTP/2 preface from an HTTP/1.x request, keeping them buffered for
// whichever protocol follows.
func (c *conn) sawPreface() bool {
	lim := c.srv.Handler.Limits(&c.info)
	size := max(lim.LargeBufferSize, lim.HeaderBufferSize, 4094) + 2
	if c.br == nil {
		c.br = bufio.NewReaderSize(c.nc, size)
	}
	if lim.HeaderTimeout > 0 {
		c.nc.SetReadDeadline(time.Now().Add(lim.HeaderTimeout))
		defer c.nc.SetReadDeadline(time.Time{})
	}
	for {
		n := min(max(c.br.Buffered(), 1), len(h2Preface))
		b, err := c.br.Peek(n)
		if err != nil || !strings.HasPrefix(h2Preface, string(b)) {
			return false // HTTP/1.x will see the same bytes or error
		}
		if n == len(h2Preface) {
			return true
		}
		if _, err := c.br.Peek(n + 1); err != nil {
			return false
		}
	}
}

// ServeHTTP serves one stream.
func (hc *h2Conn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := hc.base // a copy per stream: handlers write to it
	info.Requests = int(hc.streams.Add(1))
	hc.mu.Lock()
	info.SSLVerify = hc.verify
	hc.mu.Unlock()
	info.KeepAlive = true
	hw := &h2Writer{w: w, info: &info, req: r}
	// The engine's request form: URL.Path raw as sent (the router
	// decodes and normalises it), Host from :authority.
	target := r.RequestURI
	if i := strings.IndexByte(target, '#'); i >= 0 {
		target = target[:i]
	}
	path, query, _ := strings.Cut(target, "?")
	r.URL = &url.URL{Path: path, RawQuery: query}
	if r.Header["Host"] == nil && r.Host != "" {
		// nginx turns :authority into a Host header.
		r.Header["Host"] = []string{r.Host}
	}
	if r.Body != nil && r.Body != http.NoBody {
		if b, ok := r.Body.(*h2Body); ok {
			b.timeout = &info.BodyTimeout
		}
		hw.body = &countingBody{ReadCloser: r.Body}
		r.Body = hw.body
	}
	defer hc.recoverPanic(hw, r)
	switch r.Method {
	case "TRACE", "CONNECT":
		// nginx refuses both once the header is read, over HTTP/2 and
		// 3 as over HTTP/1.x (where CONNECT's line is already invalid).
		hc.h.ServeError(hw, r, methodRefused[r.Method])
		return
	}
	hc.h.ServeHTTP(hw, r)
	// A handler ends keep-alive for the connection (keepalive_requests),
	// but not when its stream was reset (a timeout): that is the
	// stream's end alone, as in nginx.
	if !info.KeepAlive && hc.keepAliveOff != nil && r.Context().Err() == nil {
		hc.keepAliveOff()
	}
	if info.SSLVerify != "" {
		hc.mu.Lock()
		hc.verify = info.SSLVerify
		hc.mu.Unlock()
	}
	if hw.aborted {
		// Reset the stream, as nginx does for 444 or a broken upstream.
		panic(http.ErrAbortHandler)
	}
}

// recoverPanic is the stream's side of panic.go: the 500 page if nothing
// was answered, the stream reset if the answer is not whole.
func (hc *h2Conn) recoverPanic(w *h2Writer, r *http.Request) {
	e := recover()
	if e == nil {
		return
	}
	if e == http.ErrAbortHandler {
		panic(e)
	}
	hc.srv.logPanic(w.info, r, e)
	if !w.wroteHeader && !w.aborted {
		func() {
			defer func() {
				if recover() != nil {
					w.aborted = true
				}
			}()
			hc.h.ServeError(w, r, errPanic)
		}()
	}
	if !w.complete() {
		panic(http.ErrAbortHandler) // x/net/http2 resets the stream
	}
}

// complete says whether the response was written to its end.
func (w *h2Writer) complete() bool {
	if !w.wroteHeader || w.aborted {
		return false
	}
	cl := w.w.Header()["Content-Length"]
	if w.status == 204 || w.status == 304 || w.req.Method == "HEAD" {
		return true
	}
	if len(cl) == 0 {
		return false
	}
	n, ok := parseLength(cl[0])
	return ok && n == w.written
}

// h2HeaderLimits applies large_client_header_buffers to a request's
// fields as nginx does over HTTP/2: no field longer than one buffer as
// sent, all of them decoded no longer than all buffers.
func h2HeaderLimits(r *http.Request, lim Limits) bool {
	size := lim.LargeBufferSize
	if size <= 0 {
		return true
	}
	total := size * max(lim.LargeBuffers, 1)
	n := len(r.RequestURI) + len(r.Host) + len(r.Method)
	if fieldLen(r.RequestURI) > size || fieldLen(r.Host) > size {
		return false
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			if fieldLen(v) > size || fieldLen(k) > size {
				return false
			}
			n += len(k) + len(v)
		}
	}
	return n <= total
}

// fieldLen is a field's length as nginx checks it: as sent, in HPACK,
// where clients use the Huffman code when it is shorter.
func fieldLen(s string) int {
	if len(s) < 64 {
		return len(s)
	}
	return min(len(s), int(hpack.HuffmanEncodeLength(s)))
}

type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// h2Writer is the ResponseWriter of one HTTP/2 stream: the http2
// package's, with the engine's ConnWriter methods.
type h2Writer struct {
	w           http.ResponseWriter
	info        *Conn
	req         *http.Request
	body        *countingBody
	status      int
	wroteHeader bool
	written     int64
	headerBytes int64
	aborted     bool
	unwatch     func() bool
}

var _ ConnWriter = (*h2Writer)(nil)

func (w *h2Writer) Header() http.Header  { return w.w.Header() }
func (w *h2Writer) Conn() *Conn          { return w.info }
func (w *h2Writer) Status() int          { return w.status }
func (w *h2Writer) BytesWritten() int64  { return w.written }
func (w *h2Writer) HeaderBytes() int64   { return w.headerBytes }
func (w *h2Writer) DisableChunking()     {}
func (w *h2Writer) HeadBytesRead() int64 { return -1 }
func (w *h2Writer) Sent() bool           { return w.wroteHeader }

// SetStatusLine and Simple concern HTTP/1.x framing only.
func (w *h2Writer) SetStatusLine(int, string) {}
func (w *h2Writer) Simple()                   {}

func (w *h2Writer) BodyBytesRead() int64 {
	if w.body == nil {
		return 0
	}
	return w.body.n
}

// Abort resets the stream once the handler returns: the client sees the
// response was cut short.
func (w *h2Writer) Abort(discard bool) { w.aborted = true }

// AddTrailer sends a trailer field in a HEADERS frame after the body,
// as nginx's HTTP/2 module does.
func (w *h2Writer) AddTrailer(name, value string) {
	if r, ok := w.w.(*h2Resp); ok {
		r.addTrailer(name, value)
		return
	}
	h := w.w.Header() // HTTP/3: quic-go's writer takes them there
	k := http.TrailerPrefix + name
	h[k] = append(h[k], value)
}

// Aborted says whether Abort ended the stream.
func (w *h2Writer) Aborted() bool { return w.aborted }

// WatchClient: the stream's context ends when the client resets the
// stream (RST_STREAM) or the connection goes.
func (w *h2Writer) WatchClient(cw ClientWatcher) bool {
	w.unwatch = context.AfterFunc(w.req.Context(), func() { cw.ClientClosed(nil) })
	return true
}

func (w *h2Writer) UnwatchClient() {
	if w.unwatch != nil {
		w.unwatch()
		w.unwatch = nil
	}
}

// h2HopHeaders are HTTP/1.x connection fields HTTP/2 must not carry;
// nginx's HTTP/2 header filter never sends them.
var h2HopHeaders = []string{"Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection"}

func (w *h2Writer) WriteHeader(code int) {
	if w.wroteHeader || w.aborted {
		return
	}
	h := w.w.Header()
	if code >= 100 && code < 200 {
		if code != 101 {
			w.w.WriteHeader(code) // 103 Early Hints
		}
		return
	}
	w.wroteHeader = true
	w.status = code
	for _, k := range h2HopHeaders {
		delete(h, k)
	}
	if code == 204 || (code == 304 && w.req.Method != "HEAD") {
		delete(h, "Content-Length")
	}
	n := len(":status: 200")
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 2
		}
	}
	w.headerBytes = int64(n)
	if r, ok := w.w.(*h2Resp); ok {
		r.chunk = int64(w.info.ChunkSize)
	}
	w.w.WriteHeader(code)
}

func (w *h2Writer) Write(p []byte) (int, error) {
	if w.aborted {
		return 0, errStreamAborted
	}
	if !w.wroteHeader {
		if w.w.Header()["Content-Type"] == nil && len(p) > 0 {
			w.w.Header()["Content-Type"] = []string{http.DetectContentType(p)}
		}
		w.WriteHeader(200)
	}
	n, err := w.w.Write(p)
	w.written += int64(n)
	return n, err
}

func (w *h2Writer) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// ReadFrom copies a body (a file) through a pooled buffer.
func (w *h2Writer) ReadFrom(src io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	buf := copyBufs.get()
	defer copyBufs.put(buf)
	return io.CopyBuffer(writerOnly{w}, src, *buf)
}

func (w *h2Writer) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if f, ok := w.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *h2Writer) FlushError() error {
	w.Flush()
	return nil
}

// Hijack is how handlers drop a connection without an answer (444);
// over HTTP/2 that resets the stream instead. The connection returned
// only closes.
func (w *h2Writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.aborted = true
	return abortedConn{}, bufio.NewReadWriter(bufio.NewReader(bytes.NewReader(nil)), bufio.NewWriter(io.Discard)), nil
}

var errStreamAborted = errors.New("httpd: HTTP/2 stream reset")

// abortedConn stands for a stream that will be reset.
type abortedConn struct{ net.Conn }

func (abortedConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (abortedConn) Write([]byte) (int, error)        { return 0, errStreamAborted }
func (abortedConn) Close() error                     { return nil }
func (abortedConn) SetDeadline(time.Time) error      { return nil }
func (abortedConn) SetReadDeadline(time.Time) error  { return nil }
func (abortedConn) SetWriteDeadline(time.Time) error { return nil }
