package httpd

// h2stream.go turns an HTTP/2 stream into the engine's request: the
// HEADERS block checked as x/net's server did (pseudo-header fields,
// connection-specific fields), the stream limits nginx applies
// (http2_max_concurrent_streams refuses a stream, large header fields
// end the connection), and the handler run in a goroutine of its own.

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/net/http2"
)

// h2Stream is one request stream.
type h2Stream struct {
	s      *h2Server
	id     uint32
	req    *http.Request
	resp   h2Resp
	body   *h2Body // nil without a request body
	cancel context.CancelFunc
	reset  atomic.Bool // reset by the client, or the connection went
	// sendWindow is the client's window for the stream (under s.mu).
	sendWindow int64
}

// peerReset ends the stream for the handler: its context, its body and
// any write waiting for window. The caller may hold s.mu.
func (st *h2Stream) peerReset() {
	if st.reset.Swap(true) {
		return
	}
	st.cancel()
	if st.body != nil {
		st.body.fail(errStreamAborted)
	}
	st.s.cond.Broadcast()
}

// timedOut resets a stream that waited too long (client_body_timeout,
// send_timeout) with PROTOCOL_ERROR, as nginx does, and ends it for the
// handler. The reset goes out first: a handler woken by peerReset would
// otherwise end the stream and reset it NO_ERROR.
func (st *h2Stream) timedOut() {
	st.s.resetStream(st.id, http2.ErrCodeProtocol)
	st.peerReset()
}

// headers opens a stream, or ends a request body with trailers.
func (s *h2Server) headers(f *http2.MetaHeadersFrame) bool {
	id := f.StreamID
	s.mu.Lock()
	st := s.streams[id]
	switch {
	case st != nil:
		s.mu.Unlock()
		// Trailers: they must end the body.
		if st.body == nil || st.body.ended() || !f.StreamEnded() {
			s.connError(http2.ErrCodeProtocol)
			return false
		}
		st.body.end()
		return true
	case id%2 == 0 || id <= s.maxID:
		s.mu.Unlock()
		s.connError(http2.ErrCodeProtocol)
		return false
	}
	s.maxID = id
	if s.goingAway {
		s.mu.Unlock()
		return true // after the GOAWAY: not processed
	}
	refuse := s.active >= int(s.set.MaxConcurrentStreams)
	s.mu.Unlock()
	if refuse {
		s.resetStream(id, http2.ErrCodeRefusedStream)
		return true
	}
	r, code := s.newRequest(f)
	if code != http2.ErrCodeNo {
		s.resetStream(id, code)
		return true
	}
	if f.Truncated || !h2HeaderLimits(r, s.hc.h.Limits(&s.hc.base)) {
		// nginx ends the connection for a header field or list larger
		// than large_client_header_buffers allow.
		s.connError(http2.ErrCodeEnhanceYourCalm)
		return false
	}
	st = &h2Stream{s: s, id: id}
	ctx, cancel := context.WithCancel(s.c.info.ctx)
	st.cancel = cancel
	r = r.WithContext(ctx)
	if f.StreamEnded() {
		r.Body = http.NoBody
	} else {
		st.body = &h2Body{st: st, window: s.streamRecv, left: s.streamRecv, declared: r.ContentLength}
		st.body.cond.L = &st.body.mu
		r.Body = st.body
	}
	st.req = r
	st.resp.init(st)
	s.mu.Lock()
	st.sendWindow = s.peerWindow
	s.streams[id] = st
	s.active++
	if s.active == 1 {
		s.idleLocked()
	}
	s.mu.Unlock()
	go s.runStream(st)
	return true
}

// newRequest makes the engine's request of a HEADERS block, or says
// with which code to reset the stream.
func (s *h2Server) newRequest(f *http2.MetaHeadersFrame) (*http.Request, http2.ErrCode) {
	method, path := f.PseudoValue("method"), f.PseudoValue("path")
	scheme, authority := f.PseudoValue("scheme"), f.PseudoValue("authority")
	if method == "" || (method != "CONNECT" && (path == "" || scheme == "")) || (method == "CONNECT" && authority == "") {
		return nil, http2.ErrCodeProtocol
	}
	regular := f.RegularFields()
	h := make(http.Header, len(regular))
	var cookies []string
	for _, hf := range regular {
		switch hf.Name {
		case "connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade":
			return nil, http2.ErrCodeProtocol
		case "te":
			if hf.Value != "trailers" {
				return nil, http2.ErrCodeProtocol
			}
		case "cookie":
			// Cookie fields split for compression are one header
			// again (RFC 9113 8.2.3), as nginx joins them.
			cookies = append(cookies, hf.Value)
			continue
		}
		k := s.canonical(hf.Name)
		h[k] = append(h[k], hf.Value)
	}
	if len(cookies) > 0 {
		h["Cookie"] = []string{strings.Join(cookies, "; ")}
	}
	host := authority
	if host == "" {
		host = h.Get("Host")
	}
	cl := int64(-1)
	if f.StreamEnded() {
		cl = 0
	}
	if v := h["Content-Length"]; len(v) > 0 {
		n, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil || n < 0 || len(v) > 1 {
			return nil, http2.ErrCodeProtocol
		}
		cl = n
	}
	c := &s.c.info
	r := &http.Request{Method: method, RequestURI: path, Proto: "HTTP/2.0", ProtoMajor: 2,
		Header: h, Host: host, ContentLength: cl, RemoteAddr: s.remote, TLS: c.TLS}
	return r, http2.ErrCodeNo
}

// canonical is a field name in http.Header's form, remembered per
// connection (a client sends the same names on every stream).
func (s *h2Server) canonical(name string) string {
	if k, ok := s.canonHeader[name]; ok {
		return k
	}
	k := http.CanonicalHeaderKey(name)
	if s.canonHeader == nil {
		s.canonHeader = map[string]string{}
	}
	if len(s.canonHeader) < 100 {
		s.canonHeader[name] = k
	}
	return k
}

// resetStream sends RST_STREAM.
func (s *h2Server) resetStream(id uint32, code http2.ErrCode) {
	s.control(func() { s.fr.WriteRSTStream(id, code) })
}

// runStream serves one stream and closes it.
func (s *h2Server) runStream(st *h2Stream) {
	stats := &s.c.srv.Stats
	stats.RequestStarted()
	stats.HeadRead()
	aborted := true
	defer func() {
		if recover() != nil {
			aborted = true // http.ErrAbortHandler: reset the stream
		}
		st.resp.finish(aborted)
		stats.RequestDone()
		s.streamDone(st)
	}()
	s.hc.ServeHTTP(&st.resp, st.req)
	aborted = false
}

// streamDone forgets a stream whose answer is sent; the last one out
// after a GOAWAY closes the connection.
func (s *h2Server) streamDone(st *h2Stream) {
	st.cancel()
	if b := st.body; b != nil && !b.ended() && !st.reset.Load() {
		// The answer is whole, the client still sending: it may stop
		// (RFC 9113 8.1).
		s.resetStream(st.id, http2.ErrCodeNo)
	}
	s.mu.Lock()
	delete(s.streams, st.id)
	s.active--
	last := s.active == 0 && s.goingAway
	if s.active == 0 {
		s.idleLocked()
	}
	s.mu.Unlock()
	if last {
		s.linger()
	}
}
