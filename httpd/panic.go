package httpd

// panic.go keeps a bug in one handler from ending every site: a panic on
// a connection's goroutine (or an HTTP/2 stream's) costs that request and
// its connection. The client gets a 500 when nothing of the answer left
// yet, the error log an [alert] with the panic and its stack. nginx has
// no such line (a crashing worker is logged by the master as "worker
// process N exited on signal 11"); the wording is goproxy's.

import (
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"

	"goproxy/confparse"
)

// errPanic answers a request whose handler panicked before answering.
var errPanic = &StatusError{500, "handler panicked"}

// recoverPanic is deferred at the top of a connection's goroutines.
func (c *conn) recoverPanic() {
	e := recover()
	if e == nil {
		return
	}
	if e != http.ErrAbortHandler { // net/http's "abort quietly"
		c.srv.logPanic(&c.info, c.resp.req, e)
		if c.inRequest {
			c.answerPanic()
		}
	}
	c.close()
}

// logPanic writes the [alert] line with nginx's request context, then
// the stack.
func (s *Server) logPanic(info *Conn, r *http.Request, e any) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d panic serving request: %v", info.ID, e)
	if info.Remote != nil {
		host, _, err := net.SplitHostPort(info.Remote.String())
		if err != nil {
			host = info.Remote.String() // a unix socket
		}
		b.WriteString(", client: " + host)
	}
	if r != nil && r.Method != "" {
		fmt.Fprintf(&b, ", request: \"%s %s %s\"", r.Method, r.RequestURI, r.Proto)
		if h := r.Host; h != "" {
			fmt.Fprintf(&b, ", host: \"%s\"", h)
		}
	}
	b.WriteByte('\n')
	b.WriteString(panicStack())
	s.logf(confparse.LevelAlert, "%s", b.String())
}

// panicStack is the goroutine's stack from the frame that panicked: the
// recovery's own frames (debug.Stack, the deferred calls, runtime.panic)
// are cut.
func panicStack() string {
	lines := strings.Split(strings.TrimRight(string(debug.Stack()), "\n"), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") && i+2 <= len(lines) {
			return strings.Join(append(lines[:1:1], lines[i+2:]...), "\n")
		}
	}
	return strings.Join(lines, "\n")
}

// answerPanic ends the request that panicked. Nothing written: the 500
// page (the handler's own, with error_page). A response whose body was
// all written (the router writes its 500 page while the panic unwinds)
// goes out. Anything else is dropped: the connection closes and the
// client sees the answer cut short, never a truncated body taken for a
// whole one.
func (c *conn) answerPanic() {
	w := &c.resp
	if w.hijacked || c.bw == nil {
		return
	}
	c.info.KeepAlive = false
	w.closeAfter = true
	if !w.wroteHeader && w.req != nil {
		func() {
			defer func() {
				if e := recover(); e != nil {
					w.aborted, w.discard = true, true
				}
			}()
			c.srv.Handler.ServeError(w, w.req, errPanic)
		}()
	}
	if w.complete() {
		w.finish()
	}
}

// complete says whether the response was written to its end.
func (w *response) complete() bool {
	if !w.wroteHeader || w.aborted || w.chunked {
		return false
	}
	return w.noBody || (w.length >= 0 && w.written == w.length)
}
