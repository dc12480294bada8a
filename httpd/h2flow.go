package httpd

// h2flow.go is HTTP/2 flow control both ways: the client's windows,
// which pace the DATA a stream sends (h2write.go waits on them), and
// ours, which bound a request body: a stream may send
// http2_body_preread_size ahead of what the handler read, and is given
// room back (WINDOW_UPDATE) as the handler reads.

import (
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

// windowUpdate grows a window of the client's.
func (s *h2Server) windowUpdate(f *http2.WindowUpdateFrame) bool {
	inc := int64(f.Increment)
	s.mu.Lock()
	if f.StreamID == 0 {
		s.sendWindow += inc
		over := s.sendWindow > h2MaxWindow
		s.cond.Broadcast()
		s.mu.Unlock()
		if over {
			s.connError(http2.ErrCodeFlowControl)
			return false
		}
		return true
	}
	st, idle := s.streams[f.StreamID], f.StreamID > s.maxID
	over := false
	if st != nil {
		st.sendWindow += inc
		over = st.sendWindow > h2MaxWindow
		s.cond.Broadcast()
	}
	s.mu.Unlock()
	switch {
	case idle:
		s.connError(http2.ErrCodeProtocol)
		return false
	case over:
		st.peerReset()
		s.resetStream(f.StreamID, http2.ErrCodeFlowControl)
	}
	return true
}

// takeWindow waits until the client's windows let the stream send some
// of n bytes and takes what it may, at most a frame (chunk: the
// stream's http2_chunk_size, 0 for none); 0 when the stream
// or the connection ended. send_timeout bounds the wait, as nginx's
// timer on a stream blocked by flow control: then the stream is reset
// (h2Stream.timedOut).
func (s *h2Server) takeWindow(st *h2Stream, n int, chunk int64) int {
	s.mu.Lock()
	var timer *time.Timer
	expired := false
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		s.mu.Unlock()
		if expired {
			st.timedOut()
		}
	}()
	for {
		if expired || st.reset.Load() || s.closing {
			return 0
		}
		if w := min(s.sendWindow, st.sendWindow); w > 0 {
			k := min(int64(n), w, s.frameLocked(chunk))
			s.sendWindow -= k
			st.sendWindow -= k
			return int(k)
		}
		// The client must see what was sent to open its window.
		s.mu.Unlock()
		s.wmu.Lock()
		s.flushLocked()
		s.wmu.Unlock()
		s.mu.Lock()
		if st.reset.Load() || s.closing || min(s.sendWindow, st.sendWindow) > 0 {
			continue
		}
		if timer == nil && s.set.SendTimeout > 0 {
			timer = time.AfterFunc(s.set.SendTimeout, func() {
				s.mu.Lock()
				expired = true
				s.cond.Broadcast()
				s.mu.Unlock()
			})
		}
		s.cond.Wait()
	}
}

// frameLocked is the largest DATA frame: the client's
// SETTINGS_MAX_FRAME_SIZE, or chunk when smaller. The caller holds s.mu.
func (s *h2Server) frameLocked(chunk int64) int64 {
	f := int64(s.peerFrame)
	if chunk > 0 {
		f = min(f, chunk)
	}
	return f
}

// data passes a DATA frame's payload to its stream's body.
func (s *h2Server) data(f *http2.DataFrame) bool {
	id, n := f.StreamID, int64(f.Length)
	s.mu.Lock()
	st, idle := s.streams[id], id > s.maxID
	s.recvWindow -= n
	over := s.recvWindow < 0
	var grant int64
	if s.recvWindow < h2MaxWindow/4 {
		grant = h2MaxWindow - s.recvWindow
		s.recvWindow = h2MaxWindow
	}
	s.mu.Unlock()
	switch {
	case idle:
		s.connError(http2.ErrCodeProtocol)
		return false
	case over:
		s.connError(http2.ErrCodeFlowControl)
		return false
	}
	if grant > 0 {
		s.control(func() { s.fr.WriteWindowUpdate(0, uint32(grant)) })
	}
	if st == nil || st.reset.Load() {
		if st == nil {
			s.resetStream(id, http2.ErrCodeStreamClosed)
		}
		return true
	}
	b := st.body
	if b == nil || b.ended() {
		s.resetStream(id, http2.ErrCodeStreamClosed)
		return true
	}
	if code := b.put(f.Data(), n, f.StreamEnded()); code != http2.ErrCodeNo {
		st.peerReset()
		s.resetStream(id, code)
	}
	return true
}

// h2Body is a request body as it arrives.
type h2Body struct {
	st   *h2Stream
	mu   sync.Mutex
	cond sync.Cond
	buf  []byte // received, not read
	err  error  // io.EOF after END_STREAM, errStreamAborted after a reset
	// window is what the stream may send ahead; left what it still may;
	// unacked what the handler read and the client was not given back.
	window, left, unacked int32
	closed                bool // the handler closed the body
	// timeout is the stream's client_body_timeout, as its handler set
	// it (h2Conn.ServeHTTP points it at the stream's Conn).
	timeout       *time.Duration
	declared, got int64 // content-length (-1: none), bytes received
	done          bool  // END_STREAM seen
}

// put adds a DATA frame's payload (n bytes with padding); the code is
// the stream's error, if any.
func (b *h2Body) put(p []byte, n int64, end bool) http2.ErrCode {
	b.mu.Lock()
	if n > int64(b.left) {
		b.mu.Unlock()
		return http2.ErrCodeFlowControl
	}
	b.left -= int32(n)
	b.got += int64(len(p))
	if b.declared >= 0 && (b.got > b.declared || end && b.got != b.declared) {
		b.mu.Unlock()
		return http2.ErrCodeProtocol
	}
	// Padding, and what a closed body drops, is room given back at once.
	back := int32(n) - int32(len(p))
	if b.closed {
		back = int32(n)
	} else {
		b.buf = append(b.buf, p...)
	}
	if end {
		b.done = true
		if b.err == nil {
			b.err = io.EOF
		}
	}
	b.cond.Broadcast()
	b.mu.Unlock()
	if back > 0 && !end {
		b.giveBack(back)
	}
	return http2.ErrCodeNo
}

// giveBack returns room to the client.
func (b *h2Body) giveBack(n int32) {
	b.mu.Lock()
	b.left += n
	b.mu.Unlock()
	s := b.st.s
	s.control(func() { s.fr.WriteWindowUpdate(b.st.id, uint32(n)) })
}

func (b *h2Body) Read(p []byte) (int, error) {
	b.mu.Lock()
	var timer *time.Timer
	for len(b.buf) == 0 && b.err == nil {
		if timer == nil && b.timeout != nil && *b.timeout > 0 {
			timer = time.AfterFunc(*b.timeout, b.timedOut)
			defer timer.Stop()
		}
		b.cond.Wait()
	}
	if len(b.buf) == 0 {
		err := b.err
		b.mu.Unlock()
		return 0, err
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	if len(b.buf) == 0 {
		b.buf = nil
	}
	var back int32
	if !b.done {
		b.unacked += int32(n)
		if b.unacked >= b.window/2 || len(b.buf) == 0 && b.left == 0 {
			back, b.unacked = b.unacked, 0
		}
	}
	b.mu.Unlock()
	if back > 0 {
		b.giveBack(back)
	}
	return n, nil
}

// Close drops what is unread; what comes after is dropped too.
func (b *h2Body) Close() error {
	b.mu.Lock()
	back := int32(len(b.buf)) + b.unacked
	b.buf, b.unacked, b.closed = nil, 0, true
	done := b.done
	if b.err == nil {
		b.err = http.ErrBodyReadAfterClose
	}
	// A read waiting in another goroutine (a proxy's body sender) ends.
	b.cond.Broadcast()
	b.mu.Unlock()
	if back > 0 && !done {
		b.giveBack(back)
	}
	return nil
}

// timedOut is client_body_timeout passing with no DATA: the stream is
// reset (h2Stream.timedOut) and the read fails as a connection's read
// past its deadline does. The error is set without a broadcast: the
// reader wakes with peerReset's, after the reset is sent.
func (b *h2Body) timedOut() {
	b.mu.Lock()
	if b.err != nil || len(b.buf) > 0 {
		b.mu.Unlock()
		return
	}
	b.err = os.ErrDeadlineExceeded
	b.mu.Unlock()
	b.st.timedOut()
}

// fail makes reads fail: the stream was reset or the connection went.
func (b *h2Body) fail(err error) {
	b.mu.Lock()
	if b.err == nil || b.err == io.EOF && len(b.buf) > 0 {
		b.err = err
	}
	b.cond.Broadcast()
	b.mu.Unlock()
}

// end is END_STREAM on a HEADERS frame (trailers).
func (b *h2Body) end() {
	b.mu.Lock()
	b.done = true
	if b.err == nil {
		b.err = io.EOF
	}
	b.cond.Broadcast()
	b.mu.Unlock()
}

func (b *h2Body) ended() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.done
}
