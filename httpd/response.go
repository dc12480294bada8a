package httpd

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync/atomic"
	"time"
)

// response is the http.ResponseWriter of one request. It frames the body
// as nginx does: Content-Length when known, chunked for HTTP/1.1 when not,
// connection close for HTTP/1.0 and HTTP/0.9.
type response struct {
	c           *conn
	req         *http.Request
	header      http.Header
	status      int
	wroteHeader bool
	noBody      bool // HEAD, 1xx, 204, 304
	simple      bool // HTTP/0.9: body only
	chunked     bool
	closeAfter  bool
	hijacked    bool
	statusLine  string // SetStatusLine: the text for statusCode
	statusCode  int
	aborted     bool  // Abort: no terminator, connection closes
	discard     bool  // Abort dropping what is still buffered
	length      int64 // declared Content-Length, -1 if none
	written     int64 // body bytes written
	headerBytes int64
	// Chunked says whether chunked_transfer_encoding allows chunking;
	// set by the handler through SetChunking.
	noChunking bool
	// names are headers noted by the handler (NoteHeader), sent in
	// that order and spelt so; the others follow by name.
	names []HeaderName
	rl    rateLimit // limit_rate (ratelimit.go)
	// trailers are sent in the last chunk (AddTrailer).
	trailers []byte
	finished bool // Finish ended the response before the handler did
}

// HeaderName is a header as nginx sends it: add_header's names and an
// upstream's are passed on as written, in the order they came, where
// net/http would canonicalise and reorder them.
type HeaderName struct {
	Key  string // the http.Header key (canonical)
	Name string // as written
}

// NoteHeader records that the header at key (canonical) is to be sent
// as name, after the headers noted before it.
func (w *response) NoteHeader(key, name string) {
	w.names = append(w.names, HeaderName{key, name})
}

// noted reports whether names holds key.
func noted(names []HeaderName, key string) bool {
	for _, hn := range names {
		if hn.Key == key {
			return true
		}
	}
	return false
}

func (w *response) reset(c *conn, r *http.Request, rl *requestLine) {
	h := w.header
	if h == nil {
		h = make(http.Header, 16)
	} else {
		clear(h)
	}
	*w = response{c: c, req: r, header: h, length: -1, names: w.names[:0], trailers: w.trailers[:0]}
	if rl != nil && rl.simple {
		w.simple, w.closeAfter = true, true
	}
}

func (w *response) Header() http.Header { return w.header }

// Conn returns the connection's information for the handler.
func (w *response) Conn() *Conn { return &w.c.info }

// Status is the status written (0 before WriteHeader).
func (w *response) Status() int { return w.status }

// BytesWritten is the number of body bytes sent so far.
func (w *response) BytesWritten() int64 { return w.written }

// HeaderBytes is the size of the status line and headers sent.
func (w *response) HeaderBytes() int64 { return w.headerBytes }

// BodyBytesRead is the size of the request body read so far.
func (w *response) BodyBytesRead() int64 { return w.c.body.n }

// HeadBytesRead is the size of the request head as it was read.
func (w *response) HeadBytesRead() int64 { return w.c.headBytes }

// Abort ends a response that cannot be completed (an upstream broke off
// mid-body): no chunked terminator is sent and the connection closes, so
// the client sees the truncation. With discard, what is still buffered is
// dropped as well, as nginx drops its output on an invalid upstream body.
func (w *response) Abort(discard bool) {
	w.aborted, w.discard, w.closeAfter = true, discard, true
}

// AddTrailer adds a trailer field to the last chunk; a response that is
// not chunked sends none, as nginx's chunked filter.
func (w *response) AddTrailer(name, value string) {
	w.trailers = append(w.trailers, name...)
	w.trailers = append(w.trailers, ": "...)
	w.trailers = append(w.trailers, value...)
	w.trailers = append(w.trailers, "\r\n"...)
}

// Aborted says whether Abort ended the response.
func (w *response) Aborted() bool { return w.aborted }

// Sent says whether any of the response has gone to the client (nginx's
// c->sent > 0, which decides whether a request the client left ends
// with 499): what the handler wrote is more than what is still buffered.
func (w *response) Sent() bool {
	if !w.wroteHeader {
		return false
	}
	return w.c.bw == nil || int64(w.c.bw.Buffered()) < w.headerBytes+w.written
}

// HeaderLines are the request's header lines in the order they came:
// each one's canonical name, its name as sent and its value (the map's
// own strings). They are valid until the handler returns.
func (w *response) HeaderLines() (keys, names, vals []string) {
	c := w.c
	if c.reqState == nil {
		return nil, nil, nil
	}
	return c.keys[:c.lines], c.names[:c.lines], c.vals[:c.lines]
}

// SetStatusLine sends line ("403.1 Forbidden") after "HTTP/1.1 " instead
// of nginx's own reason phrase if the status sent is code: nginx passes
// on an upstream's status line as it came.
func (w *response) SetStatusLine(code int, line string) {
	w.statusCode, w.statusLine = code, line
}

// Simple makes the response headerless, HTTP/0.9 style, as nginx sends an
// upstream's response that had no valid status line. It must come before
// WriteHeader.
func (w *response) Simple() {
	if !w.wroteHeader {
		w.simple, w.closeAfter = true, true
	}
}

// DisableChunking makes a response of unknown length close the
// connection instead of using chunked encoding
// (chunked_transfer_encoding off).
func (w *response) DisableChunking() { w.noChunking = true }

// ConnWriter is implemented by the engine's ResponseWriter.
type ConnWriter interface {
	http.ResponseWriter
	Conn() *Conn
	Status() int
	BytesWritten() int64
	HeaderBytes() int64
	BodyBytesRead() int64
	// HeadBytesRead is the request head's size on the wire, or -1
	// where there is no such text (HTTP/2's compressed headers).
	HeadBytesRead() int64
	DisableChunking()
}

func (w *response) WriteHeader(code int) {
	if w.wroteHeader || w.hijacked {
		return
	}
	if code >= 100 && code < 200 && code != 101 {
		// Interim responses (103) are written and forgotten.
		w.writeInterim(code)
		return
	}
	w.wroteHeader = true
	w.status = code
	if w.simple {
		return
	}
	r := w.req
	if r.Method == "HEAD" || code == 204 || code == 304 || code < 200 {
		w.noBody = true
	}
	if cl := w.header["Content-Length"]; cl != nil {
		if n, ok := parseLength(cl[0]); ok {
			w.length = n
		}
	}
	if code == 204 || code == 304 || code < 200 {
		// No body follows; nginx still shows a 304's Content-Length
		// ("return 304" sends one).
		if code != 304 {
			delete(w.header, "Content-Length")
		}
		w.length = -1
	}
	// A Connection header the handler set (add_header) does not decide
	// keep-alive: nginx writes its own and then that one as it is.
	ka := w.c.info.KeepAlive && !w.closeAfter && w.c.state.Load() != stateStop
	if code != 101 && w.length < 0 && !w.noBody {
		if r.ProtoAtLeast(1, 1) && !w.noChunking {
			w.chunked = true
		} else {
			ka = false
		}
	}
	if !ka {
		w.closeAfter = true
	}
	w.writeHead(ka)
}

func (w *response) writeInterim(code int) {
	if w.simple || !w.req.ProtoAtLeast(1, 1) {
		return
	}
	bw := w.c.bw
	bw.WriteString("HTTP/1.1 ")
	bw.WriteString(StatusLine(code))
	bw.WriteString("\r\n")
	for k, vs := range w.header {
		if k == "Link" {
			for _, v := range vs {
				writeField(bw, k, v)
			}
		}
	}
	bw.WriteString("\r\n")
	bw.Flush()
}

// The header slots, in the order nginx's header filter writes them.
const (
	slotServer = iota
	slotDate
	slotContentType
	slotContentLength
	slotLastModified
	slotLocation
	slotTE
	slotConnection
	slotKeepAlive
	slotETag
	slotAcceptRanges
	slotContentRange
	slots
)

var slotNames = [slots]string{"Server", "Date", "Content-Type", "Content-Length", "Last-Modified",
	"Location", "Transfer-Encoding", "Connection", "Keep-Alive", "ETag", "Accept-Ranges", "Content-Range"}

// slotOf places a header key. The Transfer-Encoding, Connection and
// Keep-Alive slots are the engine's own: such a header in the map
// (add_header) is written among the others, after them, as nginx does.
func slotOf(k string) int {
	switch i := anySlotOf(k); i {
	case slotTE, slotConnection, slotKeepAlive:
		return -1
	default:
		return i
	}
}

func anySlotOf(k string) int {
	switch k {
	case "Server":
		return slotServer
	case "Date":
		return slotDate
	case "Content-Type":
		return slotContentType
	case "Content-Length":
		return slotContentLength
	case "Last-Modified":
		return slotLastModified
	case "Location":
		return slotLocation
	case "Transfer-Encoding":
		return slotTE
	case "Connection":
		return slotConnection
	case "Keep-Alive":
		return slotKeepAlive
	case "ETag", "Etag":
		return slotETag
	case "Accept-Ranges":
		return slotAcceptRanges
	case "Content-Range":
		return slotContentRange
	}
	return -1
}

// sendDeadline arms send_timeout for the next write to the client.
func (w *response) sendDeadline() {
	if t := w.c.info.SendTimeout; t > 0 {
		w.sendDeadlineAt(time.Now())
	}
}

// sendDeadlineAt is sendDeadline at a time already read.
func (w *response) sendDeadlineAt(now time.Time) {
	if t := w.c.info.SendTimeout; t > 0 {
		w.c.wdl.Set(w.c.nc.SetWriteDeadline, now, t)
	}
}

func (w *response) writeHead(keepAlive bool) {
	// One clock reading for the deadline and the Date header.
	now := time.Now()
	w.sendDeadlineAt(now)
	bw := w.c.bw
	var n int
	wr := func(s string) { m, _ := bw.WriteString(s); n += m }
	wr("HTTP/1.1 ")
	if w.statusLine != "" && w.statusCode == w.status {
		wr(w.statusLine)
	} else {
		wr(StatusLine(w.status))
	}
	wr("\r\n")
	h := w.header
	// One pass over the map sorts headers into nginx's order: the
	// header filter's own fields first, then ETag, Accept-Ranges and
	// Content-Range, then those noted (add_header, the upstream's) in
	// their order, then the rest by name.
	var slot [slots][]string
	var rest [32]string
	keys := rest[:0]
	for k, vs := range h {
		if i := slotOf(k); i >= 0 {
			slot[i] = vs
		} else {
			keys = append(keys, k)
		}
	}
	for i, k := range slotNames {
		switch i {
		case slotDate:
			if v := slot[i]; v != nil {
				n += writeField(bw, "Date", v[0])
			} else {
				wr("Date: ")
				m, _ := bw.Write(currentDate(now))
				n += m
				wr("\r\n")
			}
		case slotTE:
			if w.chunked {
				wr("Transfer-Encoding: chunked\r\n")
			}
		case slotConnection:
			if w.status == 101 {
				wr("Connection: upgrade\r\n")
			} else if keepAlive {
				wr("Connection: keep-alive\r\n")
			} else {
				wr("Connection: close\r\n")
			}
		case slotKeepAlive:
			if keepAlive && w.c.info.KeepAliveHeader > 0 {
				wr("Keep-Alive: timeout=" + strconv.Itoa(int(w.c.info.KeepAliveHeader/time.Second)) + "\r\n")
			}
		default:
			for _, v := range slot[i] {
				n += writeField(bw, k, v)
			}
		}
	}
	for i, hn := range w.names {
		if slotOf(hn.Key) >= 0 || noted(w.names[:i], hn.Key) {
			continue
		}
		for _, v := range h[hn.Key] {
			n += writeField(bw, hn.Name, v)
		}
	}
	if len(keys) > 1 {
		sort.Strings(keys)
	}
	for _, k := range keys {
		if len(w.names) > 0 && noted(w.names, k) {
			continue
		}
		for _, v := range h[k] {
			n += writeField(bw, k, v)
		}
	}
	wr("\r\n")
	w.headerBytes = int64(n)
}

func writeField(bw *bufio.Writer, k, v string) int {
	// A header value must not break the response: CR and LF would.
	for i := 0; i < len(v); i++ {
		if v[i] == '\r' || v[i] == '\n' {
			return 0
		}
	}
	bw.WriteString(k)
	bw.WriteString(": ")
	bw.WriteString(v)
	bw.WriteString("\r\n")
	return len(k) + len(v) + 4
}

func (w *response) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		if w.header["Content-Type"] == nil && len(p) > 0 {
			w.header["Content-Type"] = []string{http.DetectContentType(p)}
		}
		w.WriteHeader(200)
	}
	if w.noBody {
		return len(p), nil
	}
	if w.length >= 0 && w.written+int64(len(p)) > w.length {
		p = p[:w.length-w.written]
	}
	if len(p) == 0 {
		return 0, nil
	}
	if w.rl.rate > 0 {
		return w.writePaced(p)
	}
	return w.write(p)
}

// writePaced writes p in the pieces limit_rate allows.
func (w *response) writePaced(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		k, err := w.allow(int64(len(p)))
		if err != nil {
			return total, err
		}
		n, err := w.write(p[:k])
		total += n
		if err != nil {
			return total, err
		}
		p = p[k:]
	}
	return total, nil
}

func (w *response) write(p []byte) (int, error) {
	w.sendDeadline()
	bw := w.c.bw
	if w.chunked {
		bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		bw.WriteString("\r\n")
	}
	n, err := bw.Write(p)
	w.written += int64(n)
	if w.chunked {
		bw.WriteString("\r\n")
	}
	if err != nil {
		w.closeAfter = true
		w.c.nc.Close()
	}
	return n, err
}

func (w *response) WriteString(s string) (int, error) {
	return w.Write([]byte(s))
}

// ReadFrom sends a body from a reader; for a file with a known length it
// lets the kernel copy it (sendfile).
func (w *response) ReadFrom(src io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if w.noBody {
		return io.Copy(io.Discard, src)
	}
	if !w.chunked && isFile(src) {
		if err := w.c.bw.Flush(); err != nil {
			return 0, err
		}
		n, err := w.sendFile(src)
		if err != nil {
			w.closeAfter = true
		}
		return n, err
	}
	buf := copyBufs.get()
	defer copyBufs.put(buf)
	return io.CopyBuffer(writerOnly{w}, src, *buf)
}

type writerOnly struct{ io.Writer }

// sendFile copies a file to the connection with the kernel's sendfile,
// in slices so that send_timeout bounds each one rather than the whole
// transfer.
//
// The slice must wrap the *os.File itself: net.TCPConn uses sendfile
// only for a file or a LimitedReader directly around one, and copies
// through a user-space buffer otherwise.
func (w *response) sendFile(src io.Reader) (int64, error) {
	const slice = 4 << 20
	left := int64(-1) // what src allows, -1 for no limit
	if l, ok := src.(*io.LimitedReader); ok {
		src, left = l.R, l.N
		defer func() { l.N = left }()
	}
	var total int64
	for left != 0 {
		w.sendDeadline()
		want := int64(slice)
		if left >= 0 {
			want = min(want, left)
		}
		want, err := w.allow(want)
		if err != nil {
			return total, err
		}
		var n int64
		lr := &io.LimitedReader{R: src, N: want}
		if rf, ok := w.c.nc.(io.ReaderFrom); ok {
			n, err = rf.ReadFrom(lr)
		} else {
			n, err = io.Copy(w.c.nc, lr)
		}
		total += n
		w.written += n
		if left >= 0 {
			left -= n
		}
		if err != nil || n < want {
			return total, err
		}
	}
	return total, nil
}

func isFile(r io.Reader) bool {
	switch v := r.(type) {
	case *os.File:
		return true
	case *io.LimitedReader:
		_, ok := v.R.(*os.File)
		return ok
	case *io.SectionReader:
		return false
	}
	return false
}

// Flush sends what is buffered to the client.
func (w *response) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	w.c.bw.Flush()
}

// FlushError is Flush with the error, for http.ResponseController.
func (w *response) FlushError() error {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	return w.c.bw.Flush()
}

// Hijack hands the connection to the handler (WebSocket tunnels).
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if w.wroteHeader && w.status != 101 {
		return nil, nil, errors.New("httpd: hijack after response started")
	}
	w.hijacked = true
	w.c.bw.Flush()
	w.c.nc.SetDeadline(time.Time{})
	return w.c.nc, bufio.NewReadWriter(w.c.br, w.c.bw), nil
}

// finish completes the response: the chunked terminator, and a close if
// the body fell short of its Content-Length.
// Finish ends the response now, as its handler's return would: the
// handler goes on with work the client does not wait for (nginx's
// background subrequests), and the connection waits for it.
func (w *response) Finish() { w.finish() }

func (w *response) finish() {
	if w.hijacked || w.finished {
		return
	}
	w.finished = true
	if w.aborted {
		if !w.discard {
			w.c.bw.Flush()
		}
		return
	}
	if !w.wroteHeader {
		w.header["Content-Length"] = []string{"0"}
		w.WriteHeader(200)
	}
	if w.chunked && !w.noBody {
		w.c.bw.WriteString("0\r\n")
		w.c.bw.Write(w.trailers)
		w.c.bw.WriteString("\r\n")
	}
	if w.length >= 0 && !w.noBody && w.written < w.length {
		w.closeAfter = true
	}
	w.c.bw.Flush()
}

var dateCache atomic.Pointer[dateEntry]

type dateEntry struct {
	sec int64
	b   []byte
}

// currentDate is the Date header value at now, formatted once per
// second.
func currentDate(now time.Time) []byte {
	if d := dateCache.Load(); d != nil && d.sec == now.Unix() {
		return d.b
	}
	d := &dateEntry{sec: now.Unix(), b: now.UTC().AppendFormat(nil, http.TimeFormat)}
	dateCache.Store(d)
	return d.b
}

type bufPool struct{ ch chan *[]byte }

var copyBufs = bufPool{ch: make(chan *[]byte, 64)}

func (p bufPool) get() *[]byte {
	select {
	case b := <-p.ch:
		return b
	default:
		b := make([]byte, 32<<10)
		return &b
	}
}

func (p bufPool) put(b *[]byte) {
	select {
	case p.ch <- b:
	default:
	}
}
