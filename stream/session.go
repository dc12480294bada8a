package stream

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"goproxy/confparse"
	"goproxy/httpd"
	"goproxy/proxy"
)

// Session is one TCP connection or UDP "session" (the datagrams of one
// client address), as nginx's ngx_stream_session_t.
type Session struct {
	srv    *server
	listen *confparse.StreamListen
	conf   *confparse.StreamSrv
	number uint64
	start  time.Time
	udp    bool

	remoteAddr, remotePort string
	serverAddr, serverPort string

	status        int
	bytesSent     atomic.Int64 // to the client
	bytesReceived atomic.Int64 // from the client

	mu      sync.Mutex
	setVars map[string]string
	tries   []*upstreamTry
	pick    *pickState

	pp                 *ppInfo
	realAddr, realPort string // the connection's own, when realip changed them

	hello       *helloInfo
	tls         *tls.Conn
	tlsInfo     *httpd.Conn
	limitStatus string
	// early says the pre-access phase ran at accept; earlyOK its outcome.
	early, earlyOK bool
	held           []heldConn
}

// upstreamTry is one upstream connection attempt, for $upstream_*.
type upstreamTry struct {
	addr                                string
	sent, received                      atomic.Int64
	connectTime, firstByte, sessionTime string
}

func newSession(srv *server, l *confparse.StreamListen, n uint64) *Session {
	return &Session{srv: srv, listen: l, conf: &srv.conf.Srv, number: n, start: time.Now(),
		udp: l.Network == "udp", status: 200}
}

func splitAddr(a net.Addr) (host, port string) {
	if a == nil {
		return "", ""
	}
	if a.Network() == "unix" || a.Network() == "unixgram" {
		return "unix:", ""
	}
	h, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), ""
	}
	return h, p
}

func (s *Session) setAddrs(local, remote net.Addr) {
	s.remoteAddr, s.remotePort = splitAddr(remote)
	if s.listen.Network == "unix" {
		s.serverAddr, s.serverPort = "unix:"+s.listen.Addr, ""
		return
	}
	s.serverAddr, s.serverPort = splitAddr(local)
}

func ipOf(a string) net.IP { return net.ParseIP(a) }

// timeouts and sizes nginx defaults to when a directive is not written.
func durOr(d *time.Duration, def time.Duration) time.Duration {
	if d != nil {
		return *d
	}
	return def
}

// rate evaluates proxy_download_rate / proxy_upload_rate: a size, maybe
// made of variables (a value that is no size is no limit).
func (s *Session) rate(t *confparse.Template) int64 {
	if t == nil {
		return 0
	}
	n, ok := confparse.ParseSize(s.eval(t))
	if !ok {
		return 0
	}
	return n
}

func sizeOr(n *int64, def int64) int64 {
	if n != nil {
		return *n
	}
	return def
}

// serveTCP runs a connection through the phases.
func (s *Session) serveTCP(c net.Conn) {
	defer c.Close()
	if tc, ok := c.(*net.TCPConn); ok && (s.conf.TCPNodelay == nil || *s.conf.TCPNodelay) {
		tc.SetNoDelay(true)
	} else if ok {
		tc.SetNoDelay(false)
	}
	var client io.Reader = c
	defer s.releaseConns()
	defer s.log()
	if s.listen.ProxyProtocol {
		c.SetReadDeadline(time.Now().Add(durOr(s.conf.ProxyProtocolTimeout, 30*time.Second)))
		br := bufio.NewReaderSize(c, 256)
		if err := s.readProxyProtocol(br); err != nil {
			s.status = 400
			return
		}
		c.SetReadDeadline(time.Time{})
		client = br
		s.realip()
	}
	if s.early {
		if !s.earlyOK {
			return
		}
	} else if !s.preaccess() {
		return
	}
	if !s.access() {
		return
	}
	if s.listen.SSL {
		// The handshake reads what the PROXY header left buffered.
		var ok bool
		if c, ok = s.handshake(&bufConn{Conn: c, r: client}); !ok {
			return
		}
		defer c.Close()
		client = c
	}
	// What preread reads is counted when it goes on.
	r, ok := s.preread(c, client)
	if !ok {
		return
	}
	cc := &clientConn{Conn: c, r: r, s: s}
	switch {
	case s.srv.conf.Return != nil:
		v := s.eval(s.srv.conf.Return)
		if _, err := cc.Write([]byte(v)); err != nil {
			s.status = 200
		}
	case s.srv.conf.ProxyPass != nil:
		s.proxyTCP(cc)
	}
}

// bufConn is a connection whose reads come through r (a reader that
// buffered the PROXY header).
type bufConn struct {
	net.Conn
	r io.Reader
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// clientConn counts the client's bytes both ways.
type clientConn struct {
	net.Conn
	r io.Reader
	s *Session
}

func (c *clientConn) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.s.bytesReceived.Add(int64(n))
	return n, err
}

func (c *clientConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.s.bytesSent.Add(int64(n))
	return n, err
}

// preaccess runs the set directives and limit_conn (the pre-access
// phase's modules).
func (s *Session) preaccess() bool {
	for _, st := range s.srv.conf.Sets {
		v := s.eval(st.Value)
		s.mu.Lock()
		if s.setVars == nil {
			s.setVars = map[string]string{}
		}
		s.setVars[st.Name] = v
		s.mu.Unlock()
	}
	return s.limitConn()
}

// access is ngx_stream_access_module: the first matching rule decides.
func (s *Session) access() bool {
	ip := net.ParseIP(s.remoteAddr)
	for _, r := range s.conf.Access {
		match := r.All
		switch {
		case r.Unix:
			match = s.remoteAddr == "unix:"
		case r.Net != nil:
			match = ip != nil && r.Net.Contains(ip)
		}
		if match {
			if r.Deny {
				s.status = 403
				s.srv.log(confparse.LevelError, "access forbidden by rule, client: "+s.remoteAddr+", server: "+s.serverAddr+":"+s.serverPort)
				return false
			}
			return true
		}
	}
	return true
}

// proxyTCP is ngx_stream_proxy_module for a TCP session.
func (s *Session) proxyTCP(c *clientConn) {
	up, err := s.connect(func(network, addr string, timeout time.Duration) (net.Conn, error) {
		c, err := s.dial(network, addr, timeout)
		if err != nil || s.srv.upTLS == nil {
			return c, err
		}
		return s.upstreamTLS(c, timeout)
	})
	if err != nil || up == nil {
		s.status = failStatus(err)
		return
	}
	defer up.Close()
	defer s.pick.done()
	t := s.tries[len(s.tries)-1]
	if tc, ok := up.(*net.TCPConn); ok && (s.conf.TCPNodelay == nil || *s.conf.TCPNodelay) {
		tc.SetNoDelay(true)
	}
	if s.conf.ProxyProtocol != nil && *s.conf.ProxyProtocol {
		hdr := s.proxyProtocolHeader()
		n, _ := up.Write([]byte(hdr))
		t.sent.Add(int64(n))
	}
	s.pipe(c, up, t)
}

// dial connects to an upstream as http's proxy does: from proxy_bind's
// address if any, with proxy_socket_keepalive.
func (s *Session) dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	local, invalid := proxy.EvalBind(s.conf.ProxyBind, s.eval)
	if invalid != "" {
		s.srv.log(confparse.LevelError, "invalid local address \""+invalid+"\", client: "+s.remoteAddr)
	}
	ka := s.conf.ProxySocketKeepalive != nil && *s.conf.ProxySocketKeepalive
	return proxy.Dialer(network, timeout, local, ka).Dial(network, addr)
}

// upstreamTLS is proxy_ssl: the handshake with the upstream, named by
// proxy_ssl_name (by default the host of proxy_pass).
func (s *Session) upstreamTLS(c net.Conn, timeout time.Duration) (net.Conn, error) {
	t := &s.conf.ProxyTLS
	name := s.eval(s.srv.conf.ProxyPass)
	if h, _, err := net.SplitHostPort(name); err == nil {
		name = h
	}
	if t.SSLName != nil {
		name = s.eval(t.SSLName)
		if h, _, err := net.SplitHostPort(name); err == nil {
			name = h
		}
	}
	sni := ""
	if *t.SSLServerName && net.ParseIP(name) == nil {
		sni = name
	}
	var cp, kp string
	if s.srv.upTLS.VariableCert() {
		cp, kp = s.eval(t.SSLCertificate), s.eval(t.SSLCertificateKey)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tc, err := s.srv.upTLS.Handshake(ctx, c, sni, name, cp, kp)
	if err != nil {
		c.Close()
		s.srv.log(confparse.LevelError, err.Error()+" while SSL handshaking to upstream, client: "+s.remoteAddr)
		return nil, err
	}
	return tc, nil
}

// proxyProtocolHeader is the PROXY v1 line nginx sends upstream.
func (s *Session) proxyProtocolHeader() string {
	ip := net.ParseIP(s.remoteAddr)
	if ip == nil {
		return "PROXY UNKNOWN\r\n"
	}
	fam := "TCP4"
	if ip.To4() == nil {
		fam = "TCP6"
	}
	return "PROXY " + fam + " " + s.remoteAddr + " " + s.serverAddr + " " + s.remotePort + " " + s.serverPort + "\r\n"
}

// pipe copies both ways until both sides are done, or nothing moved
// for proxy_timeout.
func (s *Session) pipe(c *clientConn, up net.Conn, t *upstreamTry) {
	timeout := durOr(s.conf.ProxyTimeout, 10*time.Minute)
	bufSize := sizeOr(s.conf.ProxyBufferSize, 16384)
	halfClose := s.conf.ProxyHalfClose != nil && *s.conf.ProxyHalfClose
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	var firstOnce sync.Once
	connected := time.Now()
	done := make(chan struct{}, 2)
	var closeOnce sync.Once
	closeAll := func() {
		// The peer is free before the client sees the close: the
		// client's next session finds it so.
		closeOnce.Do(func() { s.pick.done(); c.Conn.Close(); up.Close() })
	}
	cp := func(dst io.Writer, src io.Reader, rate int64, count func(int), first bool, dstConn net.Conn) {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, bufSize)
		lim := newLimiter(rate)
		for {
			n, err := src.Read(lim.clamp(buf))
			if n > 0 {
				last.Store(time.Now().UnixNano())
				if first {
					firstOnce.Do(func() { t.firstByte = msecs(time.Since(connected)) })
				}
				if _, werr := dst.Write(buf[:n]); werr != nil {
					closeAll()
					return
				}
				count(n)
				lim.passed(n)
			}
			if err != nil {
				if halfClose && errors.Is(err, io.EOF) {
					if cw, ok := dstConn.(interface{ CloseWrite() error }); ok {
						cw.CloseWrite()
						return
					}
				}
				closeAll()
				return
			}
		}
	}
	go cp(up, c, s.rate(s.conf.ProxyUploadRate), func(n int) { t.sent.Add(int64(n)) }, false, up)
	go cp(c, up, s.rate(s.conf.ProxyDownloadRate), func(n int) { t.received.Add(int64(n)) }, true, c.Conn)
	tick := time.NewTicker(timeoutTick(timeout))
	defer tick.Stop()
	finished := 0
	for finished < 2 {
		select {
		case <-done:
			finished++
		case <-tick.C:
			if time.Since(time.Unix(0, last.Load())) >= timeout {
				s.srv.log(confparse.LevelInfo, "upstream timed out (110: Connection timed out) while proxying connection, client: "+s.remoteAddr)
				closeAll()
			}
		}
	}
	t.sessionTime = msecs(time.Since(connected))
}

func timeoutTick(d time.Duration) time.Duration {
	t := d / 10
	if t < 5*time.Millisecond {
		t = 5 * time.Millisecond
	}
	if t > time.Second {
		t = time.Second
	}
	return t
}

// limiter is proxy_upload_rate / proxy_download_rate, nginx's way:
// after n bytes pass, the next read waits n/rate seconds; and by then at
// most rate * (whole seconds since the start + 1) bytes may have passed
// (ngx_time() has whole seconds).
type limiter struct {
	rate  int64
	start time.Time
	total int64
	until time.Time
}

func newLimiter(rate int64) *limiter { return &limiter{rate: rate, start: time.Now()} }

func (l *limiter) allowed() int64 {
	return l.rate*(time.Now().Unix()-l.start.Unix()+1) - l.total
}

// before waits until the next bytes may pass and returns how many may.
func (l *limiter) before() int64 {
	if d := time.Until(l.until); d > 0 {
		time.Sleep(d)
	}
	a := l.allowed()
	for ; a <= 0; a = l.allowed() {
		time.Sleep(time.Duration(-a)*time.Second/time.Duration(l.rate) + time.Millisecond)
	}
	return a
}

// clamp waits until some bytes may pass, and keeps one read within
// what may.
func (l *limiter) clamp(b []byte) []byte {
	if l.rate <= 0 {
		return b
	}
	if a := l.before(); a < int64(len(b)) {
		return b[:a]
	}
	return b
}

// passed counts n bytes that went through.
func (l *limiter) passed(n int) {
	if l.rate <= 0 {
		return
	}
	l.total += int64(n)
	l.until = time.Now().Add(time.Duration(n) * time.Second / time.Duration(l.rate))
}

var errNoUpstream = errors.New("no live upstreams")

// internalError is a failure nginx ends the session for with 500, not 502.
type internalError struct{ msg string }

func (e *internalError) Error() string { return e.msg }

// failStatus is the status a failed connect ends the session with.
func failStatus(err error) int {
	var ie *internalError
	if errors.As(err, &ie) {
		return 500
	}
	return 502
}

type dialer func(network, addr string, timeout time.Duration) (net.Conn, error)

// connect picks upstream servers and connects, trying the next one on
// failure as proxy_next_upstream allows.
func (s *Session) connect(dial dialer) (net.Conn, error) {
	target := s.eval(s.srv.conf.ProxyPass)
	connTimeout := durOr(s.conf.ProxyConnectTimeout, 60*time.Second)
	network := "tcp"
	if s.udp {
		network = "udp"
	}
	up := s.srv.rt.upstreams[target]
	if up == nil {
		// An address: host:port, or unix:path.
		addrs, err := s.resolve(target)
		if err != nil {
			s.srv.log(confparse.LevelError, err.Error())
			return nil, err
		}
		up = adhocUpstream(addrs)
	}
	tries := 0
	maxTries := 0
	if s.conf.ProxyNextUpstreamTries != nil {
		maxTries = *s.conf.ProxyNextUpstreamTries
	}
	next := s.conf.ProxyNextUpstream == nil || *s.conf.ProxyNextUpstream
	var deadline time.Time
	if s.conf.ProxyNextUpstreamTimeout != nil && *s.conf.ProxyNextUpstreamTimeout > 0 {
		deadline = s.start.Add(*s.conf.ProxyNextUpstreamTimeout)
	}
	st := up.newState(s)
	s.pick = st
	for {
		p := st.pick()
		if p == nil {
			s.srv.log(confparse.LevelError, "no live upstreams while connecting to upstream, client: "+s.remoteAddr)
			return nil, errNoUpstream
		}
		tries++
		t := &upstreamTry{addr: p.addr}
		s.mu.Lock()
		s.tries = append(s.tries, t)
		s.mu.Unlock()
		nw, addr := network, p.addr
		if strings.HasPrefix(addr, "unix:") {
			nw, addr = "unix", addr[5:]
		}
		began := time.Now()
		c, err := dial(nw, addr, connTimeout)
		t.connectTime = msecs(time.Since(began))
		if err == nil {
			st.connected(p)
			return c, nil
		}
		t.connectTime = "-"
		t.sessionTime = msecs(time.Since(began))
		if a, ok := proxy.BindFailed(err); ok {
			// nginx ends the session: no next upstream.
			msg := "bind(" + a + ") failed (" + confparse.ErrnoText(err) + ") while connecting to upstream"
			s.srv.log(confparse.LevelCrit, msg+", client: "+s.remoteAddr+", upstream: \""+p.addr+"\"")
			return nil, &internalError{msg}
		}
		st.failed(p)
		s.srv.log(confparse.LevelError, "connect() failed while connecting to upstream, client: "+s.remoteAddr+", upstream: \""+p.addr+"\"")
		if !next || (maxTries > 0 && tries >= maxTries) || (!deadline.IsZero() && time.Now().After(deadline)) {
			return nil, err
		}
	}
}

// resolve turns "host:port" or "unix:path" into addresses.
func (s *Session) resolve(target string) ([]string, error) {
	if strings.HasPrefix(target, "unix:") {
		return []string{target}, nil
	}
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return nil, errors.New("no port in upstream \"" + target + "\"")
	}
	if _, err := strconv.Atoi(port); err != nil {
		return nil, errors.New("invalid port in upstream \"" + target + "\"")
	}
	if ip := net.ParseIP(host); ip != nil {
		return []string{net.JoinHostPort(ip.String(), port)}, nil
	}
	if up := s.srv.rt.upstreams[host]; up != nil {
		return nil, errors.New("upstream \"" + host + "\" may not have port " + port)
	}
	var ips []string
	if s.srv.resolver != nil {
		ips, err = s.srv.resolver.Resolve(context.Background(), host)
	} else if !s.srv.conf.ProxyPass.IsConst() {
		return nil, &internalError{"no resolver defined to resolve " + host}
	} else {
		// A name written in the configuration: nginx resolved it at
		// load, with the system's resolver.
		var addrs []net.IP
		addrs, err = net.LookupIP(host)
		for _, ip := range addrs {
			ips = append(ips, ip.String())
		}
	}
	if err != nil || len(ips) == 0 {
		return nil, errors.New(host + " could not be resolved (3: Host not found)")
	}
	var out []string
	for _, ip := range ips {
		out = append(out, net.JoinHostPort(ip, port))
	}
	return out, nil
}
