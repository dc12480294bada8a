package proxy

// fastcgi.go is the FastCGI wire (ngx_http_fastcgi_module): a request is
// a BEGIN_REQUEST record (the responder role, FCGI_KEEP_CONN with
// fastcgi_keep_conn), the parameters as PARAMS records and the body as
// STDIN records; the answer is STDOUT records holding a CGI response
// (a head of header lines, Status: giving the status, then the body),
// STDERR records logged as nginx logs them, and END_REQUEST.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"goproxy/confparse"
)

// FastCGI record types.
const (
	fcgiBeginRequest = 1
	fcgiEndRequest   = 3
	fcgiParams       = 4
	fcgiStdin        = 5
	fcgiStdout       = 6
	fcgiStderr       = 7
)

// fcgiMaxRecord is the largest record nginx writes: its content length
// is 16 bits, and nginx keeps each to 32 KB.
const fcgiMaxRecord = 32768

type fastcgiWire struct{ conf *confparse.FastCGILoc }

// fcgiWriter writes records of request 1, padded to 8 bytes as nginx
// pads them, and counts what it wrote.
type fcgiWriter struct {
	w *bufio.Writer
	n int64
}

var fcgiPadding [8]byte

func (f *fcgiWriter) record(typ byte, content []byte) {
	pad := (8 - len(content)%8) % 8
	h := [8]byte{1, typ, 0, 1, byte(len(content) >> 8), byte(len(content)), byte(pad), 0}
	f.w.Write(h[:])
	f.w.Write(content)
	f.w.Write(fcgiPadding[:pad])
	f.n += int64(8 + len(content) + pad)
}

// stream writes data as records of one type, without its end.
func (f *fcgiWriter) stream(typ byte, data []byte) {
	for len(data) > 0 {
		n := min(len(data), fcgiMaxRecord)
		f.record(typ, data[:n])
		data = data[n:]
	}
}

// appendFCGIPair encodes a name-value pair: each length in one byte
// below 128, else in four with the high bit set.
func appendFCGIPair(b []byte, name, value string) []byte {
	for _, n := range []int{len(name), len(value)} {
		if n < 128 {
			b = append(b, byte(n))
		} else {
			b = binary.BigEndian.AppendUint32(b, uint32(n)|1<<31)
		}
	}
	b = append(b, name...)
	return append(b, value...)
}

func (w *fastcgiWire) exchange(h *handler, st *state, c *upConn, a *attempt) (*http.Response, error) {
	c.wdl.Set(c.nc.SetWriteDeadline, time.Now(), a.sendTO)
	fw := &fcgiWriter{w: c.bw}
	var flags byte
	if *w.conf.KeepConn {
		flags = 1
	}
	fw.record(fcgiBeginRequest, []byte{0, 1, flags, 0, 0, 0, 0, 0})
	var enc []byte
	for _, p := range cgiParams(st, &w.conf.CGIUpstream) {
		enc = appendFCGIPair(enc, p.name, p.value)
	}
	fw.stream(fcgiParams, enc)
	fw.record(fcgiParams, nil)
	err := writeCGIBody(c, a, func(p []byte) { fw.stream(fcgiStdin, p) })
	if err == nil {
		fw.record(fcgiStdin, nil)
		err = c.bw.Flush()
	}
	a.bytesSent = fw.n
	a.sentRequest = true
	if err != nil {
		a.sendFailed = true
		return nil, err
	}
	rq := st.rq
	upstream := st.scheme + "://" + c.peer.addr
	fr := &fcgiReader{br: c.br}
	fr.stderr = func(msg []byte) error {
		// nginx drops the message's trailing newlines, dots and spaces.
		s := strings.TrimRight(string(msg), "\r\n. ")
		phase := " while reading response header from upstream"
		if fr.body {
			phase = " while reading upstream"
		}
		h.c.errs.RequestUpstream(rq, confparse.LevelError, "FastCGI sent in stderr: \""+s+"\""+phase, upstream)
		for _, pat := range w.conf.CatchStderr {
			if strings.Contains(string(msg), pat) {
				return errCaughtStderr
			}
		}
		return nil
	}
	c.rdl.Set(c.nc.SetReadDeadline, time.Now(), a.readTO)
	resp, err := readCGIHead(fr, a)
	if err != nil {
		return nil, err
	}
	fr.body = true
	resp.Close = !*w.conf.KeepConn
	if a.req.Method == http.MethodHead {
		// nginx does not read the body of a HEAD: the connection,
		// with the rest of the response in it, is not reused.
		resp.Body, resp.Close = http.NoBody, true
	}
	resp.Request = a.req
	return resp, nil
}

var errCaughtStderr = &headError{"upstream sent invalid header"}

// writeCGIBody sends the request body (held or streamed) through put,
// moving the send timeout between writes as nginx does.
func writeCGIBody(c *upConn, a *attempt, put func([]byte)) error {
	switch {
	case a.body != nil:
		put(a.body)
	case a.stream != nil:
		// The head goes at once, each piece of the body as it comes
		// (*_request_buffering off).
		if err := c.bw.Flush(); err != nil {
			return err
		}
		buf := make([]byte, 32<<10)
		for {
			n, err := a.stream.Read(buf)
			if n > 0 {
				c.wdl.Set(c.nc.SetWriteDeadline, time.Now(), a.sendTO)
				put(buf[:n])
				if ferr := c.bw.Flush(); ferr != nil {
					return ferr
				}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// fcgiReader reads the STDOUT stream of a response; STDERR records go
// to stderr, END_REQUEST ends the stream.
type fcgiReader struct {
	br     *bufio.Reader
	rest   int // content left in the current STDOUT record
	pad    int
	done   bool
	body   bool // the head has been read
	stderr func([]byte) error
}

func (r *fcgiReader) Read(p []byte) (int, error) {
	for r.rest == 0 {
		if r.done {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n, err := r.br.Read(p[:min(len(p), r.rest)])
	r.rest -= n
	if err == nil && r.rest == 0 && r.pad > 0 {
		_, err = r.br.Discard(r.pad)
		r.pad = 0
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// next reads record headers up to the next STDOUT content or the end.
func (r *fcgiReader) next() error {
	if r.pad > 0 {
		if _, err := r.br.Discard(r.pad); err != nil {
			return unexpected(err)
		}
		r.pad = 0
	}
	var h [8]byte
	if _, err := io.ReadFull(r.br, h[:]); err != nil {
		return unexpected(err)
	}
	if h[0] != 1 {
		return &headError{fmt.Sprintf("upstream sent unsupported FastCGI protocol version: %d", h[0])}
	}
	n, pad := int(h[4])<<8|int(h[5]), int(h[6])
	switch h[1] {
	case fcgiStdout:
		r.rest, r.pad = n, pad
		return nil
	case fcgiStderr:
		msg := make([]byte, n)
		if _, err := io.ReadFull(r.br, msg); err != nil {
			return unexpected(err)
		}
		r.pad = pad
		if n > 0 && r.stderr != nil {
			return r.stderr(msg)
		}
		return nil
	case fcgiEndRequest:
		if _, err := r.br.Discard(n + pad); err != nil {
			return unexpected(err)
		}
		r.done = true
		return nil
	}
	return &headError{fmt.Sprintf("upstream sent invalid FastCGI record type: %d", h[1])}
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
