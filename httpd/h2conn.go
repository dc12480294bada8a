package httpd

// h2conn.go is the HTTP/2 connection loop: one goroutine reads frames
// (x/net/http2's Framer and hpack do the parsing), answers the control
// frames itself and starts a goroutine per stream for the handler.
// x/net's own server costs per request a reader, a serve loop, a handler
// goroutine, channel hand-offs for every frame and a write per frame;
// here a stream writes its frames into the connection's buffer under a
// lock and a small response leaves in one write (h2write.go).

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// nginx's connection window: it grants the largest one at once and tops
// it up when a quarter is left, so only stream windows pace a client.
const (
	h2MaxWindow     = 1<<31 - 1
	h2DefaultWindow = 65535
	h2DefaultFrame  = 16384
)

// h2Server is one HTTP/2 connection.
type h2Server struct {
	c   *conn
	hc  *h2Conn
	nc  net.Conn
	set H2Settings
	fr  *http2.Framer
	r   *bufio.Reader // nc, buffered
	rdl Deadline      // the idle wait's, moved by the reader and the last stream

	// wmu orders writes: frames go into bw, flushed by whoever needs
	// them on the wire.
	wmu    sync.Mutex
	bw     *bufio.Writer
	enc    *hpack.Encoder
	encBuf []byte // the HEADERS block being encoded
	wdl    Deadline
	werr   error

	// mu guards the streams and the windows; cond wakes writers waiting
	// for window and the close waiting for the streams.
	mu          sync.Mutex
	cond        sync.Cond
	streams     map[uint32]*h2Stream
	active      int
	maxID       uint32 // the highest stream the client opened
	goingAway   bool   // GOAWAY sent: no new streams
	closing     bool   // the connection is ending
	sendWindow  int64  // the client's connection window
	peerWindow  int64  // SETTINGS_INITIAL_WINDOW_SIZE, for new streams
	peerFrame   int    // SETTINGS_MAX_FRAME_SIZE
	recvWindow  int64  // what the client may still send on the connection
	streamRecv  int32  // the window each stream starts with
	canonHeader map[string]string
	lowerName   map[string]string // under wmu
	remote      string
}

func (c *conn) runH2(h H2Handler, set H2Settings, nc net.Conn) {
	// Streams keep no arrival order (arrival.go).
	c.info.Arrival.Settle()
	c.info.Arrival = nil
	hc := &h2Conn{srv: c.srv, h: h, base: c.info}
	s := &h2Server{c: c, hc: hc, nc: nc, set: set, streams: map[uint32]*h2Stream{},
		sendWindow: h2DefaultWindow, peerWindow: h2DefaultWindow, peerFrame: h2DefaultFrame,
		recvWindow: h2MaxWindow, streamRecv: set.InitialWindow}
	if s.streamRecv <= 0 {
		s.streamRecv = 1 << 20 // Go's default, as before
	}
	s.cond.L = &s.mu
	s.bw = bufio.NewWriterSize(nc, 16<<10)
	if pc, ok := nc.(*peekedConn); ok {
		s.r = pc.r
	} else {
		s.r = bufio.NewReaderSize(nc, 16<<10)
	}
	s.fr = http2.NewFramer(s.bw, s.r)
	s.fr.SetReuseFrames()
	s.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	s.fr.MaxHeaderListSize = 1 << 20
	s.enc = hpack.NewEncoder(writerFunc(func(p []byte) (int, error) {
		s.encBuf = append(s.encBuf, p...)
		return len(p), nil
	}))
	hc.goAway, hc.keepAliveOff = s.goAway, s.goAway
	s.remote = c.info.Remote.String()
	c.h2.Store(hc)
	if c.state.Load() == stateStop {
		return
	}
	c.state.Store(stateBusy)
	c.setState(http.StateActive)
	s.serve()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// serve reads frames until the connection ends.
func (s *h2Server) serve() {
	defer s.end()
	s.wmu.Lock()
	s.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: s.set.MaxConcurrentStreams},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: uint32(s.streamRecv)})
	s.fr.WriteWindowUpdate(0, h2MaxWindow-h2DefaultWindow)
	s.flushLocked()
	s.wmu.Unlock()
	s.mu.Lock()
	s.idleLocked()
	s.mu.Unlock()
	var pre [len(h2Preface)]byte
	if _, err := io.ReadFull(s.r, pre[:]); err != nil || string(pre[:]) != h2Preface {
		s.connError(http2.ErrCodeProtocol)
		return
	}
	for {
		// A client may not send PUSH_PROMISE: nginx ends the connection
		// on its 9-byte header, without waiting for the payload.
		if hdr, err := s.r.Peek(9); err == nil && http2.FrameType(hdr[3]) == http2.FramePushPromise {
			s.connError(http2.ErrCodeProtocol)
			return
		}
		f, err := s.fr.ReadFrame()
		if err != nil && !s.readError(err) || err == nil && !s.frame(f) {
			return
		}
	}
}

// readError answers a frame that could not be read: a stream's error (a
// bad field in a HEADERS block) resets the stream and the connection
// goes on; a protocol error ends the connection with nginx's GOAWAY, a
// connection gone or idle too long quietly.
func (s *h2Server) readError(err error) bool {
	var ce http2.ConnectionError
	var se http2.StreamError
	switch {
	case errors.As(err, &se):
		s.mu.Lock()
		s.maxID = max(s.maxID, se.StreamID)
		s.mu.Unlock()
		s.resetStream(se.StreamID, se.Code)
		return true
	case errors.As(err, &ce):
		s.connError(http2.ErrCode(ce))
	case errors.Is(err, http2.ErrFrameTooLarge):
		s.connError(http2.ErrCodeFrameSize)
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.connError(http2.ErrCodeNo)
	}
	return false
}

// frame handles one frame from the client; false ends the connection.
func (s *h2Server) frame(f http2.Frame) bool {
	switch f := f.(type) {
	case *http2.MetaHeadersFrame:
		return s.headers(f)
	case *http2.DataFrame:
		return s.data(f)
	case *http2.SettingsFrame:
		return s.settings(f)
	case *http2.WindowUpdateFrame:
		return s.windowUpdate(f)
	case *http2.PingFrame:
		if !f.IsAck() {
			s.control(func() { s.fr.WritePing(true, f.Data) })
		}
	case *http2.RSTStreamFrame:
		s.mu.Lock()
		st, idle := s.streams[f.StreamID], f.StreamID > s.maxID
		s.mu.Unlock()
		if idle {
			s.connError(http2.ErrCodeProtocol)
			return false
		}
		if st != nil {
			st.peerReset()
		}
	case *http2.PushPromiseFrame, *http2.ContinuationFrame:
		s.connError(http2.ErrCodeProtocol)
		return false
	}
	// PRIORITY is advice nginx 1.22 does not take; a GOAWAY from the
	// client needs no answer (it closes).
	return true
}

// settings applies the client's SETTINGS, all of them before any
// stream writes by the new values, and acknowledges them.
func (s *h2Server) settings(f *http2.SettingsFrame) bool {
	if f.IsAck() {
		return true
	}
	if err := f.ForeachSetting(func(st http2.Setting) error { return st.Valid() }); err != nil {
		var ce http2.ConnectionError
		code := http2.ErrCodeProtocol
		if errors.As(err, &ce) {
			code = http2.ErrCode(ce)
		}
		s.connError(code)
		return false
	}
	s.mu.Lock()
	overflow := false
	f.ForeachSetting(func(st http2.Setting) error {
		switch st.ID {
		case http2.SettingInitialWindowSize:
			d := int64(st.Val) - s.peerWindow
			s.peerWindow = int64(st.Val)
			for _, x := range s.streams {
				x.sendWindow += d
				overflow = overflow || x.sendWindow > h2MaxWindow
			}
		case http2.SettingMaxFrameSize:
			s.peerFrame = int(st.Val)
		case http2.SettingHeaderTableSize:
			s.wmu.Lock()
			s.enc.SetMaxDynamicTableSize(st.Val)
			s.wmu.Unlock()
		}
		return nil
	})
	s.cond.Broadcast()
	s.mu.Unlock()
	if overflow {
		s.connError(http2.ErrCodeFlowControl)
		return false
	}
	s.control(func() { s.fr.WriteSettingsAck() })
	return true
}

// control writes a frame of the reader's and sends it at once, with
// whatever the streams left in the buffer.
func (s *h2Server) control(write func()) {
	s.wmu.Lock()
	write()
	s.flushLocked()
	s.wmu.Unlock()
}

// flushLocked sends the buffer, within send_timeout; a write that
// fails or times out ends the connection.
func (s *h2Server) flushLocked() {
	if s.werr != nil || s.bw.Buffered() == 0 {
		return
	}
	s.wdl.Set(s.nc.SetWriteDeadline, time.Now(), s.set.SendTimeout)
	if err := s.bw.Flush(); err != nil {
		s.werr = err
		s.nc.Close()
	}
}

// connError ends the connection with a GOAWAY carrying code.
func (s *h2Server) connError(code http2.ErrCode) {
	s.mu.Lock()
	last := s.maxID
	s.goingAway = true
	s.mu.Unlock()
	s.control(func() { s.fr.WriteGoAway(last, code, nil) })
	s.linger()
}

// goAway asks the client to open no more streams (a reload, a server
// stop, keepalive_requests): those open finish, then the connection
// closes.
func (s *h2Server) goAway() {
	s.mu.Lock()
	if s.goingAway {
		s.mu.Unlock()
		return
	}
	s.goingAway = true
	last, idle := s.maxID, s.active == 0
	s.mu.Unlock()
	s.control(func() { s.fr.WriteGoAway(last, http2.ErrCodeNo, nil) })
	if idle {
		s.linger()
	}
}

// h2Linger is how long a closing connection still reads (nginx's
// lingering_timeout).
const h2Linger = 5 * time.Second

// linger ends the connection once what was written is sent: the write
// side closes and the reader drops what the client still sends until
// it closes too, as nginx's lingering close does; closing at once with
// unread bytes would reset the connection and lose the last answer.
func (s *h2Server) linger() {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.closing = true
	s.cond.Broadcast()
	s.mu.Unlock()
	s.wmu.Lock()
	s.flushLocked()
	if s.werr == nil {
		s.werr = net.ErrClosed
	}
	s.bw.Reset(io.Discard)
	s.wmu.Unlock()
	if tc, ok := s.nc.(*tls.Conn); ok {
		tc.CloseWrite() // close_notify
	}
	if cw, ok := s.c.raw.(interface{ CloseWrite() error }); !ok || cw.CloseWrite() != nil {
		s.nc.Close()
		return
	}
	s.nc.SetReadDeadline(time.Now().Add(h2Linger))
}

// idleLocked arms keepalive_timeout while no stream is open, and
// disarms it while one is.
func (s *h2Server) idleLocked() {
	if s.closing {
		return
	}
	d := s.set.IdleTimeout
	if s.active > 0 {
		d = 0
	} else if d <= 0 {
		d = 75 * time.Second
	}
	s.rdl.Set(s.nc.SetReadDeadline, time.Now(), d)
}

// end runs when the reader stops: the connection is gone, so are its
// streams (their contexts end, their bodies fail).
func (s *h2Server) end() {
	s.mu.Lock()
	s.closing = true
	for _, st := range s.streams {
		st.peerReset()
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	s.nc.Close()
}
