package httpd

import (
	"io"
	"net/http/httputil"
	"time"
)

// body reads a request body from the connection: a Content-Length body
// or a chunked one. Reading it first answers "Expect: 100-continue", as
// nginx does when a handler starts reading.
type body struct {
	c         *conn
	remaining int64 // Content-Length bytes left
	chunked   bool
	cr        io.Reader // chunked decoder
	expect    bool
	sawEOF    bool
	err       error
	// n counts bytes read (for $request_length).
	n int64
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
	var n int
	var err error
	if b.chunked {
		if b.cr == nil {
			b.cr = httputil.NewChunkedReader(b.c.br)
		}
		n, err = b.cr.Read(p)
		if err == io.EOF {
			b.sawEOF = true
			// The chunked reader stops after the last chunk; the trailer
			// section ends with an empty line.
			for {
				line, lerr := readLine(b.c.br, 8192)
				if lerr != nil {
					err = lerr
					break
				}
				if len(line) == 0 {
					break
				}
			}
			if err == io.EOF || err == nil {
				err = io.EOF
			}
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
