package httpcore

// background.go is nginx's background subrequest
// (NGX_HTTP_SUBREQUEST_BACKGROUND | NGX_HTTP_SUBREQUEST_CLONE), which
// the cache's *_cache_background_update makes: a copy of a request that
// runs its location's content handler again once the client has its
// response, its own output dropped. nginx holds the client's connection
// until it is done (the next request on it waits, and a "Connection:
// close" one closes after it); goproxy does the same over HTTP/1.

import (
	"context"
	"io"
	"maps"
	"net/http"
	"slices"
)

// Main is the client's request a subrequest was made for (itself for a
// main request).
func (rq *Request) Main() *Request {
	for rq.Parent != nil {
		rq = rq.Parent
	}
	return rq
}

// AddBackground has run called once the main request's response is
// complete.
func (rq *Request) AddBackground(run func()) {
	m := rq.Main()
	m.background = append(m.background, run)
}

// RunBackground completes the response and runs what AddBackground
// left: in the connection's goroutine when the writer can end the
// response before its handler returns (HTTP/1), else on its own.
func (rq *Request) RunBackground() {
	if len(rq.background) == 0 {
		return
	}
	runs := rq.background
	rq.background = nil
	f, ok := rq.W.(interface{ Finish() })
	if !ok {
		rq.Flush()
		go func() {
			for _, run := range runs {
				run()
			}
		}()
		return
	}
	f.Finish()
	for _, run := range runs {
		run()
	}
}

// CloneBackground is a copy of rq for its content handler to run again
// in the background: the same method, headers, URI, arguments,
// location and captures, copies of its variables, a request body it
// does not read, no response yet and a writer that drops it. Its
// context is not cancelled with the client's connection.
func (rq *Request) CloneBackground() *Request {
	r := rq.R.Clone(context.WithoutCancel(rq.R.Context()))
	r.Body, r.ContentLength = http.NoBody, 0
	c := &Request{W: NewDiscardWriter(nil), R: r, Cfg: rq.Cfg, Eng: rq.Eng, Vars: rq.Vars,
		Server: rq.Server, Loc: rq.Loc, Location: rq.Location, LocName: rq.LocName, ProxyContent: rq.ProxyContent,
		URI: rq.URI, Args: rq.Args, Internal: rq.Internal, URIChanged: rq.URIChanged, Rewritten: rq.Rewritten,
		ReadBodyLength: rq.ReadBodyLength, BodyRead: rq.BodyRead, AddURIToAlias: rq.AddURIToAlias,
		Start: rq.Start, Host: rq.Host, HostOK: rq.HostOK,
		CapSrc: rq.CapSrc, Caps: slices.Clone(rq.Caps), Named: maps.Clone(rq.Named), Set: maps.Clone(rq.Set),
		DocRoot: rq.DocRoot, Filename: rq.Filename, RealIPFrom: rq.RealIPFrom, requestID: rq.Main().requestID}
	if rq.Conn != nil {
		// The copy's location must not change the client connection's
		// settings (keep-alive, timeouts) once the client is done.
		conn := *rq.Conn
		c.Conn = &conn
	}
	if c.Set == nil {
		c.Set = map[string]string{}
	}
	if b := rq.requestBody.Load(); b != nil {
		c.requestBody.Store(b)
	}
	if f := rq.requestBodyFile.Load(); f != nil {
		c.requestBodyFile.Store(f)
	}
	return c
}

// EndBackground finishes a background copy's output once its handler
// returned.
func (rq *Request) EndBackground() {
	rq.CloseBody()
	for _, f := range rq.Release {
		f()
	}
}

// DiscardWriter is the response of a request nobody reads (a
// subrequest, a background update): the header is kept, the body
// dropped (nginx's header_only subrequest) or written to body.
type DiscardWriter struct {
	header http.Header
	status int
	body   io.Writer
}

// NewDiscardWriter makes a response whose body goes to body (nil:
// dropped).
func NewDiscardWriter(body io.Writer) *DiscardWriter {
	return &DiscardWriter{header: make(http.Header, 4), body: body}
}

func (w *DiscardWriter) Header() http.Header  { return w.header }
func (w *DiscardWriter) WriteHeader(code int) { w.status = code }

// Status is the status written.
func (w *DiscardWriter) Status() int { return w.status }

func (w *DiscardWriter) Write(p []byte) (int, error) {
	if w.body != nil {
		return w.body.Write(p)
	}
	return len(p), nil
}

// ReadFrom drops a file body without reading it, or copies it to body.
func (w *DiscardWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.body != nil {
		return io.Copy(w.body, r)
	}
	return 0, nil
}
