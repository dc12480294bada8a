package router

// subrequest.go runs a subrequest, as auth_request and the addition
// module need: the phases of the server for a URI, as a GET with the
// main request's headers, no body, a response whose body is discarded
// (auth_request) or written into the main response (addition), and the
// main request's variables shared (nginx's subrequests share them too).
// It is not logged and does not change the main request's connection.

import (
	"errors"
	"io"
	"strconv"

	"net/http"
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
)

// Subrequest runs uri and writes its body to body: the output the
// addition module adds to a response (httpcore.Subrequester).
func (rt *Router) Subrequest(parent *httpcore.Request, uri string, body io.Writer) int {
	return rt.subrequest(parent, uri, body, nil)
}

// SubrequestWith runs a subrequest with arguments and a stub, as the SSI
// module's include makes them (httpcore.Subrequester).
func (rt *Router) SubrequestWith(parent *httpcore.Request, o *httpcore.SubOptions) int {
	return rt.run(parent, o)
}

// subrequest processes uri and returns the status it answered with; its
// body goes to body (nil: dropped), and done sees the finished
// subrequest before it is recycled.
func (rt *Router) subrequest(parent *httpcore.Request, uri string, body io.Writer, done func(sub *httpcore.Request)) int {
	return rt.run(parent, &httpcore.SubOptions{URI: uri, Body: body, Done: done})
}

func (rt *Router) run(parent *httpcore.Request, o *httpcore.SubOptions) int {
	srv := rt.serverOf(parent)
	uri, body, done := o.URI, o.Body, o.Done
	r := *parent.R
	r.Method, r.Body, r.ContentLength = "GET", http.NoBody, 0
	var mem *memWriter
	if o.InMemory && body != nil {
		mem = &memWriter{rt: rt, w: body}
		body = mem
	}
	w := httpcore.NewDiscardWriter(body)
	if parent.Set == nil {
		parent.Set = map[string]string{}
	}
	sub := rt.pool.Get().(*httpcore.Request)
	*sub = httpcore.Request{W: w, R: &r, Conn: parent.Conn, Cfg: rt.Cfg, Eng: rt, Vars: rt.vars,
		Start: parent.Start, Host: parent.Host, HostOK: parent.HostOK, Set: parent.Set,
		URI: uri, Args: o.Args, Internal: true, Parent: parent, RealIPFrom: parent.RealIPFrom}
	if mem != nil {
		mem.sub = sub
	}
	stubbed := false
	if o.Stub != nil {
		sub.PostSubrequest = func(sub *httpcore.Request, code int) bool {
			stubbed = true
			o.Stub(sub)
			return true
		}
	}
	// The subrequest's location must not change the connection's
	// settings the main request uses.
	var saved httpd.Conn
	if c := parent.Conn; c != nil {
		saved.KeepAlive, saved.BodyTimeout, saved.SendTimeout = c.KeepAlive, c.BodyTimeout, c.SendTimeout
		saved.IdleTimeout, saved.KeepAliveHeader = c.IdleTimeout, c.KeepAliveHeader
	}
	rt.enterServer(sub, srv)
	var named *loc
	if strings.HasPrefix(uri, "@") {
		if named = srv.named[uri[1:]]; named == nil {
			sub.Error(500)
		}
	}
	if named != nil || !strings.HasPrefix(uri, "@") {
		rt.process(sub, srv, named)
	}
	if o.Stub != nil && !stubbed && !sub.Aborted && sub.BodyBytesSent() == 0 {
		o.Stub(sub)
	}
	status := sub.Status()
	if !sub.WroteHeader() && !sub.Aborted {
		status = 500
	}
	sub.CloseBody()
	for _, f := range sub.Release {
		f()
	}
	if done != nil {
		done(sub)
	}
	if c := parent.Conn; c != nil {
		c.KeepAlive, c.BodyTimeout, c.SendTimeout = saved.KeepAlive, saved.BodyTimeout, saved.SendTimeout
		c.IdleTimeout, c.KeepAliveHeader = saved.IdleTimeout, saved.KeepAliveHeader
	}
	*sub = httpcore.Request{}
	rt.pool.Put(sub)
	return status
}

// memWriter bounds an in-memory subrequest's output by the location's
// subrequest_output_buffer_size.
type memWriter struct {
	rt   *Router
	sub  *httpcore.Request
	w    io.Writer
	n    int64
	over bool
}

var errTooBig = errors.New("too big subrequest response")

func (m *memWriter) Write(p []byte) (int, error) {
	if m.over {
		return 0, errTooBig
	}
	m.n += int64(len(p))
	if l := m.sub.Loc; l != nil && m.n > *l.Core.SubrequestOutputBufferSize {
		m.over = true
		m.rt.logf(m.sub, confparse.LevelError, "too big subrequest response: "+strconv.FormatInt(m.n, 10))
		main := m.sub
		for main.Parent != nil {
			main = main.Parent
		}
		// The main request ends without its output (buffered yet,
		// as nginx's header waits for the body).
		if a, ok := main.W.(interface{ Abort(discard bool) }); ok {
			a.Abort(true)
		}
		return 0, errTooBig
	}
	return m.w.Write(p)
}

// postAction runs post_action once the main response is complete: the
// URI (or named location) is processed as nginx's internal redirect of
// the finished request, with no output to the client, before the
// connection goes on (a proxied URI's upstream sees the request).
func (rt *Router) postAction(rq *httpcore.Request) {
	if rq.Loc == nil || rq.Parent != nil || rq.CutShort() {
		return
	}
	pa := rq.Loc.Core.PostAction
	if pa == nil || *pa == "" {
		return
	}
	rt.subrequest(rq, *pa, nil, nil)
}
