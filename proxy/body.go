package proxy

// body.go reads a client's request body for the upstream: buffered
// (proxy_request_buffering on, nginx's default) in memory up to
// client_body_buffer_size and in a temporary file beyond it, so it can be
// sent again to another peer; or streamed as it arrives.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
)

type bufferedBody struct {
	mem    []byte
	file   *os.File
	keep   bool // client_body_in_file_only on: the file stays
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
		if !b.keep {
			os.Remove(b.file.Name())
		}
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

// capture keeps a copy of a streamed body (proxy_request_buffering off)
// for $request_body: nginx still has it in memory once it has all been
// read, if it fit in client_body_buffer_size.
type capture struct {
	r      io.Reader
	rq     *httpcore.Request
	buf    []byte
	limit  int64
	length int64 // Content-Length, -1 for a chunked body
	n      int64
	done   bool // recorded, or too large to be
}

func (c *capture) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.done {
		return n, err
	}
	if c.n > c.limit {
		c.done, c.buf = true, nil
		return n, err
	}
	c.buf = append(c.buf, p[:n]...)
	if err == io.EOF || (c.length >= 0 && c.n == c.length) {
		c.done = true
		c.rq.SetRequestBody(c.buf)
	}
	return n, err
}

// buffered is what the engine's body reader can give without waiting.
type buffered interface{ Buffered() int }

func bufferedOf(r io.Reader) int {
	if b, ok := r.(buffered); ok {
		return b.Buffered()
	}
	return 0
}

func (l *limited) Buffered() int { return bufferedOf(l.r) }
func (c *capture) Buffered() int { return bufferedOf(c.r) }

// readBody prepares the request body; a non-zero status answers the
// request instead (413, 400, 408).
func readBody(rq *httpcore.Request, r *http.Request, buffer bool) (*bufferedBody, int) {
	core := &rq.Loc.Core
	max := *core.ClientMaxBodySize
	src := &limited{r: r.Body, max: max}
	limit := *core.ClientBodyBufferSize
	if pr, ok := r.Body.(interface{ Preread() int64 }); ok {
		// What came with the head stays in nginx's header buffer;
		// client_body_buffer_size is for the rest.
		limit += pr.Preread()
	}
	if !buffer {
		cp := &capture{r: src, rq: rq, limit: limit, length: r.ContentLength}
		return &bufferedBody{stream: cp, length: r.ContentLength}, 0
	}
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, src, limit+1)
	if err != nil && err != io.EOF {
		return nil, bodyErrStatus(err)
	}
	inFile := *core.ClientBodyInFileOnly
	if n <= limit && inFile == "off" {
		rq.SetRequestBody(buf.Bytes())
		return &bufferedBody{mem: buf.Bytes(), length: int64(buf.Len())}, 0
	}
	f, ferr := bodyTempFile(core.ClientBodyTempPath)
	if ferr != nil {
		if l, ok := rq.Eng.(httpcore.RequestLogger); ok {
			l.LogRequest(rq, confparse.LevelCrit, ferr.Error())
		}
		return nil, 500
	}
	if l, ok := rq.Eng.(httpcore.RequestLogger); ok {
		// nginx's tf->warn, at notice when the body is meant for a file.
		level := confparse.LevelWarn
		if inFile != "off" {
			level = confparse.LevelNotice
		}
		l.LogRequest(rq, level, "a client request body is buffered to a temporary file "+f.Name())
	}
	fail := func(status int) (*bufferedBody, int) {
		f.Close()
		os.Remove(f.Name())
		return nil, status
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return fail(500)
	}
	m, err := io.Copy(f, src)
	if err != nil {
		return fail(bodyErrStatus(err))
	}
	rq.SetRequestBodyFile(f.Name())
	return &bufferedBody{file: f, keep: inFile == "on", length: n + m}, 0
}

// tempNumber names temporary files, counted up from 1 as nginx's
// ngx_temp_number; a name taken (a kept body of an earlier run) is
// skipped.
var tempNumber atomic.Uint32

// bodyTempFile creates a file for a request body under client_body_temp_path:
// a ten-digit name in the level directories taken from its end
// ("levels 1 2": .../5/14/0000000145), made as needed.
func bodyTempFile(tp *confparse.TempPath) (*os.File, error) {
	for {
		name := fmt.Sprintf("%010d", tempNumber.Add(1))
		dir, end := tp.Dir, len(name)
		for _, l := range tp.Levels {
			dir = filepath.Join(dir, name[end-l:end])
			end -= l
		}
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0600)
		if errors.Is(err, fs.ErrNotExist) {
			if err = os.MkdirAll(dir, 0700); err == nil {
				f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0600)
			}
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open() \"%s\" failed (%s)", path, confparse.ErrnoText(err))
		}
		return f, nil
	}
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
