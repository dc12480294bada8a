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
	"crypto/rand"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"goproxy/confparse"
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
	MaxHeaders           int // max_headers: header lines kept, at most
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
	// Arrival is the current request's place in arrival order, for the
	// cache lock (arrival.go); nil unless a configuration has one.
	Arrival *Arrival
	// KeepAlive lets the handler end the connection after the response
	// (keepalive_requests, keepalive_timeout 0, lingering errors).
	KeepAlive bool
	// Pipelined says the current request had arrived before the one
	// before it was answered ($pipe).
	Pipelined bool
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
	// ChunkSize is http2_chunk_size, the largest DATA frame of an
	// HTTP/2 answer (0: the client's frame size alone); the handler
	// sets it from the location in force.
	ChunkSize int32
	// SSLVerify is $ssl_client_verify, set by the handler once per
	// connection ("" until checked).
	SSLVerify string
	// Hello is what a TLS client's hello and handshake left that the
	// connection state does not keep; nil on a plain connection (a
	// pointer: 10,000 idle plain connections need not carry its 96
	// bytes each).
	Hello *TLSHello
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

// TLSHello is set during a TLS handshake and read-only after it.
type TLSHello struct {
	// ClientCiphers and ClientCurves are what the client offered in its
	// hello ($ssl_ciphers, $ssl_curves): the connection state keeps only
	// what was chosen.
	ClientCiphers []uint16
	ClientCurves  []tls.CurveID
	// SessionID is $ssl_session_id as OpenSSL would have it: the id
	// of the session in the server's cache when it is there (set by the
	// TLS configuration's session hooks during the handshake), else the
	// client's id echoed on a TLS 1.2 ticket resumption, else none in
	// TLS 1.2 and a random one in TLS 1.3 (OpenSSL makes up one for
	// every TLS 1.3 session).
	SessionID []byte
	// clientSessionID is the legacy session id of the ClientHello.
	clientSessionID []byte
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
	// ErrorLog receives the engine's own error-log lines (accept
	// failures, panics, the connection cap); nil writes them to
	// standard error.
	ErrorLog func(level confparse.Level, msg string)
	limits   atomic.Pointer[ConnLimits]
	// reuseWarned is the second the last "reusing connections"
	// warning was logged in: nginx logs it once a second at most.
	reuseWarned atomic.Int64
}

// Serve accepts on l until it is closed. name is the configured address.
func (s *Server) Serve(l net.Listener, name string) error {
	return s.ServeTLS(l, name, nil)
}

// ServeTLS is Serve for a "listen ... ssl" address: connections start
// with a TLS handshake using cfg (whose GetConfigForClient picks the
// server by SNI). A client speaking plain HTTP gets nginx's 497 answer.
func (s *Server) ServeTLS(l net.Listener, name string, cfg *tls.Config) error {
	if cfg != nil {
		cfg = helloRecorder(cfg)
	}
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.acceptFailed(err) {
				continue
			}
			return err
		}
		s.serveConn(nc, name, cfg)
	}
}

// ServeConn serves one connection in its own goroutine.
func (s *Server) ServeConn(nc net.Conn, name string) { s.serveConn(nc, name, nil) }

// ServeConnTLS is ServeConn for a "listen ... ssl" address: the
// connection (one a stream server passed on) starts with the handshake.
func (s *Server) ServeConnTLS(nc net.Conn, name string, cfg *tls.Config) {
	s.serveConn(nc, name, helloRecorder(cfg))
}

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
	reused, full := s.checkCap()
	if full {
		s.mu.Unlock()
		s.Stats.Refused()
		s.capReached(reused, true) // logged before the client sees the close
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.Stats.Accepted()
	s.mu.Unlock()
	if reused != nil {
		s.capReached(reused, false)
	}
	// The first request's place in arrival order is taken here, in
	// accept order, before the goroutine of a later connection can run
	// ahead of this one's.
	c.info.Arrival = arrive()
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
		if !c.closeParked() {
			c.raw.Close()
		}
	}
	s.mu.Unlock()
}

// CloseAcceptedBefore closes at once, busy or not, every connection
// accepted before t: what nginx's worker_shutdown_timeout does to the
// connections an old worker still holds after a reload.
func (s *Server) CloseAcceptedBefore(t time.Time) {
	s.mu.Lock()
	for c := range s.conns {
		if c.info.Start.Before(t) && !c.closeParked() {
			c.raw.Close()
		}
	}
	s.mu.Unlock()
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// conn is a connection's state; its fields are ordered so that the
// small ones share words: every idle connection holds one.
type conn struct {
	srv       *Server
	nc        net.Conn
	tlsConfig *tls.Config
	info      Conn
	br        *bufio.Reader
	bw        *bufio.Writer
	rdl, wdl  Deadline // read and write deadlines
	remote    string
	// The request objects, reused across requests while the connection
	// is busy, given back while it is parked (idle.go).
	*reqState

	// h2 is set while the connection speaks HTTP/2 (h2.go).
	h2 atomic.Pointer[h2Conn]
	// raw is the accepted connection, below TLS: other goroutines
	// (Close, shutdown) use it, as nc changes after the handshake.
	raw net.Conn
	rc  syscall.RawConn // raw's, for the poller

	// idleSince (UnixNano) orders idle connections for reuse when the
	// connection cap is near.
	idleSince atomic.Int64
	// The idle wait without a goroutine and the client watch (idle.go).
	idleUntil  int64        // Unix ns: when a parked wait ends, 0 for never
	state      atomic.Int32 // 0 idle, 1 busy, 2 shutting down
	parked     atomic.Int32 // parkActive, parkParked, ... (idle.go)
	timerAt    int32        // its place in parkedTimers, + 1 (idletimer.go)
	readerSize int32        // the read buffer's size, while it is pooled
	// closed makes close run once.
	closed     atomic.Bool
	polled     atomic.Bool // registered with the idle poller
	peerClosed atomic.Bool // the poller saw the client hang up
	// inRequest says a request is being served (a panic then answers
	// it).
	inRequest bool
	// plainOnTLS marks plain HTTP sent to a TLS address (nginx's 497).
	plainOnTLS bool
	parkKind   int8 // parkPlain, ... (idle.go)
	watchMu    sync.Mutex
	watcher    ClientWatcher
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
	c.idleSince.Store(c.info.Start.UnixNano())
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
	pc := &peekedConn{Conn: c.nc, r: br, info: &c.info}
	if first[0] != 0x16 {
		c.plainOnTLS = true
		c.nc = pc
		c.br = br
		return true
	}
	hello := &TLSHello{}
	c.info.Hello = hello
	if hdr, err := br.Peek(5); err == nil {
		// Enough of the ClientHello for its session id.
		n := min(5+int(hdr[3])<<8+int(hdr[4]), 5+4+2+32+1+32)
		if rec, err := br.Peek(n); err == nil {
			hello.clientSessionID = helloSessionID(rec)
		}
	}
	tc := tls.Server(pc, c.tlsConfig)
	if err := tc.Handshake(); err != nil {
		return false
	}
	c.nc.SetDeadline(time.Time{})
	c.nc = tc
	st := tc.ConnectionState()
	c.info.TLS = &st
	if hello.SessionID == nil {
		switch {
		case st.Version >= tls.VersionTLS13:
			hello.SessionID = make([]byte, 32)
			rand.Read(hello.SessionID)
		case st.DidResume:
			hello.SessionID = hello.clientSessionID
		}
	}
	return true
}

// helloSessionID is the legacy_session_id of a ClientHello record.
func helloSessionID(rec []byte) []byte {
	const at = 5 + 4 + 2 + 32 // record and handshake headers, version, random
	if len(rec) <= at || rec[0] != 0x16 || rec[5] != 1 {
		return nil
	}
	n := int(rec[at])
	if n == 0 || n > 32 || len(rec) < at+1+n {
		return nil
	}
	return append([]byte(nil), rec[at+1:at+1+n]...)
}

// HelloConn is the connection a TLS handshake is for, so that the
// handshake's configuration can note what it decides on it; nil for a
// connection the engine did not accept.
func HelloConn(h *tls.ClientHelloInfo) *Conn {
	if pc, ok := h.Conn.(*peekedConn); ok {
		return pc.info
	}
	return nil
}

// helloRecorder wraps a listener's TLS configuration so that the
// client's offered ciphers and curves are kept on the connection. It is
// made once per listener, not per connection: crypto/tls takes its
// automatic session ticket keys from this outer configuration, and a
// fresh one per connection would make every ticket unusable.
func helloRecorder(base *tls.Config) *tls.Config {
	return &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		if pc, ok := h.Conn.(*peekedConn); ok && pc.info != nil && pc.info.Hello != nil {
			pc.info.Hello.ClientCiphers = h.CipherSuites
			pc.info.Hello.ClientCurves = h.SupportedCurves
		}
		if base.GetConfigForClient != nil {
			if cfg, err := base.GetConfigForClient(h); cfg != nil || err != nil {
				return cfg, err
			}
		}
		return base, nil
	}}
}

// peekedConn reads first what a bufio.Reader already took from the
// connection.
type peekedConn struct {
	net.Conn
	r    *bufio.Reader
	info *Conn // the connection's, for helloRecorder
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
		h2.goAway()
		return
	}
	if c.state.Swap(stateStop) == stateIdle {
		// Waiting for a request: close it if it waits without a
		// goroutine, or wake the read so it sees the stop.
		if !c.closeParked() {
			c.raw.SetReadDeadline(time.Now())
		}
	}
}

func (c *conn) setState(st http.ConnState) {
	if f := c.srv.ConnState; f != nil {
		f(&c.info, st)
	}
}

func (c *conn) serve() {
	defer c.recoverPanic()
	c.setState(http.StateNew)
	if !c.proxyProtocol() || (c.tlsConfig != nil && !c.startTLS()) || c.serveH2() {
		c.close()
		return
	}
	c.takeReqState()
	c.remote = c.info.Remote.String()
	c.run(c.srv.Handler.Limits(&c.info).HeaderTimeout)
}

// close ends the connection, once: from its goroutine, or from the idle
// poller's timer or a shutdown while it waits without one.
func (c *conn) close() {
	if c.closed.Swap(true) {
		return
	}
	c.setState(http.StateClosed)
	c.info.Arrival.Settle()
	c.srv.Stats.Closed() // before the close the client sees
	c.nc.Close()
	c.info.cancel()
	c.unpoll()
	c.srv.forget(c)
}

// run serves requests until the connection closes or parks. wait bounds
// the wait for the next request's first byte: client_header_timeout for
// the first request, keepalive_timeout after.
func (c *conn) run(wait time.Duration) {
	defer c.recoverPanic()
	for {
		lim := c.srv.Handler.Limits(&c.info)
		size := max(lim.LargeBufferSize, lim.HeaderBufferSize, 4094) + 2
		if c.br == nil {
			c.br = getReader(c.nc, size)
		} else if c.br.Size() < size {
			c.br = bufio.NewReaderSize(c.nc, size)
		}
		if c.state.Load() == stateStop {
			c.close()
			return
		}
		c.info.Pipelined = c.info.Requests > 0 && c.br.Buffered() > 0
		switch c.awaitRequest(wait) {
		case awaitParked:
			return
		case awaitClosed:
			c.close()
			return
		}
		if !c.state.CompareAndSwap(stateIdle, stateBusy) {
			c.close()
			return
		}
		c.setState(http.StateActive)
		if !headBuffered(c.br) {
			// client_header_timeout runs from the first byte.
			c.rdl.Set(c.nc.SetReadDeadline, time.Now(), lim.HeaderTimeout)
		}
		c.info.Requests++
		if c.info.Arrival == nil {
			c.info.Arrival = arrive()
		}
		c.srv.Stats.RequestStarted()
		// The write buffer is the connection's only while it answers:
		// an idle keep-alive connection holds none (10,000 idle clients
		// would otherwise hold 80 MB of them).
		c.bw = writers.Get().(*bufio.Writer)
		c.bw.Reset(c.nc)
		c.inRequest = true
		keep := c.serveOne(lim)
		c.info.Arrival.Settle()
		c.info.Arrival = nil
		c.inRequest = false
		c.srv.Stats.RequestDone()
		if !c.resp.hijacked {
			c.bw.Reset(nil)
			writers.Put(c.bw)
		}
		c.bw = nil
		if !keep || !c.state.CompareAndSwap(stateBusy, stateIdle) {
			c.close()
			return
		}
		c.setState(http.StateIdle)
		wait = c.info.IdleTimeout
		if wait <= 0 {
			c.close()
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
