package proxy

// roundtrip.go sends a request upstream as nginx's upstream module does:
// it picks peers, counts their failures, moves to the next one on the
// failures proxy_next_upstream lists, records the $upstream_* values of
// each try, and logs with nginx's texts.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// RoundTrip implements http.RoundTripper: choose a peer, send, and try
// the next peer on the failures proxy_next_upstream lists.
func (h *handler) RoundTrip(out *http.Request) (*http.Response, error) {
	st := stateOf(out)
	rq := st.rq
	if st.noUA {
		delete(out.Header, "User-Agent")
	}
	g := st.group
	g.refresh(out.Context(), false)
	pl := &h.loc.Proxy
	proto := "HTTP/1.0"
	if *pl.HTTPVersion == "1.1" {
		proto = "HTTP/1.1"
	}
	// One reading serves the first try: its deadline, peer choice,
	// pooled connection's idle time and send deadline (clock.go).
	began := rq.Start
	if began.IsZero() {
		began = time.Now()
	} else {
		began = later(began)
	}
	deadline := time.Time{}
	if t := *pl.NextUpstreamTimeout; t > 0 {
		deadline = began.Add(t)
	}
	tried := map[*peer]bool{}
	rq.Upstream.Timer = g.metricsTimer()
	var hs *hashState
	switch g.conf.Balance {
	case "ip_hash":
		ip, _ := rq.RemoteAddrPort()
		hs = newIPHashState(ip)
	case "hash":
		hs = &hashState{key: rq.Eval(g.conf.HashKey)}
	}
	// Like nginx's peer.tries: every peer once at most, fewer with
	// proxy_next_upstream_tries.
	left := g.tries()
	if t := *pl.NextUpstreamTries; t > 0 && left > t {
		left = t
	}
	first := true
	for start := began; ; first = false {
		if !first {
			start = later(began)
		}
		p := g.pick(tried, hs, start)
		if p == nil {
			if err := g.lookupErr(); err != nil && first {
				name := g.name
				if g.request {
					// nginx names the host it resolved, without the port.
					name = g.servers[0].host
				}
				h.c.errs.Request(rq, confparse.LevelError, name+" could not be resolved ("+err.Error()+")")
				g.refresh(out.Context(), true)
				// nginx fails before it connects: no upstream state, so
				// $upstream_addr and $upstream_status stay empty.
			} else {
				h.c.errs.RequestUpstream(rq, confparse.LevelError, "no live upstreams while connecting to upstream",
					st.scheme+"://"+g.name+st.uri)
				st.upstreams = append(st.upstreams, g.name)
				rq.Upstream.Addr = append(rq.Upstream.Addr, g.name)
				rq.Upstream.Status = append(rq.Upstream.Status, "502")
			}
			st.status = 502
			return nil, errNoLive
		}
		tried[p] = true
		left--
		a := h.newAttempt(out, st, proto)
		a.start = start
		resp, err := h.try(out.Context(), p, a, st)
		u := rq.Upstream
		u.Addr = append(u.Addr, p.addr)
		u.ConnectTime = append(u.ConnectTime, secs(a.connectTime, a.connectTime > 0 || err == nil))
		if err != nil && st.clientGone() {
			// Not the peer's failure: no next upstream, no fail count.
			h.clientAborted(st, abortPhase(a), st.upstreamURL(p))
			failedTry(u, a, "-", start)
			st.status = 499
			return nil, errClientClosed
		}
		if addr, ok := BindFailed(err); ok && a.dialFailed {
			// nginx gives up on the request: no next upstream, and
			// the try has no peer and no status in $upstream_*.
			h.c.errs.RequestUpstream(rq, confparse.LevelCrit, "bind("+addr+") failed ("+confparse.ErrnoText(err)+") while connecting to upstream", st.upstreamURL(p))
			u.Addr[len(u.Addr)-1] = ""
			failedTry(u, a, "-", start)
			st.status = 500
			return nil, err
		}
		if err != nil {
			status, reason := h.classify(err, a)
			while := reason[strings.LastIndex(reason, " while "):]
			// nginx logs a timeout after counting it against the peer,
			// other errors before.
			if a.timedOut {
				h.fail(rq, g, p, while, st.upstreamURL(p))
			}
			h.c.errs.RequestUpstream(rq, confparse.LevelError, reason, st.upstreamURL(p))
			if !a.timedOut {
				h.fail(rq, g, p, while, st.upstreamURL(p))
			}
			if status == 502 && a.dialFailed {
				// A refused connection may mean the container moved.
				g.refresh(out.Context(), true)
			}
			failedTry(u, a, httpcore.StatusString(status), start)
			st.status = status
			if left > 0 && h.retry(a, deadline, out.Method) {
				continue
			}
			return nil, err
		}
		if a.http09 {
			h.c.errs.RequestUpstream(rq, confparse.LevelError,
				errHTTP09.msg+" while reading response header from upstream", st.upstreamURL(p))
			st.http09 = true
		}
		u.Status = append(u.Status, httpcore.StatusString(resp.StatusCode))
		u.HeaderTime = append(u.HeaderTime, secs(a.headerTime, true))
		u.ResponseTime = append(u.ResponseTime, secs(a.headAt.Sub(start), true))
		if left > 0 && nextOnStatus(pl.NextUpstream, resp.StatusCode) && h.canRetry(a, deadline, out.Method) {
			resp.Body.Close()
			// 403 and 404 move on without counting against the peer.
			if resp.StatusCode != 403 && resp.StatusCode != 404 {
				h.fail(rq, g, p, " while reading response header from upstream", st.upstreamURL(p))
			}
			continue
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			st.hop = hopHeaders(resp.Header)
		}
		st.names = a.names
		g.succeeded(p)
		rq.Upstream.Elapsed = a.headAt.Sub(began)
		return resp, nil
	}
}

// failedTry records the $upstream_* values of an attempt that got no
// response.
func failedTry(u *httpcore.UpstreamInfo, a *attempt, status string, start time.Time) {
	u.Status = append(u.Status, status)
	u.ResponseTime = append(u.ResponseTime, secs(time.Since(start), true))
	u.HeaderTime = append(u.HeaderTime, "-")
	recordBytes(u, a)
}

// recordBytes ends an attempt's $upstream_bytes_sent,
// $upstream_bytes_received and $upstream_response_length.
// The response length is the body as received, chunk framing included.
func recordBytes(u *httpcore.UpstreamInfo, a *attempt) {
	var got, body int64
	if c := a.conn; c != nil {
		got = c.nread - a.read0
		if a.bodyStart > 0 {
			body = c.nread - int64(c.br.Buffered()) - a.bodyStart
		}
	}
	u.BytesSent = append(u.BytesSent, strconv.FormatInt(a.bytesSent, 10))
	u.BytesReceived = append(u.BytesReceived, strconv.FormatInt(got, 10))
	u.ResponseLength = append(u.ResponseLength, strconv.FormatInt(body, 10))
}

// fail counts a failure against a peer, and warns as nginx does when it
// is disabled for fail_timeout.
func (h *handler) fail(rq *httpcore.Request, g *group, p *peer, while, upstream string) {
	if g.failed(p) {
		h.c.errs.RequestUpstream(rq, confparse.LevelWarn, "upstream server temporarily disabled"+while, upstream)
	}
}

var errNoLive = errors.New("no live upstreams")

func (h *handler) newAttempt(out *http.Request, st *state, proto string) *attempt {
	pl := &h.loc.Proxy
	a := &attempt{h: h, st: st, req: out, proto: proto, uri: st.uri, connectTO: *pl.ConnectTimeout,
		readTO: *pl.ReadTimeout, sendTO: *pl.SendTimeout, length: 0, maxHead: defaultBufferSize,
		keepaliveOn: *pl.SocketKeepalive}
	if !st.bound {
		// *_bind is evaluated once a request, as nginx does.
		var invalid string
		st.local, invalid = EvalBind(pl.Bind, st.rq.Eval)
		if invalid != "" {
			h.c.errs.Request(st.rq, confparse.LevelError, "invalid local address \""+invalid+"\"")
		}
		st.bound = true
	}
	a.local = st.local
	if pl.BufferSize != nil {
		a.maxHead = int(*pl.BufferSize)
	}
	g := st.group
	a.keepalive = g.conf.Keepalive
	if g.conf.KeepaliveRequests != nil {
		a.kaRequests = *g.conf.KeepaliveRequests
	} else {
		a.kaRequests = 1000
	}
	a.kaTimeout = 60 * time.Second
	if g.conf.KeepaliveTimeout != nil {
		a.kaTimeout = *g.conf.KeepaliveTimeout
	}
	a.kaTime = time.Hour
	if g.conf.KeepaliveTime != nil {
		a.kaTime = *g.conf.KeepaliveTime
	}
	// The framing headers are nginx's internal defaults: a
	// proxy_set_header for either name replaces them.
	setCL := func(v string) {
		if !h.setKeys["content-length"] {
			out.Header["Content-Length"] = []string{v}
		}
	}
	if st.body != nil {
		a.body, a.stream, a.length = st.body.mem, st.body.reader(), st.body.length
		if a.body != nil {
			a.stream = nil
		}
		if a.length >= 0 {
			setCL(strconv.FormatInt(a.length, 10))
		} else if proto == "HTTP/1.1" && !h.setKeys["transfer-encoding"] {
			out.Header["Transfer-Encoding"] = []string{"chunked"}
		}
	} else if st.declared >= 0 {
		// Without a body to send (none, or proxy_pass_request_body off)
		// nginx still passes the length the client declared.
		setCL(strconv.FormatInt(st.declared, 10))
	}
	if out.Host == "" && !st.noHost {
		out.Host = st.rq.Upstream.ProxyHost
	}
	if h.usesTLS(st) && h.tls != nil {
		a.tls = h.tls
		a.tlsTarget = h.tlsTarget(st)
	}
	return a
}

// tlsTarget is nginx's ngx_http_upstream_ssl_name and certificate for
// one request: the name is *_ssl_name, else the host of the pass,
// without a port; it is checked by *_ssl_verify and sent as SNI only
// with *_ssl_server_name on.
func (h *handler) tlsTarget(st *state) tlsTarget {
	pl := h.sslConf
	name := st.rq.Upstream.ProxyHost
	if h.wire != nil && st.passHost != "" {
		name = st.passHost
	}
	if pl.SSLName != nil {
		name = st.rq.Eval(pl.SSLName)
	}
	if hh, _, ok := splitPort(name); ok {
		name = hh
	}
	name = strings.Trim(name, "[]")
	t := tlsTarget{name: name}
	if *pl.SSLServerName {
		t.sni = name
	}
	if h.tls.variableCert() {
		cp, kp := st.rq.Eval(h.tls.cert), st.rq.Eval(h.tls.key)
		c, err := h.tls.clientCert(cp, kp)
		if err != nil {
			h.c.errs.Request(st.rq, confparse.LevelError, "cannot load certificate: "+err.Error())
		}
		t.cert, t.cacheKey = c, cp+"\x00"+kp
	}
	return t
}

// try sends the request to one peer, reusing an idle connection when
// one is pooled (and retrying once on a fresh connection if the pooled
// one turns out closed).
func (h *handler) try(ctx context.Context, p *peer, a *attempt, st *state) (*http.Response, error) {
	pool := st.group.pool
	p.conns.Add(1)
	for reused := true; ; reused = false {
		var c *upConn
		if reused && a.keepalive > 0 {
			c = pool.get(p.addr, a.kaTimeout, a.start)
		}
		if c == nil {
			reused = false
			dctx, done := st.dialContext(ctx)
			var err error
			c, err = pool.dial(dctx, p, a)
			done()
			if err != nil {
				p.conns.Add(-1)
				a.dialFailed = true
				return nil, err
			}
		}
		if !st.use(c) {
			p.conns.Add(-1)
			return nil, errClientClosed
		}
		c.requests++
		if a.stream != nil && st.body != nil {
			a.stream = st.body.reader()
		}
		a.sendAt = a.start
		if !reused {
			a.sendAt = later(a.start) // after the dial
		}
		resp, err := h.exchange(pool, c, a)
		if err != nil {
			c.close()
			replayable := a.body != nil || a.stream == nil || (st.body != nil && st.body.file != nil)
			if reused && !isTimeout(err) && replayable && !st.clientGone() {
				a.sentRequest, a.sendFailed, a.invalidHead = false, false, false
				continue // the pooled connection was stale
			}
			p.conns.Add(-1)
			return nil, err
		}
		a.headAt = later(a.sendAt)
		a.headerTime = a.headAt.Sub(a.sendAt) + a.connectTime
		if resp.StatusCode == 101 {
			resp.Body = &upgradeBody{c: c}
			return resp, nil
		}
		a.h, a.st, a.peer = h, st, p
		resp.Body = &respBody{rc: resp.Body, c: c, p: pool, reuse: reusable(resp, a, c) && !a.http09,
			max: a.keepalive, readTO: a.readTO, received: &st.received, obs: a, headAt: a.headAt}
		return resp, nil
	}
}

// The attempt follows its response body (bodyObserver); the upstream's
// URL for the log is only built when something is logged.
func (a *attempt) bodyFailed(err error) {
	if a.st.clientGone() {
		a.h.clientAborted(a.st, a.h.bodyPhase(), a.upstreamURL())
		abortResponse(a.st.rq)
		return
	}
	a.h.bodyFailed(a.st.rq, err, a.upstreamURL())
	a.responseDone()
}
func (a *attempt) keep(c *upConn) bool { return a.st.release(c) }
func (a *attempt) bodyExtra()          { a.h.bodyExtra(a.st.rq, a.upstreamURL()) }
func (a *attempt) bodyEnd(_ int64, now time.Time) {
	recordBytes(a.st.rq.Upstream, a)
	a.responseDoneAt(now)
}

// responseDone makes $upstream_response_time span the whole response, as
// in nginx, not only its head.
func (a *attempt) responseDone() { a.responseDoneAt(later(a.start)) }

func (a *attempt) responseDoneAt(now time.Time) {
	if t := a.st.rq.Upstream.ResponseTime; len(t) > 0 {
		t[len(t)-1] = secs(now.Sub(a.start), true)
	}
}

func (a *attempt) upstreamURL() string { return a.st.upstreamURL(a.peer) }

// upstreamURL names the upstream in log lines; built only for them.
func (st *state) upstreamURL(p *peer) string { return st.upstreamAt(p.addr) }

// upstreamAt names the upstream at addr (of $upstream_addr).
func (st *state) upstreamAt(addr string) string { return st.scheme + "://" + addr + st.uri }

// aborter is the engine's way to end a response that cannot be
// completed.
type aborter interface{ Abort(discard bool) }

// bodyFailed logs why an upstream body was cut short and makes the client
// see it: no chunked terminator, the connection closed. An invalid
// chunked body takes what is still buffered with it, as in nginx.
func (h *handler) bodyFailed(rq *httpcore.Request, err error, upstream string) {
	var errno syscall.Errno
	var we *wireError
	msg := "upstream prematurely closed connection"
	switch {
	case errors.As(err, &we):
		msg = we.msg
	case isTimeout(err):
		msg = "upstream timed out (110: Connection timed out)"
	case errors.Is(err, errInvalidChunked):
		msg = "upstream sent invalid chunked response"
	case errors.As(err, &errno):
		msg = "recv() failed (" + confparse.ErrnoText(err) + ")"
	}
	h.c.errs.RequestUpstream(rq, confparse.LevelError, msg+" while reading upstream", upstream)
	if a, ok := rq.W.(aborter); ok {
		a.Abort(errors.Is(err, errInvalidChunked) || we != nil && we.discard)
	}
}

// bodyExtra logs an upstream that sent more than its Content-Length.
func (h *handler) bodyExtra(rq *httpcore.Request, upstream string) {
	h.c.errs.RequestUpstream(rq, confparse.LevelWarn,
		"upstream sent more data than specified in \"Content-Length\" header while reading upstream", upstream)
}

// classify maps a transport error to nginx's status and log text.
func (h *handler) classify(err error, a *attempt) (int, string) {
	var errno syscall.Errno
	var he *handshakeError
	errors.As(err, &errno)
	switch {
	case errors.As(err, &he) && !isTimeout(err):
		msg := he.Error()
		if !strings.HasPrefix(msg, "upstream SSL certificate") {
			// OpenSSL's own failures, as nginx words them.
			msg = "SSL_do_handshake() failed (" + msg + ")"
		}
		return 502, msg + " while SSL handshaking to upstream"
	case a.dialFailed && isTimeout(err):
		a.timedOut = true
		return 504, "upstream timed out (110: Connection timed out) while connecting to upstream"
	case a.dialFailed:
		return 502, "connect() failed (" + confparse.ErrnoText(err) + ") while connecting to upstream"
	case isTimeout(err) && (!a.sentRequest || a.sendFailed):
		a.timedOut = true
		return 504, "upstream timed out (110: Connection timed out) while sending request to upstream"
	case isTimeout(err):
		a.timedOut = true
		return 504, "upstream timed out (110: Connection timed out) while reading response header from upstream"
	case a.invalidHead:
		return 502, err.Error() + " while reading response header from upstream"
	case a.sendFailed:
		return 502, "writev() failed (" + confparse.ErrnoText(err) + ") while sending request to upstream"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return 502, "upstream prematurely closed connection while reading response header from upstream"
	case errno != 0:
		return 502, "recv() failed (" + confparse.ErrnoText(err) + ") while reading response header from upstream"
	}
	return 502, err.Error() + " while reading response header from upstream"
}

// retry decides whether a failed attempt moves to the next peer.
func (h *handler) retry(a *attempt, deadline time.Time, method string) bool {
	list := h.loc.Proxy.NextUpstream
	want := false
	for _, f := range list {
		switch {
		case f == "error" && !a.timedOut && !a.invalidHead:
			want = true
		case f == "timeout" && a.timedOut:
			want = true
		case f == "invalid_header" && a.invalidHead:
			want = true
		}
	}
	return want && h.canRetry(a, deadline, method)
}

func (h *handler) canRetry(a *attempt, deadline time.Time, method string) bool {
	if !deadline.IsZero() && time.Now().After(deadline) {
		return false
	}
	if st := stateOf(a.req); a.stream != nil && a.body == nil && a.sentRequest && (st.body == nil || st.body.file == nil) {
		return false // a streamed body cannot be sent again; one in a file can
	}
	if a.sentRequest && !idempotent(method) {
		for _, f := range h.loc.Proxy.NextUpstream {
			if f == "non_idempotent" {
				return true
			}
		}
		return false
	}
	return true
}

func idempotent(m string) bool {
	return m != "POST" && m != "LOCK" && m != "PATCH"
}

func nextOnStatus(list []string, status int) bool {
	s := "http_" + strconv.Itoa(status)
	for _, f := range list {
		if f == s {
			return true
		}
	}
	return false
}

func secs(d time.Duration, ok bool) string {
	if !ok {
		return "-"
	}
	return httpcore.FormatSeconds(d)
}
