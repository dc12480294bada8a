package proxy

// body.go reads a client's request body for the upstream: buffered
// (proxy_request_buffering on, nginx's default) in memory up to
// client_body_buffer_size and in a temporary file beyond it, so it can be
// sent again to another peer; or streamed as it arrives.

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"

	"goproxy/httpcore"
	"goproxy/httpd"
)

type bufferedBody struct {
	mem    []byte
	file   *os.File
	stream io.Reader
	length int64 // -1: unknown (streamed chunked body)
}

// reader returns the body from its start.
func (b *bufferedBody) reader() io.Reader {
	switch {
	case b.mem != nil:
		return bytes.NewReader(b.mem)
	case b.file != nil:
		b.file.Seek(0, io.SeekStart)
		return io.LimitReader(b.file, b.length)
	}
	return b.stream
}

func (b *bufferedBody) close() {
	if b.file != nil {
		b.file.Close()
		os.Remove(b.file.Name())
	}
}

var errTooLarge = errors.New("client intended to send too large body")

// limited fails once more than max bytes were read (max 0: no limit).
type limited struct {
	r   io.Reader
	n   int64
	max int64
}

func (l *limited) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.max > 0 && l.n > l.max {
		return n, errTooLarge
	}
	return n, err
}

// readBody prepares the request body; a non-zero status answers the
// request instead (413, 400, 408).
func readBody(rq *httpcore.Request, r *http.Request, buffer bool) (*bufferedBody, int) {
	max := *rq.Loc.Core.ClientMaxBodySize
	src := &limited{r: r.Body, max: max}
	if !buffer {
		return &bufferedBody{stream: src, length: r.ContentLength}, 0
	}
	limit := *rq.Loc.Core.ClientBodyBufferSize
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, src, limit+1)
	if err != nil && err != io.EOF {
		return nil, bodyErrStatus(err)
	}
	if n <= limit {
		rq.RequestBody = buf.Bytes()
		return &bufferedBody{mem: buf.Bytes(), length: int64(buf.Len())}, 0
	}
	f, ferr := os.CreateTemp("", "goproxy-body-")
	if ferr != nil {
		return nil, 500
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 500
	}
	m, err := io.Copy(f, src)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, bodyErrStatus(err)
	}
	return &bufferedBody{file: f, length: n + m}, 0
}

func bodyErrStatus(err error) int {
	var se *httpd.StatusError
	switch {
	case errors.As(err, &se): // a chunked body refused by the engine
		return se.Status
	case errors.Is(err, errTooLarge):
		return 413
	case isTimeout(err):
		return 408
	}
	return 400
}
