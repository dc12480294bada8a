package proxy

// grpc_body.go is the response body of a gRPC stream: its DATA as it is
// read, the upstream's trailers at its end, and what decides whether the
// connection may serve the next stream.

import (
	"bufio"
	"errors"
	"io"

	"golang.org/x/net/http2"
)

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
