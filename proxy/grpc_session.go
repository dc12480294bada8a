package proxy

// grpc_session.go is the HTTP/2 side of an upstream connection of the
// gRPC module: the session kept with the connection (the framer, the
// header encoder, the windows), the request's frames out and the
// connection's own frames answered as they come.

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

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

// start is what nginx opens each connection with: the preface, its
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
