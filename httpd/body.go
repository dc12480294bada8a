package httpd

import (
	"errors"
	"io"
	"strconv"
	"sync/atomic"
	"time"
)

// body reads a request body from the connection: a Content-Length body
// or a chunked one. Reading it first answers "Expect: 100-continue", as
// nginx does when a handler starts reading.
type body struct {
	c         *conn
	remaining int64 // Content-Length bytes left
	chunked   bool
	dec       Chunked
	expect    bool
	sawEOF    bool
	err       error
	// n counts bytes read (for $request_length).
	n int64
	// preread is how much of a Content-Length body came with the head
	// and fit in nginx's header buffer after it.
	preread int64
	// interrupted: Interrupt was called, reads fail.
	interrupted atomic.Bool
}

func (b *body) reset(c *conn) {
	*b = body{c: c}
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.sawEOF {
		return 0, io.EOF
	}
	if b.expect {
		b.expect = false
		if !b.c.resp.wroteHeader {
			b.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
			b.c.bw.Flush()
		}
	}
	if t := b.c.info.BodyTimeout; t > 0 {
		b.c.rdl.Set(b.c.nc.SetReadDeadline, time.Now(), t)
	}
	if b.interrupted.Load() {
		// Checked after the deadline is set: Interrupt's own deadline
		// then wins over it.
		return 0, errInterrupted
	}
	var n int
	var err error
	if b.chunked {
		n, err = b.dec.Decode(b.c.br, p)
		if err == io.EOF {
			b.sawEOF = true
		} else if err != nil {
			err = chunkedStatus(err)
		}
	} else {
		if b.remaining <= 0 {
			b.sawEOF = true
			return 0, io.EOF
		}
		if int64(len(p)) > b.remaining {
			p = p[:b.remaining]
		}
		n, err = b.c.br.Read(p)
		b.remaining -= int64(n)
		if b.remaining == 0 {
			b.sawEOF = true
			if err == nil {
				err = io.EOF
			}
		} else if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	}
	b.n += int64(n)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func (b *body) Close() error { return nil }

var errInterrupted = errors.New("request body read interrupted")

// Interrupt ends a read of the body in progress, and any later one, at
// once: a proxy that streams the body upstream from a goroutine of its
// own (gRPC) and whose upstream has answered in full stops it there, as
// nginx stops reading, before its handler returns. The connection is
// not kept, as what is left of the body is not read.
func (b *body) Interrupt() {
	b.c.resp.closeAfter = true
	b.interrupted.Store(true)
	b.c.nc.SetReadDeadline(time.Now())
}

// Preread is how much of the body nginx would have read with the head,
// in the room its header buffer had left: nginx keeps that part in the
// header buffer, so a body in memory may be that much longer than
// client_body_buffer_size.
func (b *body) Preread() int64 { return b.preread }

// Buffered is how much of a Content-Length body can be read now without
// waiting for the client (what came with the head, or since): a proxy
// sends that much with the request head, as nginx sends its preread.
func (b *body) Buffered() int {
	if b.chunked || b.expect || b.sawEOF || b.err != nil {
		return 0
	}
	return int(min(int64(b.c.br.Buffered()), b.remaining))
}

// SetMaxSize is client_max_body_size for a chunked body, set by the
// handler from the location that reads it: a chunk that would take the
// body past it is refused (413) when its size arrives, before its data,
// as nginx does. A Content-Length body is judged by its header instead.
func (b *body) SetMaxSize(n int64) { b.dec.Max = n }

// chunkedStatus turns the decoder's refusals into nginx's answers.
func chunkedStatus(err error) error {
	var big *ChunkTooLarge
	switch {
	case errors.Is(err, ErrChunked):
		return errBadChunked
	case errors.As(err, &big):
		return &StatusError{413, "client intended to send too large chunked body: " +
			strconv.FormatInt(big.Read, 10) + "+" + strconv.FormatInt(big.Size, 10) + " bytes"}
	}
	return err
}

// drain reads and drops what is left of the body, up to max bytes; it
// reports whether the connection is still usable.
func (b *body) drain(max int64) bool {
	if b.c == nil || b.sawEOF || (b.remaining == 0 && !b.chunked) {
		return b.err == nil
	}
	if b.expect {
		// The client waits for 100-continue that never came: the body
		// will not follow, so nothing needs draining, but the state is
		// unknown; close.
		return false
	}
	n, err := io.CopyN(io.Discard, b, max+1)
	if err == io.EOF {
		return true
	}
	return err == nil && n <= max
}
