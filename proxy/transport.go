package proxy

// transport.go is a minimal HTTP/1.x client for upstreams. It exists
// instead of http.Transport because nginx's semantics need the request
// line it sends (HTTP/1.0 by default), headers exactly as configured, a
// keep-alive pool per upstream sized by "keepalive", and no goroutines
// per connection: measured here, http.Transport costs the proxy path
// more than half of its throughput.

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"goproxy/httpd"
)

// upConn is one connection to a peer.
type upConn struct {
	nc       net.Conn
	raw      net.Conn // below TLS: closing it ends a read or write at once
	br       *bufio.Reader
	bw       *bufio.Writer
	peer     *peer
	requests int
	born     time.Time
	idleAt   time.Time
	nread    int64 // bytes read from the peer, for $upstream_bytes_received
	rdl, wdl httpd.Deadline
	// broken says the protocol saw the exchange end wrong (memcached's
	// trailer): the connection is not kept.
	broken bool
	// wire is the protocol's state kept with the connection (gRPC's
	// HTTP/2 session).
	wire any
}

// connReader counts what is read from an upstream connection.
type connReader struct{ c *upConn }

func (r connReader) Read(p []byte) (int, error) {
	n, err := r.c.nc.Read(p)
	r.c.nread += int64(n)
	return n, err
}

// pool keeps idle upstream connections per peer address, at most the
// upstream's keepalive count in all.
type pool struct {
	mu     sync.Mutex
	idle   map[string][]*upConn // per peer, oldest first
	n      int                  // idle connections in all
	closed bool                 // its group is released: connections are not kept
}

func newPool() *pool { return &pool{idle: map[string][]*upConn{}} }

func (p *pool) get(addr string, idleTimeout time.Duration, now time.Time) *upConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.idle[addr]
	for len(list) > 0 {
		c := list[len(list)-1]
		list = list[:len(list)-1]
		p.idle[addr] = list
		p.n--
		if idleTimeout > 0 && now.Sub(c.idleAt) > idleTimeout {
			c.nc.Close()
			continue
		}
		return c
	}
	return nil
}

// put returns a connection; max is the upstream's "keepalive" count,
// which bounds the idle connections of the whole group as nginx's cache
// does: when it is full, the least recently used one is closed to make
// room, whichever peer it goes to. now is the time it becomes idle.
func (p *pool) put(c *upConn, max int, now time.Time) {
	c.idleAt = now
	p.mu.Lock()
	if p.closed || max <= 0 {
		p.mu.Unlock()
		c.nc.Close()
		return
	}
	for p.n >= max {
		p.evictOldest()
	}
	p.idle[c.peer.addr] = append(p.idle[c.peer.addr], c)
	p.n++
	p.mu.Unlock()
}

// evictOldest closes the idle connection that waited longest.
func (p *pool) evictOldest() {
	var oldest string
	found := false
	for addr, list := range p.idle {
		if len(list) > 0 && (!found || list[0].idleAt.Before(p.idle[oldest][0].idleAt)) {
			oldest, found = addr, true
		}
	}
	if !found {
		p.n = 0
		return
	}
	list := p.idle[oldest]
	list[0].nc.Close()
	p.idle[oldest] = list[1:]
	p.n--
}

// close closes the idle connections and those put back later.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for addr, list := range p.idle {
		for _, c := range list {
			c.nc.Close()
		}
		delete(p.idle, addr)
	}
	p.n = 0
}

// attempt describes one try of one request against one peer.
type attempt struct {
	h           *handler
	start       time.Time // for $upstream_response_time at the body's end
	sendAt      time.Time // when the request is sent
	headAt      time.Time // when the response head was read
	st          *state
	peer        *peer
	req         *http.Request
	proto       string // "HTTP/1.0" or "HTTP/1.1"
	uri         string
	connectTO   time.Duration
	local       *Local // *_bind
	keepaliveOn bool   // *_socket_keepalive
	readTO      time.Duration
	sendTO      time.Duration
	keepalive   int // idle connections allowed; 0 = close after use
	kaRequests  int
	kaTimeout   time.Duration
	kaTime      time.Duration
	body        []byte // a buffered body, replayable across tries
	stream      io.Reader
	length      int64 // -1: chunked
	connectTime time.Duration
	headerTime  time.Duration
	bytesSent   int64
	sentRequest bool
	dialFailed  bool
	timedOut    bool
	invalidHead bool
	sendFailed  bool               // writing the request failed
	http09      bool               // the response had no status line
	names       []httpd.HeaderName // the response's header names as sent
	maxHead     int                // proxy_buffer_size: the response head's limit
	conn        *upConn
	read0       int64  // conn.nread when the attempt began
	bodyStart   int64  // conn.nread less what was buffered, after the head
	tls         *upTLS // for https upstreams
	tlsTarget   tlsTarget
}

var bufReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 8192) }}
var bufWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 8192) }}

func (p *pool) dial(ctx context.Context, pe *peer, a *attempt) (*upConn, error) {
	start := time.Now()
	nc, err := Dialer(pe.network, a.connectTO, a.local, a.keepaliveOn).DialContext(ctx, pe.network, pe.addr)
	if err != nil {
		return nil, err
	}
	raw := nc
	if a.tls != nil {
		nc.SetDeadline(time.Now().Add(a.connectTO))
		tc, err := a.tls.handshake(ctx, nc, &a.tlsTarget)
		if err != nil {
			nc.Close()
			return nil, &handshakeError{err}
		}
		nc.SetDeadline(time.Time{})
		nc = tc
	}
	a.connectTime = time.Since(start)
	c := &upConn{nc: nc, raw: raw, peer: pe, born: start}
	c.br = bufReaders.Get().(*bufio.Reader)
	c.br.Reset(connReader{c})
	c.bw = bufWriters.Get().(*bufio.Writer)
	c.bw.Reset(nc)
	return c, nil
}

// handshakeError is a failed TLS handshake with an upstream: nginx
// logs it "while SSL handshaking to upstream", not as a connect().
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

func (c *upConn) close() {
	c.nc.Close()
}

// exchange sends the request on c and reads the response head.
func (p *pool) exchange(ctx context.Context, c *upConn, a *attempt) (*http.Response, error) {
	r := a.req
	a.conn, a.read0 = c, c.nread
	c.wdl.Set(c.nc.SetWriteDeadline, a.sendAt, a.sendTO)
	bw := c.bw
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(a.uri)
	bw.WriteByte(' ')
	bw.WriteString(a.proto)
	bw.WriteString("\r\n")
	n := int64(len(r.Method) + len(a.uri) + len(a.proto) + 4)
	n += a.writeHeaders(bw)
	bw.WriteString("\r\n")
	n += 2
	var err error
	switch {
	case a.body != nil:
		_, err = bw.Write(a.body)
		n += int64(len(a.body))
	case a.stream != nil:
		// The upstream gets the head at once and each piece of the body
		// as it arrives (proxy_request_buffering off); body bytes that
		// came with the client's head go out with this head in one
		// write, as nginx sends its preread buffer.
		if bufferedOf(a.stream) == 0 {
			err = bw.Flush()
		}
		if err == nil {
			var m int64
			m, err = writeStream(bw, a.stream, a.length < 0, func() {
				// proxy_send_timeout is between two writes, not for
				// the whole body.
				c.wdl.Set(c.nc.SetWriteDeadline, time.Now(), a.sendTO)
			})
			n += m
		}
	}
	if err == nil {
		err = bw.Flush()
	}
	a.bytesSent = n
	a.sentRequest = true
	if err != nil {
		a.sendFailed = true
		return nil, err
	}
	// The write deadline stays: the next request on this connection
	// moves it (see httpd.Deadline).
	max := a.maxHead
	if max <= 0 {
		max = defaultBufferSize
	}
	if c.br.Size() < max && c.br.Buffered() == 0 {
		c.br = bufio.NewReaderSize(connReader{c}, max)
	}
	// The read deadline runs from the request's end: what writing it
	// took is within the deadline's slack (httpd.Deadline), so the
	// sending time serves, but not after a streamed body.
	at := a.sendAt
	if a.stream != nil {
		at = later(at)
	}
	for {
		c.rdl.Set(c.nc.SetReadDeadline, at, a.readTO)
		resp, names, err := readResponse(c.br, max, r)
		if err == errHTTP09 {
			// nginx passes it on as an HTTP/0.9 body, all of it.
			a.http09 = true
			return &http.Response{StatusCode: 200, Proto: "HTTP/0.9", Header: http.Header{},
				Body: io.NopCloser(c.br), ContentLength: -1, Close: true, Request: r}, nil
		}
		if err != nil {
			var he *headError
			if errors.As(err, &he) {
				a.invalidHead = true
			}
			return nil, err
		}
		a.bodyStart = c.nread - int64(c.br.Buffered())
		a.names = names
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != 101 {
			// Interim responses are not passed on. (nginx 1.22 takes
			// them for the final one and sends the rest as its body.)
			at = later(at)
			continue
		}
		return resp, nil
	}
}

// writeStream copies a body, flushing each piece; chunked frames it.
func writeStream(w *bufio.Writer, r io.Reader, chunked bool, beforeWrite func()) (int64, error) {
	buf := make([]byte, 32<<10)
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			beforeWrite()
			if chunked {
				hdr := strconv.FormatInt(int64(n), 16) + "\r\n"
				w.WriteString(hdr)
				total += int64(len(hdr) + 2)
			}
			w.Write(buf[:n])
			if chunked {
				w.WriteString("\r\n")
			}
			total += int64(n)
			if ferr := w.Flush(); ferr != nil {
				return total, ferr
			}
		}
		if err == io.EOF {
			if chunked {
				w.WriteString("0\r\n\r\n")
				total += 5
			}
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// respBody gives the connection back to the pool when the body is read
// to its end, and closes it otherwise.
type respBody struct {
	rc       io.ReadCloser
	c        *upConn
	p        *pool
	reuse    bool
	max      int
	readTO   time.Duration
	done     bool
	received *int64
	// obs is told once of an error that cut the body short, of data
	// past the declared length, and of the body's end (read or dropped).
	obs bodyObserver
	n   int64
	// rate is proxy_limit_rate in bytes a second from startSec (the
	// whole second the response began in), 0 for none.
	rate     int64
	startSec int64
	headAt   time.Time // when the head was read (clock.go), if known
}

// pace holds a read back as nginx's event pipe does under
// proxy_limit_rate: by the end of each wall-clock second the body may
// have had rate bytes for every second begun since the start; a read
// past that waits for the next allowance and takes no more than it.
func (b *respBody) pace(p []byte) []byte {
	for {
		limit := b.rate*(time.Now().Unix()-b.startSec+1) - b.n
		if limit > 0 {
			if int64(len(p)) > limit {
				p = p[:limit]
			}
			return p
		}
		time.Sleep(time.Duration(-limit*1000/b.rate+1) * time.Millisecond)
	}
}

// bodyObserver follows an upstream body for logs and $upstream_*.
type bodyObserver interface {
	bodyFailed(err error)
	bodyExtra()
	// bodyEnd is told the time the body ended.
	bodyEnd(n int64, now time.Time)
	// keep says whether the connection may go back to the pool.
	keep(c *upConn) bool
}

func (b *respBody) Read(p []byte) (int, error) {
	if b.readTO > 0 && b.mayBlock() {
		b.c.rdl.Set(b.c.nc.SetReadDeadline, time.Now(), b.readTO)
	}
	if b.rate > 0 {
		p = b.pace(p)
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	if b.received != nil {
		*b.received += int64(n)
	}
	if err == io.EOF {
		if b.c.br.Buffered() > 0 && b.obs != nil {
			b.obs.bodyExtra()
		}
		b.finish(true)
	} else if err != nil && !b.done {
		if b.obs != nil {
			b.obs.bodyFailed(err)
		}
		b.finish(false)
	}
	return n, err
}

// mayBlock says whether reading the body may wait for the upstream: not
// when the rest of a body of known length is buffered already.
func (b *respBody) mayBlock() bool {
	lb, ok := b.rc.(*lengthBody)
	return !ok || int64(b.c.br.Buffered()) < lb.n
}

func (b *respBody) Close() error {
	// A response known to have no body is complete unread (an
	// intercepted memcached miss): its connection may be kept.
	b.finish(b.rc == http.NoBody)
	return nil
}

func (b *respBody) finish(eof bool) {
	if b.done {
		return
	}
	b.done = true
	var now time.Time
	if b.headAt.IsZero() {
		now = time.Now()
	} else {
		now = later(b.headAt)
	}
	if b.obs != nil {
		b.obs.bodyEnd(b.n, now)
	}
	b.c.peer.conns.Add(-1)
	if eof && b.reuse && !b.c.broken && b.c.br.Buffered() == 0 && (b.obs == nil || b.obs.keep(b.c)) {
		b.p.put(b.c, b.max, now)
		return
	}
	b.c.close()
}

// upgradeBody is the body of a 101 response: the raw connection, for
// ReverseProxy's tunnel.
type upgradeBody struct {
	c      *upConn
	closed sync.Once
}

func (u *upgradeBody) Read(p []byte) (int, error) {
	if u.c.br.Buffered() > 0 {
		return u.c.br.Read(p)
	}
	return u.c.nc.Read(p)
}
func (u *upgradeBody) Write(p []byte) (int, error) { return u.c.nc.Write(p) }
func (u *upgradeBody) Close() error {
	u.closed.Do(func() {
		u.c.peer.conns.Add(-1)
		u.c.nc.Close()
	})
	return nil
}

// reusable says whether a response leaves the connection usable.
func reusable(resp *http.Response, a *attempt, c *upConn) bool {
	if a.keepalive <= 0 || resp.Close || a.req.Close {
		return false
	}
	if strings.EqualFold(a.req.Header.Get("Connection"), "close") {
		return false
	}
	if a.kaRequests > 0 && c.requests >= a.kaRequests {
		return false
	}
	if a.kaTime > 0 && a.headAt.Sub(c.born) > a.kaTime {
		return false
	}
	return true
}
