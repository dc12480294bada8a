package httpd

// h3.go serves HTTP/3 on a "listen ... quic" UDP socket. QUIC and HTTP/3
// are quic-go's; every request stream goes to the same Handler as an
// HTTP/1.x or HTTP/2 request, through the HTTP/2 stream adapter (h2.go),
// so phases, variables, logs and metrics are the engine's. The TLS
// configuration and the QUIC settings are asked of the handler for each
// connection: a reload changes them for the next client without a new
// socket, and connections in flight keep theirs.

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// H3Settings are the QUIC settings of one listen address, chosen by the
// handler from the configuration in force.
type H3Settings struct {
	MaxConcurrentStreams int64         // http3_max_concurrent_streams
	StreamBufferSize     int64         // http3_stream_buffer_size
	IdleTimeout          time.Duration // keepalive_timeout
	Retry                bool          // quic_retry
	HostKey              []byte        // quic_host_key's contents (nil: a random key)
}

// H3Handler is a Handler that also serves HTTP/3.
type H3Handler interface {
	Handler
	// QUICTLSConfig answers a handshake on listen address name.
	QUICTLSConfig(name string, hello *tls.ClientHelloInfo) (*tls.Config, error)
	// HTTP3 returns the settings of listen address name.
	HTTP3(name string) H3Settings
}

// QUICListener is one UDP socket serving HTTP/3.
type QUICListener struct {
	srv  *Server
	name string
	pc   net.PacketConn
	tr   *quic.Transport
	ln   *quic.Listener
	hs   *http3.Server
	// mu guards the live connections and their requests in flight: a
	// graceful stop closes those with none at once (a client that went
	// away would otherwise hold the stop until its idle timeout), the
	// others when their last request ends, as nginx does.
	mu       sync.Mutex
	conns    map[*quic.Conn]int
	draining bool
}

type (
	h3ConnKey     struct{}
	h3QUICConnKey struct{}
)

// ServeQUIC starts serving HTTP/3 on pc, the socket of listen address
// name, whose settings are set at first (the host key stays; the others
// are asked of the handler for each connection after). The handler must
// be an H3Handler.
func (s *Server) ServeQUIC(pc net.PacketConn, name string, set H3Settings) (*QUICListener, error) {
	h, ok := s.Handler.(H3Handler)
	if !ok {
		return nil, errors.New("httpd: the handler does not serve HTTP/3")
	}
	tr := &quic.Transport{Conn: pc,
		VerifySourceAddress: func(net.Addr) bool { return h.HTTP3(name).Retry }}
	if set.HostKey != nil {
		// nginx derives its reset and token keys from the host key, so
		// they hold across restarts and between processes sharing it.
		rk := quic.StatelessResetKey(sha256.Sum256(append([]byte("stateless reset "), set.HostKey...)))
		tk := quic.TokenGeneratorKey(sha256.Sum256(append([]byte("token "), set.HostKey...)))
		tr.StatelessResetKey, tr.TokenGeneratorKey = &rk, &tk
	}
	q := &QUICListener{srv: s, name: name, pc: pc, tr: tr, conns: map[*quic.Conn]int{}}
	tc := &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		return h.QUICTLSConfig(name, hello)
	}}
	base := quicConfig(set)
	base.GetConfigForClient = func(*quic.ClientInfo) (*quic.Config, error) {
		return quicConfig(h.HTTP3(name)), nil
	}
	// Not http3.ConfigureTLSConfig: it would offer "h3" whatever the
	// handler says ("http3 off").
	ln, err := tr.Listen(tc, base)
	if err != nil {
		tr.Close()
		return nil, err
	}
	q.ln = ln
	q.hs = &http3.Server{Handler: http.HandlerFunc(q.serveStream), MaxHeaderBytes: 1 << 20,
		ConnContext: q.connContext}
	go q.hs.ServeListener(ln)
	return q, nil
}

// quicConfig is the quic-go configuration for a connection.
func quicConfig(set H3Settings) *quic.Config {
	c := &quic.Config{MaxIdleTimeout: set.IdleTimeout, Allow0RTT: false}
	if set.MaxConcurrentStreams > 0 {
		c.MaxIncomingStreams = set.MaxConcurrentStreams
	} else {
		c.MaxIncomingStreams = -1 // "0": no request streams
	}
	if set.StreamBufferSize > 0 {
		// nginx's stream buffer bounds what a client may send ahead on
		// a stream: the window stays that size.
		c.InitialStreamReceiveWindow = uint64(set.StreamBufferSize)
		c.MaxStreamReceiveWindow = uint64(set.StreamBufferSize)
	}
	if c.MaxIdleTimeout <= 0 {
		c.MaxIdleTimeout = 75 * time.Second
	}
	return c
}

// connContext makes the engine's view of a new QUIC connection: counted,
// told to the ConnState hook, forgotten when the connection ends.
func (q *QUICListener) connContext(ctx context.Context, qc *quic.Conn) context.Context {
	s := q.srv
	st := qc.ConnectionState().TLS
	info := Conn{ID: connIDs.Add(1), Local: qc.LocalAddr(), Remote: qc.RemoteAddr(), Start: time.Now(),
		Listener: q.name, TLS: &st, Stats: &s.Stats, KeepAlive: true}
	info.ctx, info.cancel = context.WithCancel(qc.Context())
	hc := &h2Conn{srv: s, h: s.Handler, base: info,
		goAway: func() { qc.CloseWithError(quic.ApplicationErrorCode(http3.ErrCodeExcessiveLoad), "") }}
	q.mu.Lock()
	q.conns[qc] = 0
	q.mu.Unlock()
	s.Stats.Accepted()
	if s.ConnState != nil {
		s.ConnState(&hc.base, http.StateNew)
		s.ConnState(&hc.base, http.StateActive)
	}
	context.AfterFunc(qc.Context(), func() {
		q.mu.Lock()
		delete(q.conns, qc)
		q.mu.Unlock()
		info.cancel()
		if s.ConnState != nil {
			s.ConnState(&hc.base, http.StateClosed)
		}
		s.Stats.Closed()
	})
	return context.WithValue(context.WithValue(ctx, h3ConnKey{}, hc), h3QUICConnKey{}, qc)
}

// serveStream serves one request stream as the HTTP/2 adapter does.
func (q *QUICListener) serveStream(w http.ResponseWriter, r *http.Request) {
	hc, _ := r.Context().Value(h3ConnKey{}).(*h2Conn)
	if hc == nil {
		panic(http.ErrAbortHandler)
	}
	qc := r.Context().Value(h3QUICConnKey{}).(*quic.Conn)
	q.mu.Lock()
	q.conns[qc]++
	q.mu.Unlock()
	defer q.requestDone(qc)
	q.srv.Stats.RequestStarted()
	q.srv.Stats.HeadRead()
	defer q.srv.Stats.RequestDone()
	if !h2HeaderLimits(r, hc.h.Limits(&hc.base)) {
		// The stream is reset and the connection ends.
		hc.goAway()
		panic(http.ErrAbortHandler)
	}
	hc.ServeHTTP(w, r)
}

// requestDone closes a draining connection after its last request.
func (q *QUICListener) requestDone(qc *quic.Conn) {
	q.mu.Lock()
	q.conns[qc]--
	idle := q.draining && q.conns[qc] <= 0
	q.mu.Unlock()
	if idle {
		// After the response is on its way: quic-go sends what the
		// stream holds before the CONNECTION_CLOSE.
		time.AfterFunc(100*time.Millisecond, func() { qc.CloseWithError(quic.ApplicationErrorCode(http3.ErrCodeNoError), "") })
	}
}

// drain closes the connections with no request in flight and marks the
// others to close after their last one.
func (q *QUICListener) drain() {
	q.mu.Lock()
	q.draining = true
	var idle []*quic.Conn
	for qc, n := range q.conns {
		if n <= 0 {
			idle = append(idle, qc)
		}
	}
	q.mu.Unlock()
	for _, qc := range idle {
		qc.CloseWithError(quic.ApplicationErrorCode(http3.ErrCodeNoError), "")
	}
}

// Addr is the socket's address.
func (q *QUICListener) Addr() net.Addr { return q.pc.LocalAddr() }

// Shutdown stops taking connections and tells the clients to open no
// more requests (GOAWAY); it returns once the connections are gone or
// ctx ends, and closes the socket.
func (q *QUICListener) Shutdown(ctx context.Context) error {
	q.drain()
	err := q.hs.Shutdown(ctx)
	q.ln.Close()
	q.tr.Close()
	return err
}

// Close ends every connection at once and closes the socket.
func (q *QUICListener) Close() error {
	err := q.hs.Close()
	q.ln.Close()
	q.tr.Close()
	return err
}
