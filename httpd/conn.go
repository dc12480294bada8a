// Package httpd is goproxy's HTTP/1.x engine: it reads requests from a
// connection with nginx's parsing rules and limits, hands them to a
// handler as standard *http.Request / http.ResponseWriter values, and
// writes responses with nginx's framing and header order. It exists
// because net/http answers malformed requests itself (with its own
// pages), hides the raw request, and allocates more per request than a
// proxy that wants nginx's throughput can afford.
package httpd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Limits are the parsing and keep-alive limits for one request, chosen by
// the handler from the configuration in force (nginx takes them from the
// default server of the address).
type Limits struct {
	HeaderTimeout        time.Duration // client_header_timeout
	HeaderBufferSize     int           // client_header_buffer_size
	LargeBufferSize      int           // large_client_header_buffers size
	LargeBuffers         int           // large_client_header_buffers number
	IgnoreInvalidHeaders bool
	UnderscoresInHeaders bool
	// ProxyProtocol: the connection starts with a PROXY protocol header
	// (listen ... proxy_protocol).
	ProxyProtocol bool
}

// Handler serves requests from the engine.
type Handler interface {
	// Limits returns the limits for the next request on c.
	Limits(c *Conn) Limits
	// ServeHTTP serves one parsed request.
	ServeHTTP(w http.ResponseWriter, r *http.Request)
	// ServeError answers a request the engine refused (400, 414, 494,
	// 505, ...). r holds what could be parsed; it may have no URL.
	ServeError(w http.ResponseWriter, r *http.Request, err *StatusError)
}

// Conn is a client connection as the handler sees it: nginx's
// $connection, $connection_requests, addresses.
type Conn struct {
	ID       uint64
	Requests int // requests served on it, including the current one
	Local    net.Addr
	Remote   net.Addr
	Start    time.Time
	TLS      *tls.ConnectionState
	// Listener names the listen address the connection came in on, as
	// written in the configuration ("0.0.0.0:80").
	Listener string
	// KeepAlive lets the handler end the connection after the response
	// (keepalive_requests, keepalive_timeout 0, lingering errors).
	KeepAlive bool
	// IdleTimeout is keepalive_timeout for the wait after this response.
	IdleTimeout time.Duration
	// KeepAliveHeader is the keepalive_timeout's second argument, sent as
	// "Keep-Alive: timeout=N" when non-zero.
	KeepAliveHeader time.Duration
	// SendTimeout (send_timeout) bounds each write to the client, and
	// BodyTimeout (client_body_timeout) each read of the request body;
	// the handler sets them from the location in force.
	SendTimeout time.Duration
	BodyTimeout time.Duration
	// SSLVerify is $ssl_client_verify, set by the handler once per
	// connection ("" until checked).
	SSLVerify string
	// Cancel ends the connection's context: set by the engine.
	ctx    context.Context
	cancel context.CancelFunc
	// Value is free for the handler (per-connection state).
	Value any
	// ProxyProtocol is what the PROXY protocol header said (nil without
	// one, or for UNKNOWN/LOCAL); Stats are the server's counters.
	ProxyProtocol *ProxyProtocol
	Stats         *Stats
}

// Context is cancelled when the connection closes.
func (c *Conn) Context() context.Context { return c.ctx }

var connIDs atomic.Uint64

// Server runs the engine on accepted connections.
type Server struct {
	Handler Handler
	// Tracks live connections for graceful stop.
	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
	wg     sync.WaitGroup
	// ConnState, if set, is told when connections open, become idle,
	// become active and close (for metrics).
	ConnState func(c *Conn, state http.ConnState)
	// Stats counts connections and requests for stub_status.
	Stats Stats
}

// Serve accepts on l until it is closed. name is the configured address.
func (s *Server) Serve(l net.Listener, name string) error {
	return s.ServeTLS(l, name, nil)
}

// ServeTLS is Serve for a "listen ... ssl" address: connections start
// with a TLS handshake using cfg (whose GetConfigForClient picks the
// server by SNI). A client speaking plain HTTP gets nginx's 497 answer.
func (s *Server) ServeTLS(l net.Listener, name string, cfg *tls.Config) error {
	for {
		nc, err := l.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return err
		}
		s.serveConn(nc, name, cfg)
	}
}

// ServeConn serves one connection in its own goroutine.
func (s *Server) ServeConn(nc net.Conn, name string) { s.serveConn(nc, name, nil) }

func (s *Server) serveConn(nc net.Conn, name string, cfg *tls.Config) {
	c := newConn(s, nc, name)
	c.tlsConfig = cfg
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	if s.conns == nil {
		s.conns = map[*conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.Stats.Accepted()
	s.mu.Unlock()
	go c.serve()
}

// Shutdown stops accepting new requests: idle connections are closed at
// once, busy ones after their current response. It waits until all are
// gone or ctx ends, then closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.shutdown()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Close()
		<-done
		return ctx.Err()
	}
}

// Close closes every connection at once.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.raw.Close()
	}
	s.mu.Unlock()
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

type conn struct {
	srv       *Server
	nc        net.Conn
	tlsConfig *tls.Config
	// plainOnTLS marks plain HTTP sent to a TLS address (nginx's 497).
	plainOnTLS bool
	info       Conn
	br         *bufio.Reader
	bw         *bufio.Writer
	state      atomic.Int32 // 0 idle, 1 busy, 2 shutting down
	rdl, wdl   Deadline     // read and write deadlines
	rl         requestLine  // the request line being parsed
	scratch    []byte       // header values being read
	vals       []string     // header value slices of the current request
	remote     string
	// per-request objects reused across requests on this connection
	tmpl   *http.Request
	req    http.Request
	url    url.URL
	header http.Header
	resp   response
	body   body

	// h2 is set while the connection speaks HTTP/2 (h2.go).
	h2 atomic.Pointer[h2Conn]
	// raw is the accepted connection, below TLS: other goroutines
	// (Close, shutdown) use it, as nc changes after the handshake.
	raw net.Conn
}

const (
	stateIdle int32 = iota
	stateBusy
	stateStop
)

func newConn(s *Server, nc net.Conn, name string) *conn {
	c := &conn{srv: s, nc: nc, raw: nc}
	c.info = Conn{ID: connIDs.Add(1), Local: nc.LocalAddr(), Remote: nc.RemoteAddr(), Start: time.Now(), Listener: name, Stats: &s.Stats}
	c.info.ctx, c.info.cancel = context.WithCancel(context.Background())
	if tc, ok := nc.(*tls.Conn); ok {
		st := tc.ConnectionState()
		c.info.TLS = &st
	}
	return c
}

// startTLS reads the first byte: a TLS handshake record starts the
// handshake; anything else is plain HTTP, answered with nginx's 497 page.
func (c *conn) startTLS() bool {
	lim := c.srv.Handler.Limits(&c.info)
	c.nc.SetDeadline(time.Now().Add(lim.HeaderTimeout))
	br := bufio.NewReaderSize(c.nc, 4096)
	first, err := br.Peek(1)
	if err != nil {
		return false
	}
	pc := &peekedConn{Conn: c.nc, r: br}
	if first[0] != 0x16 {
		c.plainOnTLS = true
		c.nc = pc
		c.br = br
		return true
	}
	tc := tls.Server(pc, c.tlsConfig)
	if err := tc.Handshake(); err != nil {
		return false
	}
	c.nc.SetDeadline(time.Time{})
	c.nc = tc
	st := tc.ConnectionState()
	c.info.TLS = &st
	return true
}

// peekedConn reads first what a bufio.Reader already took from the
// connection.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (p *peekedConn) Read(b []byte) (int, error) { return p.r.Read(b) }

var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 8192) }}

// headBuffered says whether a whole request head is already read.
func headBuffered(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	return bytes.Contains(b, []byte("\r\n\r\n")) || bytes.Contains(b, []byte("\n\n"))
}

// shutdown asks the connection to end after its current request.
func (c *conn) shutdown() {
	if h2 := c.h2.Load(); h2 != nil {
		h2.shutdown()
		return
	}
	if c.state.Swap(stateStop) == stateIdle {
		// Waiting for a request: wake the read so it sees the stop.
		c.raw.SetReadDeadline(time.Now())
	}
}

func (c *conn) setState(st http.ConnState) {
	if f := c.srv.ConnState; f != nil {
		f(&c.info, st)
	}
}

func (c *conn) serve() {
	defer c.srv.forget(c)
	defer c.info.cancel()
	defer c.nc.Close()
	defer c.srv.Stats.Closed() // before the close the client sees
	c.setState(http.StateNew)
	defer c.setState(http.StateClosed)
	if !c.proxyProtocol() {
		return
	}
	if c.tlsConfig != nil && !c.startTLS() {
		return
	}
	if c.serveH2() {
		return
	}
	c.header = make(http.Header, 16)
	c.tmpl = (&http.Request{}).WithContext(c.info.ctx)
	c.remote = c.info.Remote.String()
	idle := time.Duration(0)
	for {
		lim := c.srv.Handler.Limits(&c.info)
		size := max(lim.LargeBufferSize, lim.HeaderBufferSize, 4094) + 2
		if c.br == nil || c.br.Size() < size {
			c.br = bufio.NewReaderSize(c.nc, size)
		}
		// Wait for the first byte of the next request.
		if c.info.Requests > 0 {
			c.rdl.Set(c.nc.SetReadDeadline, time.Now(), idle)
		} else {
			c.rdl.Set(c.nc.SetReadDeadline, time.Now(), lim.HeaderTimeout)
		}
		if c.state.Load() == stateStop {
			return
		}
		if _, err := c.br.Peek(1); err != nil {
			return
		}
		if !c.state.CompareAndSwap(stateIdle, stateBusy) {
			return
		}
		c.setState(http.StateActive)
		if !headBuffered(c.br) {
			// client_header_timeout runs from the first byte.
			c.rdl.Set(c.nc.SetReadDeadline, time.Now(), lim.HeaderTimeout)
		}
		c.info.Requests++
		c.srv.Stats.RequestStarted()
		// The write buffer is the connection's only while it answers:
		// an idle keep-alive connection holds none (10,000 idle clients
		// would otherwise hold 80 MB of them).
		c.bw = writers.Get().(*bufio.Writer)
		c.bw.Reset(c.nc)
		keep := c.serveOne(lim)
		c.srv.Stats.RequestDone()
		if !c.resp.hijacked {
			c.bw.Reset(nil)
			writers.Put(c.bw)
		}
		c.bw = nil
		if !keep || !c.state.CompareAndSwap(stateBusy, stateIdle) {
			return
		}
		c.setState(http.StateIdle)
		idle = c.info.IdleTimeout
		if idle <= 0 {
			return
		}
	}
}

// serveOne reads and answers one request; it reports whether the
// connection may carry another.
func (c *conn) serveOne(lim Limits) bool {
	c.info.KeepAlive = true
	r, rl, perr := c.readRequest(lim)
	c.srv.Stats.HeadRead()
	if perr == nil && c.plainOnTLS {
		perr = errPlainHTTP
	}
	w := &c.resp
	w.reset(c, r, rl)
	if perr != nil {
		se, ok := perr.(*StatusError)
		if !ok {
			return false // timeout or reset while reading the head
		}
		c.info.KeepAlive = false
		w.closeAfter = true
		c.srv.Handler.ServeError(w, r, se)
		w.finish()
		return false
	}
	c.srv.Handler.ServeHTTP(w, r)
	if w.hijacked {
		return false
	}
	w.finish()
	if w.closeAfter || !c.info.KeepAlive {
		return false
	}
	// Drain what the handler did not read of the body, as nginx's
	// discard_body does, unless it is large.
	if !c.body.drain(1 << 20) {
		return false
	}
	return true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
