package httpd

// idle.go is how a connection waits for its next request. nginx holds
// no buffer and no request while a keep-alive connection is idle (0.5 KB
// a connection); a goroutine blocked in a read holds its stack (8 KB at
// least) and the read buffer (8 KB), which made 10,000 idle clients cost
// 200 MB. So a connection that stays silent for idleGrace gives its read
// buffer back, drops its request objects, and parks: its goroutine ends
// and the idle poller (idle_linux.go) starts a new one when the client
// sends again, closes it when keepalive_timeout (or
// client_header_timeout before the first request) runs out, or when the
// server stops. A client that sends its next request within idleGrace,
// as busy keep-alive clients do, never parks: the hot path is the plain
// blocking read it always was.

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// idleGrace is how long (to twice that) a connection waits in its
// goroutine before it parks. Shorter parks more clients that pause
// between requests (each wake costs a goroutine start and two epoll_ctl
// calls, some microseconds); longer keeps more stacks and buffers
// around for connections opened in bursts. Busy keep-alive clients send
// within a millisecond.
const idleGrace = 25 * time.Millisecond

type awaitResult int

const (
	awaitReady  awaitResult = iota // the next request's first byte is buffered
	awaitParked                    // the connection waits without a goroutine
	awaitClosed                    // timed out, closed by the client, or stopped
)

// The park states: who owns the connection while it is idle.
const (
	parkActive   int32 = iota // its goroutine
	parkParked                // the poller, its timer and shutdown race for it
	parkResuming              // the poller won: a goroutine is starting
	parkClosing               // the timer or a shutdown won: it closes
)

// awaitRequest waits for the first byte of the next request, at most
// wait (no limit when wait <= 0).
func (c *conn) awaitRequest(wait time.Duration) awaitResult {
	if c.br.Buffered() > 0 {
		return awaitReady // pipelined
	}
	now := time.Now()
	c.idleSince.Store(now.UnixNano())
	canPark := (wait <= 0 || wait > 2*idleGrace) && c.parkable()
	step := wait
	if canPark {
		step = 2 * idleGrace // Loose fires after idleGrace to twice it
		c.rdl.Loose(c.nc.SetReadDeadline, now, idleGrace)
	} else {
		c.rdl.Set(c.nc.SetReadDeadline, now, step)
	}
	_, err := c.br.Peek(1)
	if err == nil {
		return awaitReady
	}
	if !canPark || !isTimeout(err) || c.state.Load() == stateStop {
		return awaitClosed
	}
	if c.park(now, wait) {
		return awaitParked
	}
	// No poller: wait for the rest here.
	c.rdl.Set(c.nc.SetReadDeadline, time.Now(), wait-step)
	if _, err := c.br.Peek(1); err != nil {
		return awaitClosed
	}
	return awaitReady
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// parkable says whether readability of the accepted socket is readability
// of the connection: nothing is buffered above it but in c.br. What the
// connection is does not change once it serves requests, so that is
// decided once.
func (c *conn) parkable() bool {
	switch c.parkKind {
	case parkUnknown:
		c.parkKind = parkNever
		if _, ok := c.raw.(syscall.Conn); ok && thePoller() != nil {
			if _, ok := c.nc.(*peekedConn); !ok {
				c.parkKind = parkPlain
				if _, ok := c.tlsBelow(); ok {
					c.parkKind = parkPeeked
				}
			}
		}
		return c.parkable()
	case parkPlain:
		return true
	case parkPeeked:
		pc, _ := c.tlsBelow()
		return pc.r.Buffered() == 0
	}
	return false
}

// What a connection's socket is to the poller (conn.parkKind).
const (
	parkUnknown int8 = iota
	parkPlain        // readable socket, readable connection
	parkPeeked       // TLS over bytes read ahead (PROXY protocol): when they are used up
	parkNever        // no socket, or bytes above it
)

// tlsBelow finds a peekedConn under a TLS connection (a PROXY protocol
// header read before the handshake).
func (c *conn) tlsBelow() (*peekedConn, bool) {
	if tc, ok := c.nc.(interface{ NetConn() net.Conn }); ok {
		pc, ok := tc.NetConn().(*peekedConn)
		return pc, ok
	}
	return nil, false
}

// park hands the idle connection to the poller; false means it could
// not, and the goroutine keeps it.
func (c *conn) park(since time.Time, wait time.Duration) bool {
	p := thePoller()
	if p == nil {
		return false
	}
	c.releaseIdle()
	c.idleUntil = 0
	if wait > 0 {
		parkedTimers.add(c, since.Add(wait).UnixNano())
	}
	c.parked.Store(parkParked)
	if !p.arm(c, true) {
		if c.parked.CompareAndSwap(parkParked, parkActive) {
			parkedTimers.remove(c)
			c.takeReqState()
			c.br = getReader(c.nc, int(c.readerSize))
			return false
		}
		return true // the timer has it
	}
	// From here on the poller may already run the connection again.
	if c.state.Load() == stateStop {
		c.closeParked() // a shutdown that came while it parked
	}
	return true
}

// releaseIdle gives back what an idle connection does not need: the
// read buffer and the request objects.
func (c *conn) releaseIdle() {
	c.readerSize = int32(c.br.Size())
	putReader(c.br)
	c.br = nil
	rs := c.reqState
	c.reqState = nil
	h, rh := rs.header, rs.resp.header
	clear(h)
	clear(rh)
	clear(rs.vals[:cap(rs.vals)])
	clear(rs.keys[:cap(rs.keys)])
	clear(rs.names[:cap(rs.names)])
	*rs = reqState{header: h, scratch: rs.scratch[:0], vals: rs.vals, keys: rs.keys, names: rs.names}
	rs.resp.header = rh
	reqStates.Put(rs)
}

// reqState is what a connection needs only while it reads and answers
// requests.
type reqState struct {
	tmpl    *http.Request // carries the connection's context
	tmplv   http.Request
	req     http.Request
	url     url.URL
	header  http.Header
	resp    response
	body    body
	rl      requestLine // the request line being parsed
	scratch []byte      // header values being read
	vals    []string    // header value slices of the current request
	// keys are the canonical names of its header lines, lines of them
	// in use: the order the client sent them in, which the map loses
	// and nginx keeps (HTTP_* parameters of FastCGI, SCGI, uwsgi).
	keys []string
	// names are the same lines' names as the client wrote them, which
	// nginx passes upstream unchanged ("x-id", not "X-Id").
	names []string
	lines int
	// headBytes is the current request head as read, line ends and
	// ignored lines included ($request_length counts what was sent).
	headBytes int64
	// headRoom is what nginx's header buffer had left after the head:
	// room for body bytes read with it (its preread).
	headRoom int
}

var reqStates = sync.Pool{New: func() any { return &reqState{header: make(http.Header, 16)} }}

func (c *conn) takeReqState() {
	rs := reqStates.Get().(*reqState)
	rs.tmplv = *rs.tmplv.WithContext(c.info.ctx)
	rs.tmpl = &rs.tmplv
	c.reqState = rs
}

// wake runs on the poller when a parked connection becomes readable (or
// the client hung up): the connection gets a goroutine again.
func (c *conn) wake() bool {
	if !c.parked.CompareAndSwap(parkParked, parkResuming) {
		return false
	}
	parkedTimers.remove(c)
	thePoller().arm(c, false) // readability is the goroutine's again
	c.parked.Store(parkActive)
	go c.resume()
	return true
}

func (c *conn) resume() {
	c.takeReqState()
	c.br = getReader(c.nc, int(c.readerSize))
	wait := time.Duration(0) // no limit
	if c.idleUntil != 0 {
		// Woken at the limit: the byte that woke it is read all the same.
		wait = max(time.Duration(c.idleUntil-time.Now().UnixNano()), time.Millisecond)
	}
	c.run(wait)
}

// idleExpired is the parked connection's keepalive_timeout
// (idletimer.go).
func (c *conn) idleExpired() {
	if c.parked.CompareAndSwap(parkParked, parkClosing) {
		c.close()
	}
}

// closeParked closes the connection if it is parked; the close runs in
// its own goroutine, as callers may hold the server's lock.
func (c *conn) closeParked() bool {
	if !c.parked.CompareAndSwap(parkParked, parkClosing) {
		return false
	}
	parkedTimers.remove(c)
	go c.close()
	return true
}

// readers pools request-head buffers of idle connections, by size (one
// size in practice: large_client_header_buffers of the default server).
var readers sync.Map // int -> *sync.Pool

func getReader(r interface{ Read([]byte) (int, error) }, size int) *bufio.Reader {
	if p, ok := readers.Load(size); ok {
		if br, _ := p.(*sync.Pool).Get().(*bufio.Reader); br != nil {
			br.Reset(r)
			return br
		}
	}
	return bufio.NewReaderSize(r, size)
}

func putReader(br *bufio.Reader) {
	size := br.Size()
	br.Reset(nil)
	p, ok := readers.Load(size)
	if !ok {
		p, _ = readers.LoadOrStore(size, &sync.Pool{})
	}
	p.(*sync.Pool).Put(br)
}

// ClientWatcher is told that the client went away while its request was
// being served.
type ClientWatcher interface {
	// ClientClosed runs once, on another goroutine that it must not
	// block: cancel, close, return. err is the socket's error (a reset),
	// nil for a plain close.
	ClientClosed(err error)
}

// ClientWatch is implemented by the engine's ResponseWriters: nginx's
// check for a broken client connection while an upstream works
// (ngx_http_upstream_check_broken_connection).
type ClientWatch interface {
	// WatchClient arranges for cw.ClientClosed when the client closes
	// or resets the connection before UnwatchClient; pipelined requests
	// are not read. It reports whether the connection can be watched.
	WatchClient(cw ClientWatcher) bool
	UnwatchClient()
}

var _ ClientWatch = (*response)(nil)

// WatchClient watches the socket for the client's hang-up (EPOLLRDHUP)
// with the idle poller, without reading from it.
func (w *response) WatchClient(cw ClientWatcher) bool {
	c := w.c
	p := thePoller()
	if p == nil || w.hijacked {
		return false
	}
	if !c.polled.Load() && !p.arm(c, false) {
		return false
	}
	c.watchMu.Lock()
	c.watcher = cw
	c.watchMu.Unlock()
	if c.peerClosed.Load() {
		c.hangup() // it hung up before the watch began
	}
	return true
}

// UnwatchClient ends the watch.
func (w *response) UnwatchClient() {
	c := w.c
	c.watchMu.Lock()
	c.watcher = nil
	c.watchMu.Unlock()
}

// hangup runs on the poller when the client closed or reset the
// connection.
func (c *conn) hangup() {
	c.peerClosed.Store(true)
	c.watchMu.Lock()
	cw := c.watcher
	c.watcher = nil
	c.watchMu.Unlock()
	if cw != nil {
		cw.ClientClosed(c.socketError())
	}
}
