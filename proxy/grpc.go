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
	"errors"
	"net/http"
	"strconv"
	"strings"
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
