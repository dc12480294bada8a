package proxy

// grpc.go is the wire of ngx_http_grpc_module: HTTP/2 to the upstream,
// in the clear (grpc://) or over TLS with ALPN h2 (grpcs://). As in
// nginx, a connection carries one stream at a time, and a kept one
// (upstream keepalive) carries the next request on its next stream. The
// request body goes out as it arrives and the response comes back as it
// is read, at the same time, so that streams in both directions work;
// the upstream's trailers (grpc-status, grpc-message) end the client's
// response.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"goproxy/confparse"
	"goproxy/httpd"
)

// grpcHidden are the upstream response headers nginx's gRPC module
// does not pass on.
var grpcHidden = []string{"Date", "Server", "X-Accel-Expires", "X-Accel-Redirect", "X-Accel-Limit-Rate",
	"X-Accel-Buffering", "X-Accel-Charset"}

// grpcDefaultHeaders are nginx's grpc_set_header defaults: the HTTP/1.x
// connection fields are not sent; Host goes as :authority (the pass's
// host) unless grpc_set_header gives one; TE is "trailers" only if the
// client's has it.
var grpcDefaultHeaders = []*confparse.HeaderTmpl{
	{Name: "Host", Value: &confparse.Template{}},
	{Name: "Connection", Value: &confparse.Template{}},
	{Name: "TE", Value: &confparse.Template{}},
	{Name: "Transfer-Encoding", Value: &confparse.Template{}},
	{Name: "Keep-Alive", Value: &confparse.Template{}},
	{Name: "Expect", Value: &confparse.Template{}},
	{Name: "Upgrade", Value: &confparse.Template{}},
}

// newGRPCHandler is the handler of a grpc_pass location.
func (c *Config) newGRPCHandler(l *confparse.Loc) *handler {
	g := &l.GRPC
	w := &grpcWire{conf: g}
	for _, s := range g.SetHeaders {
		if strings.EqualFold(s.Name, "TE") {
			w.userTE = true
		}
	}
	view := cgiView(l, &g.CGIUpstream)
	view.Proxy.SetHeaders = append(append([]*confparse.HeaderTmpl{}, g.SetHeaders...), grpcDefaultHeaders...)
	v := "2.0" // streamed bodies of unknown length stay streamed
	view.Proxy.HTTPVersion = &v
	h := c.wireHandler(&view, &g.CGIUpstream, w, grpcHidden)
	h.useTLS(c, &g.UpstreamSSL, "grpc", "grpcs")
	if h.tls != nil {
		h.tls.base.NextProtos = []string{"h2"}
	}
	return h
}

// grpcWire speaks HTTP/2 on an upstream connection.
type grpcWire struct {
	conf   *confparse.GRPCLoc
	userTE bool // grpc_set_header names TE
}

// h2Session is the HTTP/2 state of one upstream connection, kept with
// it between requests.
type h2Session struct {
	c      *upConn
	fr     *http2.Framer
	enc    *hpack.Encoder
	encBuf bytes.Buffer
	next   uint32 // the next stream's id
	sent   atomic.Int64
	wmu    sync.Mutex // one frame written at a time

	// Flow control of what we send, guarded by mu.
	mu       sync.Mutex
	cond     *sync.Cond
	connWin  int64
	initWin  int64
	strWin   int64
	maxFrame uint32
	dead     error // the connection failed or went away
	// recvd is DATA taken since the last WINDOW_UPDATE we sent.
	recvd int64
	// frameLen is the size of the last frame read, with its
	// CONTINUATIONs.
	frameLen int64
}

// grpcStart is what nginx opens each connection with: the preface, its
// settings (no dynamic header table, no push, the largest window) and a
// connection window as large.
func (s *h2Session) start() error {
	s.c.bw.WriteString(http2.ClientPreface)
	s.sent.Add(int64(len(http2.ClientPreface)))
	s.fr.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: 0},
		http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1<<31 - 1})
	s.fr.WriteWindowUpdate(0, 1<<31-1-65535)
	return s.c.bw.Flush()
}

// countWriter counts the bytes a session writes, for
// $upstream_bytes_sent.
type countWriter struct{ s *h2Session }

func (w countWriter) Write(p []byte) (int, error) {
	w.s.sent.Add(int64(len(p)))
	return w.s.c.bw.Write(p)
}

func session(c *upConn) (*h2Session, error) {
	if s, ok := c.wire.(*h2Session); ok {
		return s, nil
	}
	s := &h2Session{c: c, next: 1, connWin: 65535, initWin: 65535, maxFrame: 16384}
	s.cond = sync.NewCond(&s.mu)
	s.fr = http2.NewFramer(countWriter{s}, c.br)
	s.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	s.fr.MaxHeaderListSize = 1 << 20
	s.enc = hpack.NewEncoder(&s.encBuf)
	c.wire = s
	return s, s.start()
}

// grpcStream is one request's stream on a session.
type grpcStream struct {
	s  *h2Session
	id uint32
	a  *attempt
	st *state
	// sendDone is closed when the request's last frame is out; sendErr
	// is why it failed.
	sendDone chan struct{}
	sendErr  error
	// ending says the sender is writing the body's end: it is done in
	// a moment.
	ending   atomic.Bool
	trailers []hpack.HeaderField
	ended    bool
	sent0    int64 // the session's bytes sent before the stream
}

// wireError is a failure nginx words itself ("upstream rejected
// request with error 2"); discard says the client loses what was not
// yet sent.
type wireError struct {
	msg     string
	discard bool
}

func (e *wireError) Error() string { return e.msg }

func (w *grpcWire) exchange(h *handler, st *state, c *upConn, a *attempt) (*http.Response, error) {
	c.wdl.Set(c.nc.SetWriteDeadline, time.Now(), a.sendTO)
	s, err := session(c)
	sent0 := s.sent.Load() - int64(len(http2.ClientPreface))
	if s.next > 1 {
		sent0 = s.sent.Load()
	}
	if err != nil {
		a.sentRequest, a.sendFailed = true, true
		return nil, err
	}
	gs := &grpcStream{s: s, id: s.next, a: a, st: st, sendDone: make(chan struct{}), sent0: sent0}
	s.next += 2
	s.mu.Lock()
	s.strWin = s.initWin
	s.mu.Unlock()
	block := w.headerBlock(h, st, s, a)
	noBody := a.body == nil && a.stream == nil
	if err := s.writeHeaders(gs.id, block, noBody); err != nil {
		a.sentRequest, a.sendFailed = true, true
		return nil, err
	}
	a.sentRequest = true
	if noBody {
		close(gs.sendDone)
	} else {
		st.senders = append(st.senders, gs.stop)
		go gs.sendBody()
	}
	resp, err := w.readHead(gs, st, a)
	if err != nil {
		// The sender stops at its next write; no other try reads the
		// body it streams (a streamed body is not sent twice).
		s.fail(err)
		c.nc.Close()
	}
	a.bytesSent = s.sent.Load() - sent0
	return resp, err
}

// readHead reads the response head of the stream.
func (w *grpcWire) readHead(gs *grpcStream, st *state, a *attempt) (*http.Response, error) {
	c := gs.s.c
	for {
		c.rdl.Set(c.nc.SetReadDeadline, time.Now(), a.readTO)
		f, err := gs.readFrame()
		var we *wireError
		if errors.As(err, &we) {
			// nginx takes what goes wrong with the stream before its
			// head for an invalid header (grpc_next_upstream
			// invalid_header).
			a.invalidHead = true
		}
		if err != nil {
			return nil, err
		}
		mh, ok := f.(*http2.MetaHeadersFrame)
		if !ok {
			a.invalidHead = true
			return nil, &wireError{msg: "upstream sent unexpected http2 frame: 0"}
		}
		if gs.s.frameLen > int64(a.maxHead) {
			// nginx holds the header block in grpc_buffer_size.
			a.invalidHead = true
			return nil, &wireError{msg: "upstream sent too big header"}
		}
		sv := mh.PseudoValue("status")
		status, err := strconv.Atoi(sv)
		switch {
		case sv == "":
			err = &wireError{msg: "upstream sent no :status header"}
		case len(sv) != 3 || err != nil:
			err = &wireError{msg: "upstream sent invalid :status \"" + sv + "\""}
		case status < 200:
			// nginx 1.22 takes no interim response from a gRPC upstream.
			err = &wireError{msg: "upstream sent unexpected :status \"" + sv + "\""}
		}
		if err != nil {
			a.invalidHead = true
			return nil, err
		}
		resp := &http.Response{StatusCode: status, Status: strconv.Itoa(status) + " " + http.StatusText(status),
			Proto: "HTTP/2.0", ProtoMajor: 2, Header: http.Header{}, ContentLength: -1, Request: a.req}
		a.names = a.names[:0]
		for _, hf := range mh.RegularFields() {
			k := http.CanonicalHeaderKey(hf.Name)
			resp.Header[k] = append(resp.Header[k], hf.Value)
			// nginx passes the names as they came, in lower case.
			a.names = append(a.names, httpd.HeaderName{Key: k, Name: hf.Name})
		}
		if cl := resp.Header.Get("Content-Length"); cl != "" {
			if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
				resp.ContentLength = n
			}
		}
		a.bodyStart = c.nread - int64(c.br.Buffered())
		gs.ended = mh.StreamEnded()
		if gs.ended || a.req.Method == http.MethodHead {
			resp.ContentLength = 0
		}
		resp.Body = &grpcBody{gs: gs, st: st}
		return resp, nil
	}
}

// headerBlock encodes the request's head: the pseudo-headers, then the
// headers rewrite built (grpc_set_header, then the client's), names in
// lower case as HTTP/2 wants them.
func (w *grpcWire) headerBlock(h *handler, st *state, s *h2Session, a *attempt) []byte {
	r := a.req
	s.encBuf.Reset()
	add := func(k, v string) { s.enc.WriteField(hpack.HeaderField{Name: k, Value: v}) }
	add(":method", r.Method)
	scheme := "http"
	if st.scheme == "grpcs" {
		scheme = "https"
	}
	add(":scheme", scheme)
	add(":path", h.targetURI(st.rq))
	if r.Host == "" {
		host := h.pass.Host
		if st.passHost != "" {
			host = st.passHost
		}
		add(":authority", host)
	} else {
		add("host", r.Host)
	}
	if !w.userTE && clientWantsTrailers(st.rq.R.Header) {
		add("te", "trailers")
	}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		switch lk {
		case "connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "host":
			continue
		}
		for _, v := range vs {
			add(lk, v)
		}
	}
	return append([]byte(nil), s.encBuf.Bytes()...)
}

// clientWantsTrailers is nginx's $grpc_internal_trailers: the client's
// TE names "trailers".
func clientWantsTrailers(hd http.Header) bool {
	for _, v := range hd["Te"] {
		for _, p := range strings.Split(v, ",") {
			p, _, _ = strings.Cut(p, ";")
			if strings.EqualFold(strings.TrimSpace(p), "trailers") {
				return true
			}
		}
	}
	return false
}

// writeHeaders sends a header block in HEADERS and CONTINUATION frames
// no larger than the peer takes.
func (s *h2Session) writeHeaders(id uint32, block []byte, end bool) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	max := int(s.frameSize())
	first := true
	for first || len(block) > 0 {
		n := min(len(block), max)
		frag, last := block[:n], n == len(block)
		block = block[n:]
		var err error
		if first {
			err = s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: frag,
				EndStream: end, EndHeaders: last})
			first = false
		} else {
			err = s.fr.WriteContinuation(id, last, frag)
		}
		if err != nil {
			return err
		}
	}
	return s.c.bw.Flush()
}

func (s *h2Session) frameSize() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxFrame
}

// write sends a frame the reading side owes the peer (an ack, a window
// update) while a body may be going out.
func (s *h2Session) write(f func() error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.c.wdl.Set(s.c.nc.SetWriteDeadline, time.Now(), 0)
	if err := f(); err != nil {
		return err
	}
	return s.c.bw.Flush()
}

// sendBody sends the request body in DATA frames as the windows allow,
// each piece as it comes from the client, and ends the stream.
func (gs *grpcStream) sendBody() {
	defer close(gs.sendDone)
	s, a := gs.s, gs.a
	var src io.Reader = a.stream
	if a.body != nil {
		src = bytes.NewReader(a.body)
	}
	buf := make([]byte, 16384)
	for {
		n, rerr := src.Read(buf)
		p := buf[:n]
		for len(p) > 0 {
			k, err := s.reserve(len(p))
			if err == nil {
				s.wmu.Lock()
				s.c.wdl.Set(s.c.nc.SetWriteDeadline, time.Now(), a.sendTO)
				err = s.fr.WriteData(gs.id, false, p[:k])
				if err == nil {
					err = s.c.bw.Flush()
				}
				s.wmu.Unlock()
			}
			if err != nil {
				gs.sendErr = err
				return
			}
			p = p[k:]
		}
		if rerr == io.EOF {
			gs.ending.Store(true)
			s.wmu.Lock()
			err := s.fr.WriteData(gs.id, true, nil)
			if err == nil {
				err = s.c.bw.Flush()
			}
			s.wmu.Unlock()
			gs.sendErr = err
			return
		}
		if rerr != nil {
			// The client's body failed: the upstream's stream is reset.
			gs.sendErr = rerr
			s.write(func() error { return s.fr.WriteRSTStream(gs.id, http2.ErrCodeCancel) })
			return
		}
	}
}

// stop ends the sender before the handler returns, so that nothing
// reads the client's body after it: a read in progress is interrupted
// (the connection's body) or the body closed (an HTTP/2 stream's).
func (gs *grpcStream) stop() {
	select {
	case <-gs.sendDone:
		return
	default:
	}
	gs.s.fail(errStreamOver)
	switch b := gs.st.rq.R.Body.(type) {
	case interface{ Interrupt() }:
		b.Interrupt()
	case io.Closer:
		b.Close()
	}
	<-gs.sendDone
}

// reserve waits for window to send up to n bytes and takes what it can.
func (s *h2Session) reserve(n int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.dead == nil && (s.connWin <= 0 || s.strWin <= 0) {
		s.cond.Wait()
	}
	if s.dead != nil {
		return 0, s.dead
	}
	k := int64(min(n, int(s.maxFrame)))
	k = min(k, s.connWin, s.strWin)
	s.connWin -= k
	s.strWin -= k
	return int(k), nil
}

// fail ends the session for the sender too.
func (s *h2Session) fail(err error) {
	s.mu.Lock()
	if s.dead == nil {
		s.dead = err
	}
	s.cond.Broadcast()
	s.mu.Unlock()
}

// readFrame reads the next frame of the connection, answering the
// connection's own (SETTINGS, PING, WINDOW_UPDATE) and returning those
// of the stream: its headers and DATA. A reset stream or a GOAWAY that
// covers it is an error.
func (gs *grpcStream) readFrame() (http2.Frame, error) {
	s := gs.s
	for {
		if hdr, err := s.c.br.Peek(3); err == nil {
			// nginx reads frames of the default size only: what is
			// not HTTP/2 ("HTTP/1.1 400") fails here.
			if n := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2]); n > 16384 {
				err := &wireError{msg: "upstream sent too large http2 frame: " + strconv.Itoa(n)}
				s.fail(err)
				return nil, err
			}
		}
		before := s.c.nread - int64(s.c.br.Buffered())
		f, err := s.fr.ReadFrame()
		s.frameLen = s.c.nread - int64(s.c.br.Buffered()) - before
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			s.fail(err)
			return nil, err
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if f.IsAck() {
				continue
			}
			s.mu.Lock()
			f.ForeachSetting(func(st http2.Setting) error {
				switch st.ID {
				case http2.SettingInitialWindowSize:
					s.strWin += int64(st.Val) - s.initWin
					s.initWin = int64(st.Val)
				case http2.SettingMaxFrameSize:
					s.maxFrame = st.Val
				}
				return nil
			})
			s.cond.Broadcast()
			s.mu.Unlock()
			if err := s.write(s.fr.WriteSettingsAck); err != nil {
				return nil, err
			}
		case *http2.WindowUpdateFrame:
			s.mu.Lock()
			if f.StreamID == 0 {
				s.connWin += int64(f.Increment)
			} else if f.StreamID == gs.id {
				s.strWin += int64(f.Increment)
			}
			s.cond.Broadcast()
			s.mu.Unlock()
		case *http2.PingFrame:
			if !f.IsAck() {
				data := f.Data
				if err := s.write(func() error { return s.fr.WritePing(true, data) }); err != nil {
					return nil, err
				}
			}
		case *http2.GoAwayFrame:
			if f.LastStreamID < gs.id {
				err := &wireError{msg: "upstream sent goaway with error " + strconv.Itoa(int(f.ErrCode))}
				s.fail(err)
				return nil, err
			}
			s.c.broken = true
		case *http2.RSTStreamFrame:
			if f.StreamID == gs.id {
				err := &wireError{msg: "upstream rejected request with error " + strconv.Itoa(int(f.ErrCode)), discard: true}
				s.fail(err)
				return nil, err
			}
		case *http2.MetaHeadersFrame:
			if f.StreamID == gs.id {
				return f, nil
			}
		case *http2.DataFrame:
			if f.StreamID == gs.id {
				return f, nil
			}
		}
	}
}

// grpcBody is the response's DATA; the trailers at its end go to the
// client's response.
type grpcBody struct {
	gs   *grpcStream
	st   *state
	data []byte
	err  error
}

func (b *grpcBody) Read(p []byte) (int, error) {
	for len(b.data) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		if b.gs.ended {
			b.err = b.end()
			return 0, b.err
		}
		f, err := b.gs.readFrame()
		if err != nil {
			b.err = err
			return 0, err
		}
		if b.take(f) {
			return 0, b.err
		}
		// What else has come is read too before any of it goes on, as
		// nginx reads a whole buffer: a reset behind the data voids it.
		for !b.gs.ended && b.err == nil && frameBuffered(b.gs.s.c.br) {
			f, err := b.gs.readFrame()
			if err != nil {
				b.err = err
				var we *wireError
				if errors.As(err, &we) && we.discard {
					b.data = nil
				}
				break
			}
			if b.take(f) {
				break
			}
		}
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

// take adds a frame of the stream to the body; it reports an error
// that ends it.
func (b *grpcBody) take(f http2.Frame) bool {
	switch f := f.(type) {
	case *http2.DataFrame:
		b.data = append(b.data, f.Data()...)
		b.gs.ended = f.StreamEnded()
		b.credit(len(f.Data()))
	case *http2.MetaHeadersFrame:
		b.gs.trailers = f.RegularFields()
		b.gs.ended = true
		if !f.StreamEnded() {
			b.err = &wireError{msg: "upstream sent trailers without END_STREAM flag"}
			b.gs.s.c.broken = true
			return true
		}
	}
	return false
}

// frameBuffered says a whole frame is read already.
func frameBuffered(br *bufio.Reader) bool {
	if br.Buffered() < 9 {
		return false
	}
	hdr, _ := br.Peek(9)
	return br.Buffered() >= 9+(int(hdr[0])<<16|int(hdr[1])<<8|int(hdr[2]))
}

// credit gives the upstream its windows back once half of them was
// taken.
func (b *grpcBody) credit(n int) {
	s := b.gs.s
	s.recvd += int64(n)
	if s.recvd < 1<<30 {
		return
	}
	k, id := uint32(s.recvd), b.gs.id
	s.recvd = 0
	s.write(func() error {
		if err := s.fr.WriteWindowUpdate(0, k); err != nil {
			return err
		}
		return s.fr.WriteWindowUpdate(id, k)
	})
}

// end is the stream's end: the trailers go to the client, and the
// connection is kept only if the request went out whole and nothing of
// the stream is left.
func (b *grpcBody) end() error {
	gs := b.gs
	if tw, ok := b.st.rq.W.(interface{ AddTrailer(name, value string) }); ok {
		for _, t := range gs.trailers {
			tw.AddTrailer(t.Name, t.Value) // as they came, as nginx passes them
		}
	}
	if gs.ending.Load() {
		<-gs.sendDone
	}
	select {
	case <-gs.sendDone:
		if gs.sendErr != nil {
			gs.s.c.broken = true
		}
	default:
		// The upstream answered before the request's end: the stream
		// is not closed on our side, the connection cannot serve another.
		gs.s.c.broken = true
		gs.s.fail(errStreamOver)
	}
	gs.a.bytesSent = gs.s.sent.Load() - gs.sent0
	b.drain()
	return io.EOF
}

var errStreamOver = errors.New("upstream stream ended")

// drain reads the connection's frames already buffered after the
// stream's end (a PING, a WINDOW_UPDATE, a reset of the finished
// stream), so that a kept connection starts clean; one only begun is
// read to its end, which is on its way.
func (b *grpcBody) drain() {
	for b.gs.s.c.br.Buffered() > 0 {
		f, err := b.gs.s.fr.ReadFrame()
		if err != nil {
			b.gs.s.c.broken = true
			return
		}
		switch f := f.(type) {
		case *http2.PingFrame:
			if !f.IsAck() {
				data := f.Data
				b.gs.s.write(func() error { return b.gs.s.fr.WritePing(true, data) })
			}
		case *http2.SettingsFrame:
			if !f.IsAck() {
				b.gs.s.write(b.gs.s.fr.WriteSettingsAck)
			}
		case *http2.GoAwayFrame:
			b.gs.s.c.broken = true
		}
	}
}

func (b *grpcBody) Close() error { return nil }
