package proxy

// abort.go is nginx's check for a broken client connection while the
// upstream works (ngx_http_upstream_check_broken_connection): when the
// client closes its connection (or resets its HTTP/2 stream) the
// upstream request is cancelled, its connection closed, and the request
// ends with 499 — unless proxy_ignore_client_abort is on. The engine
// watches the socket (httpd.ClientWatch) and calls ClientClosed from its
// poller; the transport learns of it from the failed read or write.

import (
	"context"
	"errors"
	"sync"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
)

// clientAbort is one request's side of the watch.
type clientAbort struct {
	mu      sync.Mutex
	watched bool
	gone    bool
	err     error              // the client socket's error (a reset)
	up      *upConn            // the upstream connection in use
	cancel  context.CancelFunc // ends a connect in progress
}

var errClientClosed = errors.New("client prematurely closed connection")

// watchClient starts the watch for the request, unless
// proxy_ignore_client_abort is on; the returned function ends it.
func (h *handler) watchClient(st *state) (unwatch func()) {
	if *h.loc.Proxy.IgnoreClientAbort {
		return nil
	}
	cw, ok := st.rq.W.(httpd.ClientWatch)
	if !ok || !cw.WatchClient(st) {
		return nil
	}
	st.abort.watched = true
	return cw.UnwatchClient
}

// ClientClosed implements httpd.ClientWatcher: it runs on the engine's
// poller, so it only closes and cancels. The upstream socket is closed
// below TLS: a reader or writer blocked on it fails at once, and no
// close_notify is written to a peer that may not read it.
func (st *state) ClientClosed(err error) {
	a := &st.abort
	a.mu.Lock()
	a.gone, a.err = true, err
	if a.up != nil {
		a.up.raw.Close()
	}
	cancel := a.cancel
	a.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// clientGone says whether the client went away during the request.
func (st *state) clientGone() bool {
	gone, _ := st.clientState()
	return gone
}

func (st *state) clientState() (gone bool, err error) {
	a := &st.abort
	if !a.watched {
		return false, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.gone, a.err
}

// dialContext is the context for connecting: cancelled if the client
// goes while the connect is in progress. done ends that.
func (st *state) dialContext(ctx context.Context) (context.Context, func()) {
	a := &st.abort
	if !a.watched {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	a.mu.Lock()
	a.cancel = cancel
	gone := a.gone
	a.mu.Unlock()
	if gone {
		cancel()
	}
	return ctx, func() {
		a.mu.Lock()
		a.cancel = nil
		a.mu.Unlock()
		cancel()
	}
}

// use records c as the upstream connection in use; false means the
// client has gone already (c is closed).
func (st *state) use(c *upConn) bool {
	a := &st.abort
	if !a.watched {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gone {
		c.raw.Close()
		return false
	}
	a.up = c
	return true
}

// release ends the use of c before it goes back to the pool; false means
// the client's going closed it, and it must not.
func (st *state) release(c *upConn) bool {
	a := &st.abort
	if !a.watched {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.up == c {
		a.up = nil
	}
	return !a.gone
}

// clientAborted logs the client's going as nginx does on Linux, where
// epoll reports the hang-up, with the socket's error if it was reset
// (nginx has no such line for an HTTP/2 stream the client reset, only
// its own "client canceled stream").
func (h *handler) clientAborted(st *state, while, upstream string) {
	rq := st.rq
	if rq.R.ProtoMajor >= 2 {
		return
	}
	msg := "epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too"
	if _, err := st.clientState(); err != nil {
		msg += " (" + confparse.ErrnoText(err) + ")"
	}
	h.c.errs.RequestUpstream(rq, confparse.LevelInfo, msg+" while "+while, upstream)
}

// abortPhase is nginx's log action at the time the client went: what
// the upstream request was doing.
func abortPhase(a *attempt) string {
	switch {
	case a.conn == nil:
		return "connecting to upstream"
	case !a.sentRequest || a.conn.nread == a.read0:
		return "sending request to upstream"
	}
	return "reading response header from upstream"
}

// bodyPhase is the action once the response is under way: nginx's
// buffered pipe reads the upstream, the unbuffered path sends to the
// client.
func (h *handler) bodyPhase() string {
	if *h.loc.Proxy.Buffering {
		return "reading upstream"
	}
	return "sending to client"
}

// abortResponse ends a response whose client has gone: there is no one
// to send the rest to. Nothing of it sent, the request ends with 499, as
// nginx's; otherwise its status stays.
func abortResponse(rq *httpcore.Request) {
	if s, ok := rq.W.(interface{ Sent() bool }); ok && !s.Sent() {
		rq.Abort(499)
	}
	if a, ok := rq.W.(aborter); ok {
		a.Abort(true)
	}
}
