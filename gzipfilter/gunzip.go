package gzipfilter

// gunzip.go is ngx_http_gunzip_module: with "gunzip on", a response
// sent gzip-encoded (by an upstream, or gzip_static) is decompressed for
// a client that does not accept gzip, with nginx's header changes: no
// Content-Encoding, Content-Length or Accept-Ranges, a weak ETag, and
// "Vary: Accept-Encoding" under gzip_vary.
//
// Go's inflater pulls its input from a reader while a body filter is
// pushed to, so the inflater runs as a coroutine: it gets each written
// chunk and hands back what it decompressed, and the request's goroutine
// does all the writing to the client. Output is bounded by the client's
// pace, as nginx's gunzip_buffers bound it.

import (
	"compress/gzip"
	"errors"
	"io"
	"strings"

	"goproxy/httpcore"
)

// gunzip decides, at header time, whether to decompress.
func gunzip(rq *httpcore.Request) {
	if !*rq.Loc.Gzip.Gunzip {
		return
	}
	h := rq.Header()
	if !strings.EqualFold(h.Get("Content-Encoding"), "gzip") {
		return
	}
	rq.GzipVary = true
	if Accepts(rq) {
		return
	}
	delete(h, "Content-Encoding")
	delete(h, "Content-Length")
	delete(h, "Accept-Ranges")
	for _, k := range []string{"ETag", "Etag"} {
		if et := h[k]; len(et) == 1 && !strings.HasPrefix(et[0], "W/") {
			h[k] = []string{"W/" + et[0]}
		}
	}
	rq.AddBodyFilter(func(next io.Writer) io.Writer { return &inflater{rq: rq, next: next} })
}

// willGunzip tells the range filter the body will be rewritten.
func willGunzip(rq *httpcore.Request, status int) bool {
	return rq.Loc != nil && *rq.Loc.Gzip.Gunzip &&
		strings.EqualFold(rq.Header().Get("Content-Encoding"), "gzip") && !Accepts(rq)
}

// inflater is the body filter; its coroutine starts with the first
// byte of body.
type inflater struct {
	rq      *httpcore.Request
	next    io.Writer // the body filter chain below
	started bool
	hungry  bool // the coroutine waits for input
	closed  bool
	in      chan []byte
	out     chan []byte
	ack     chan struct{}
	need    chan struct{}
	done    chan error
	err     error // the client's write error, or a broken stream
	cur     []byte
}

var errInflate = errors.New("inflate() failed")

func (f *inflater) start() {
	f.started = true
	f.in, f.out = make(chan []byte), make(chan []byte)
	f.ack, f.need, f.done = make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		zr, err := gzip.NewReader(chunkReader{f})
		if err == nil {
			_, err = io.Copy(chunkWriter{f}, zr)
		}
		f.done <- err
	}()
}

// chunkReader is the coroutine's input: it asks for a chunk when it has
// used up the last one.
type chunkReader struct{ f *inflater }

func (r chunkReader) Read(b []byte) (int, error) {
	f := r.f
	if len(f.cur) == 0 {
		f.need <- struct{}{}
		c, ok := <-f.in
		if !ok {
			return 0, io.EOF
		}
		f.cur = c
	}
	n := copy(b, f.cur)
	f.cur = f.cur[n:]
	return n, nil
}

// chunkWriter hands decompressed bytes to the request's goroutine and
// waits until they are written.
type chunkWriter struct{ f *inflater }

func (w chunkWriter) Write(p []byte) (int, error) {
	w.f.out <- p
	<-w.f.ack
	return len(p), nil
}

// run forwards output until the coroutine wants input or ends; false
// when it ended.
func (f *inflater) run() bool {
	for !f.hungry {
		select {
		case o := <-f.out:
			if f.err == nil {
				if _, err := f.next.Write(o); err != nil {
					f.err = err
				}
			}
			f.ack <- struct{}{}
		case <-f.need:
			f.hungry = true
		case err := <-f.done:
			f.closed = true
			if err != nil && f.err == nil {
				f.err = errInflate
			}
			return false
		}
	}
	return true
}

func (f *inflater) Write(p []byte) (int, error) {
	if f.closed {
		// Bytes after the end of the stream are dropped.
		return len(p), f.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !f.started {
		f.start()
	}
	if !f.run() {
		return len(p), f.err
	}
	f.hungry = false
	f.in <- p
	// Wait until p is used up (or the stream ended), so the caller may
	// reuse it.
	f.run()
	return len(p), f.err
}

// Close ends the stream and writes what is left; a broken stream ends
// the connection, as nginx does.
func (f *inflater) Close() error {
	if !f.started {
		return nil
	}
	if !f.closed {
		close(f.in)
		for !f.closed {
			f.hungry = false
			f.run()
		}
	}
	if errors.Is(f.err, errInflate) {
		if a, ok := f.rq.W.(interface{ Abort(discard bool) }); ok {
			a.Abort(false)
		}
		if f.rq.Conn != nil {
			f.rq.Conn.KeepAlive = false
		}
	}
	return nil
}
