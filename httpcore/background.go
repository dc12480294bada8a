package httpcore

// background.go is nginx's background subrequests, of two kinds:
//   - the mirror module's start during the main request and run beside
//     it (Beside), each on a snapshot of the main request so neither
//     writes what the other reads;
//   - the cache's *_cache_background_update (NGX_HTTP_SUBREQUEST_CLONE)
//     is a copy of the request that runs its location's content handler
//     again once the client has its response (AfterResponse), its own
//     output dropped.
// Both are started by Background and ended by EndBackground: the main
// request ends — is logged, leaves its connection to the next request —
// once they are done.
// nginx holds the client's connection until both are done (the next
// request on it waits); goproxy does the same over HTTP/1.

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

// When says when a request's background work runs.
type When uint8

const (
	// Beside starts at once and runs beside the request, on a snapshot
	// of it that f may hand to the engine as a subrequest's parent (the
	// mirror module).
	Beside When = iota
	// AfterResponse runs once the client has the whole response, on a
	// copy of the request that is a request of its own (see
	// cloneBackground): the cache's background update.
	AfterResponse
)

// Background has f run as the main request's background work, when
// says when; the main request ends (EndBackground) once it is done.
func (rq *Request) Background(when When, f func(bg *Request)) {
	m := rq.Main()
	if when == AfterResponse {
		c := rq.cloneBackground()
		m.afterResponse = append(m.afterResponse, func() {
			f(c)
			c.CloseBody()
			for _, f := range c.Release {
				f()
			}
		})
		return
	}
	snap := rq.snapshot()
	m.backgrounds++
	m.background.Add(1)
	go func() {
		defer m.background.Done()
		f(snap)
	}()
}

// EndBackground is the one place a main request's background work is
// run and waited for, once its handler returned: when there is some,
// the response to the client is completed first, then the work after
// the response runs and the work beside it is waited for. Both in the
// connection's goroutine when the writer can end the response before
// its handler returns (HTTP/1), so the next request on the connection
// waits as in nginx; otherwise (HTTP/2) the response is flushed and the
// work after it runs on its own.
func (rq *Request) EndBackground() {
	if rq.backgrounds == 0 && len(rq.afterResponse) == 0 {
		return
	}
	runs := rq.afterResponse
	rq.afterResponse, rq.backgrounds = nil, 0
	if f, ok := rq.W.(interface{ Finish() }); ok {
		f.Finish()
		for _, run := range runs {
			run()
		}
	} else if len(runs) > 0 {
		rq.Flush()
		go func() {
			for _, run := range runs {
				run()
			}
		}()
	}
	rq.background.Wait()
}

// cloneBackground is a copy of rq for its content handler to run again
// in the background: a snapshot with the client's request cloned under
// a context not cancelled with the client's connection, a request body
// it does not read, no response yet and a writer that drops it.
func (rq *Request) cloneBackground() *Request {
	c := rq.snapshot()
	c.R = rq.R.Clone(context.WithoutCancel(rq.R.Context()))
	c.R.Body, c.R.ContentLength = http.NoBody, 0
	c.W = NewDiscardWriter(nil)
	return c
}

// Alongside is a copy of rq to be the parent of a subrequest that runs in
// another goroutine while rq goes on (SSI's includes, nginx's postponed
// subrequests): the snapshot, still below rq's own parent (the depth of
// nesting, the main request), with rq's SSI state, whose shared part
// its module guards itself.
func (rq *Request) Alongside() *Request {
	s := rq.snapshot()
	s.Parent, s.SSI = rq.Parent, rq.SSI
	return s
}

// snapshot copies what a subrequest reads of its main request: the
// client's request (its header too), the connection (so the copy's
// location cannot change the client connection's keep-alive or
// timeouts), the location, the variables and captures so far, the
// request id it shares.
func (rq *Request) snapshot() *Request {
	r := *rq.R
	r.Header = rq.R.Header.Clone()
	s := &Request{R: &r, Cfg: rq.Cfg, Eng: rq.Eng, Vars: rq.Vars, Server: rq.Server, Loc: rq.Loc,
		Location: rq.Location, LocName: rq.LocName, ProxyContent: rq.ProxyContent, URI: rq.URI, Args: rq.Args,
		Internal: rq.Internal, URIChanged: rq.URIChanged, Rewritten: rq.Rewritten, AddURIToAlias: rq.AddURIToAlias,
		Start: rq.Start, LimitRate: rq.LimitRate, Host: rq.Host, HostOK: rq.HostOK,
		CapSrc: rq.CapSrc, Caps: slices.Clone(rq.Caps), Named: maps.Clone(rq.Named),
		Set: maps.Clone(rq.Set), DocRoot: rq.DocRoot, Filename: rq.Filename, RealIPFrom: rq.RealIPFrom,
		ReadBodyLength: rq.ReadBodyLength, BodyRead: rq.BodyRead}
	if s.Set == nil {
		s.Set = map[string]string{}
	}
	if rq.Conn != nil {
		c := *rq.Conn
		s.Conn = &c
	}
	// $request_id is the main request's: made now, so it is the same.
	s.requestID, _ = exactVars["request_id"](rq, "request_id")
	s.requestBody.Store(rq.requestBody.Load())
	s.requestBodyFile.Store(rq.requestBodyFile.Load())
	return s
}
