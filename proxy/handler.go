package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// handler is the content handler of one location with proxy_pass.
type handler struct {
	c       *Config
	loc     *confparse.Loc
	pass    *confparse.ProxyPass
	group   *group // nil when the URL has variables
	rp      *httputil.ReverseProxy
	headers []*confparse.HeaderTmpl // proxy_set_header, then nginx's defaults
	setKeys map[string]bool         // header names proxy_set_header owns
	hide    map[string]bool         // response headers not passed on
	tls     *tls.Config
	tlsErr  error
}

// defaultHeaders are nginx's built-in proxy_set_header list; an empty
// value removes the client's header.
var defaultHeaders = []*confparse.HeaderTmpl{
	{Name: "Host", Value: &confparse.Template{Raw: "$proxy_host", Parts: []confparse.Part{{Var: "proxy_host"}}}},
	{Name: "Connection", Value: &confparse.Template{Raw: "close", Parts: []confparse.Part{{Lit: "close"}}}},
	{Name: "TE", Value: &confparse.Template{}},
	{Name: "Keep-Alive", Value: &confparse.Template{}},
	{Name: "Expect", Value: &confparse.Template{}},
	{Name: "Upgrade", Value: &confparse.Template{}},
}

// hiddenHeaders are the upstream response headers nginx drops unless
// proxy_pass_header names them.
var hiddenHeaders = []string{"Date", "Server", "X-Pad", "X-Accel-Expires", "X-Accel-Redirect",
	"X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset"}

var bufPool = &buffers{}

type buffers struct{ p sync.Pool }

func (b *buffers) Get() []byte {
	if v := b.p.Get(); v != nil {
		return *(v.(*[]byte))
	}
	return make([]byte, 32<<10)
}
func (b *buffers) Put(s []byte) { b.p.Put(&s) }

func newHandler(c *Config, l *confparse.Loc) *handler {
	h := &handler{c: c, loc: l, pass: l.Proxy.Pass, setKeys: map[string]bool{}, hide: map[string]bool{}}
	for _, s := range l.Proxy.SetHeaders {
		h.headers = append(h.headers, s)
		h.setKeys[strings.ToLower(s.Name)] = true
	}
	for _, d := range defaultHeaders {
		if !h.setKeys[strings.ToLower(d.Name)] {
			h.headers = append(h.headers, d)
			h.setKeys[strings.ToLower(d.Name)] = true
		}
	}
	for _, k := range hiddenHeaders {
		h.hide[http.CanonicalHeaderKey(k)] = true
	}
	for _, k := range l.Proxy.PassHeaders {
		delete(h.hide, http.CanonicalHeaderKey(k))
	}
	for _, k := range l.Proxy.HideHeaders {
		h.hide[http.CanonicalHeaderKey(k)] = true
	}
	if !h.pass.Vars {
		port := h.pass.Port
		h.group = c.groupFor(h.pass.Host, port, l)
	}
	if h.pass.Scheme == "https" || h.pass.Vars {
		h.tls, h.tlsErr = tlsConfig(&l.Proxy)
	}
	h.rp = &httputil.ReverseProxy{
		Rewrite:        h.rewrite,
		Transport:      h,
		ModifyResponse: h.modifyResponse,
		ErrorHandler:   h.errorHandler,
		BufferPool:     bufPool,
		ErrorLog:       log.New(io.Discard, "", 0),
	}
	if !*l.Proxy.Buffering {
		h.rp.FlushInterval = -1
	}
	return h
}

// state is one request's proxy state, carried in its context.
type state struct {
	rq        *httpcore.Request
	group     *group
	scheme    string
	uri       string
	hostHdr   string
	status    int // error status decided by the transport
	redirect  string
	body      *bufferedBody
	upstreams []string
	received  int64
}

type stateKey struct{}

func stateOf(r *http.Request) *state {
	s, _ := r.Context().Value(stateKey{}).(*state)
	return s
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := httpcore.From(w)
	if rq == nil {
		http.Error(w, "proxy needs a goproxy request", 500)
		return
	}
	st := &state{rq: rq, group: h.group, scheme: h.pass.Scheme}
	rq.Upstream = &httpcore.UpstreamInfo{}
	if h.pass.Vars {
		if !h.resolveVars(st) {
			return
		}
	} else {
		st.uri = h.targetURI(rq)
		rq.Upstream.ProxyHost = proxyHost(h.pass.Host, h.pass.Port, h.pass.Scheme, h.pass.ExplicitPort)
		rq.Upstream.ProxyPort = strconv.Itoa(h.pass.Port)
	}
	if h.tlsErr != nil && st.scheme == "https" {
		h.c.errs.Request(rq, confparse.LevelEmerg, h.tlsErr.Error())
		rq.Error(500)
		return
	}
	if *h.loc.Proxy.PassRequestBody && hasBody(r) {
		b, status := readBody(rq, r, *h.loc.Proxy.RequestBuffering || (r.ContentLength < 0 && *h.loc.Proxy.HTTPVersion == "1.0"))
		if status != 0 {
			rq.Error(status)
			return
		}
		st.body = b
	}
	ctx := context.WithValue(r.Context(), stateKey{}, st)
	h.rp.ServeHTTP(w, r.WithContext(ctx))
	if st.body != nil {
		st.body.close()
	}
}

func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
}

// proxyHost is $proxy_host: the host of proxy_pass, with the port when it
// is not the scheme's default.
func proxyHost(host string, port int, scheme string, explicit bool) string {
	h, _, ok := splitPort(host)
	if !ok {
		return host
	}
	if (scheme == "http" && port == 80) || (scheme == "https" && port == 443) {
		return h
	}
	return host
}

// targetURI is the URI sent upstream, by nginx's rules: with a URI part,
// the location's prefix is replaced by it; without one, the client's
// request URI goes as sent; a URI changed by rewrite or an internal
// redirect goes in full, escaped.
func (h *handler) targetURI(rq *httpcore.Request) string {
	p := h.pass
	args := ""
	if rq.Args != "" {
		args = "?" + rq.Args
	}
	original := !rq.Internal && !rq.Rewritten
	switch {
	case !p.HasURI && original:
		return rawRequestURI(rq.R)
	case !p.HasURI || rq.URIChanged || rq.Location == nil:
		return httpcore.EscapeURI(rq.URI) + args
	}
	rest := rq.URI
	if pl := rq.Location.Pattern; len(rest) >= len(pl) {
		rest = rest[len(pl):]
	} else {
		rest = ""
	}
	return p.URI + httpcore.EscapeURI(rest) + args
}

// rawRequestURI is the request target as the client sent it, in origin
// form.
func rawRequestURI(r *http.Request) string {
	u := r.RequestURI
	if !strings.HasPrefix(u, "/") {
		if i := strings.Index(u, "://"); i >= 0 {
			rest := u[i+3:]
			if j := strings.IndexAny(rest, "/?"); j >= 0 {
				u = rest[j:]
				if u[0] == '?' {
					u = "/" + u
				}
			} else {
				u = "/"
			}
		}
	}
	return u
}

// resolveVars evaluates a proxy_pass URL with variables.
func (h *handler) resolveVars(st *state) bool {
	rq := st.rq
	url := rq.Eval(h.pass.URL)
	low := strings.ToLower(url)
	port := 80
	switch {
	case strings.HasPrefix(low, "http://"):
		st.scheme, url = "http", url[7:]
	case strings.HasPrefix(low, "https://"):
		st.scheme, url, port = "https", url[8:], 443
	default:
		h.c.errs.Request(rq, confparse.LevelError, "invalid URL prefix in \""+rq.Eval(h.pass.URL)+"\"")
		rq.Error(500)
		return false
	}
	host, uri := url, ""
	if i := strings.IndexAny(url, "/?"); i >= 0 {
		host, uri = url[:i], url[i:]
	}
	explicit := false
	if _, p, ok := splitPort(host); ok {
		n, err := strconv.Atoi(p)
		if err != nil {
			rq.Error(500)
			return false
		}
		port, explicit = n, true
	}
	st.group = h.c.groupFor(host, port, h.loc)
	rq.Upstream.ProxyHost = proxyHost(host, port, st.scheme, explicit)
	rq.Upstream.ProxyPort = strconv.Itoa(port)
	if uri == "" {
		if !rq.Internal && !rq.Rewritten {
			uri = rawRequestURI(rq.R)
		} else {
			uri = httpcore.EscapeURI(rq.URI)
			if rq.Args != "" {
				uri += "?" + rq.Args
			}
		}
	}
	st.uri = uri
	return true
}

// rewrite builds the upstream request's headers: proxy_set_header values
// first (an empty one removes the header), then the client's headers
// that none of them names.
func (h *handler) rewrite(pr *httputil.ProxyRequest) {
	st := stateOf(pr.In)
	rq := st.rq
	out := pr.Out
	hdr := make(http.Header, len(pr.In.Header)+4)
	for _, s := range h.headers {
		v := rq.Eval(s.Value)
		if v == "" {
			continue
		}
		if strings.EqualFold(s.Name, "Host") {
			st.hostHdr = v
			continue
		}
		hdr[s.Name] = append(hdr[s.Name], v)
	}
	if *h.loc.Proxy.PassRequestHeaders {
		for k, vs := range pr.In.Header {
			if h.setKeys[strings.ToLower(k)] || k == "Content-Length" || k == "Transfer-Encoding" {
				continue
			}
			hdr[k] = vs
		}
	}
	out.Header = hdr
	out.Host = st.hostHdr
	out.URL.Scheme = st.scheme
	out.URL.Host = st.group.name
	if m := h.loc.Proxy.Method; m != nil {
		out.Method = rq.Eval(m)
	}
}

// RoundTrip implements http.RoundTripper: choose a peer, send, and try
// the next peer on the failures proxy_next_upstream lists.
func (h *handler) RoundTrip(out *http.Request) (*http.Response, error) {
	st := stateOf(out)
	rq := st.rq
	g := st.group
	g.refresh(out.Context(), false)
	pl := &h.loc.Proxy
	proto := "HTTP/" + *pl.HTTPVersion
	tries := *pl.NextUpstreamTries
	deadline := time.Time{}
	if t := *pl.NextUpstreamTimeout; t > 0 {
		deadline = time.Now().Add(t)
	}
	tried := map[*peer]bool{}
	hashKey := ""
	switch g.conf.Balance {
	case "ip_hash":
		ip, _ := rq.RemoteAddrPort()
		hashKey = ipHashKey(ip)
	case "hash":
		hashKey = rq.Eval(g.conf.HashKey)
	}
	var lastErr error
	for n := 1; ; n++ {
		p := g.pick(tried, hashKey)
		if p == nil {
			if lastErr == nil {
				if err := g.lookupErr(); err != nil {
					h.c.errs.Request(rq, confparse.LevelError, g.name+" could not be resolved ("+err.Error()+")")
					g.refresh(out.Context(), true)
				} else {
					h.c.errs.Request(rq, confparse.LevelError, "no live upstreams while connecting to upstream")
				}
				st.upstreams = append(st.upstreams, g.name)
				rq.Upstream.Addr = append(rq.Upstream.Addr, g.name)
				rq.Upstream.Status = append(rq.Upstream.Status, "502")
				st.status = 502
				return nil, errNoLive
			}
			return nil, lastErr
		}
		tried[p] = true
		a := h.newAttempt(out, st, proto)
		start := time.Now()
		resp, err := h.try(out.Context(), p, a, st)
		u := rq.Upstream
		u.Addr = append(u.Addr, p.addr)
		u.ConnectTime = append(u.ConnectTime, secs(a.connectTime, a.connectTime > 0 || err == nil))
		if err != nil {
			status, reason := h.classify(err, a)
			h.c.errs.Request(rq, confparse.LevelError, reason+", upstream: \""+st.scheme+"://"+p.addr+st.uri+"\"")
			g.failed(p)
			if status == 502 && a.dialFailed {
				// A refused connection may mean the container moved.
				g.refresh(out.Context(), true)
			}
			u.Status = append(u.Status, strconv.Itoa(status))
			u.ResponseTime = append(u.ResponseTime, secs(time.Since(start), true))
			u.HeaderTime = append(u.HeaderTime, "-")
			st.status = status
			lastErr = err
			if h.retry(err, a, n, tries, deadline, out.Method) {
				continue
			}
			return nil, err
		}
		u.Status = append(u.Status, strconv.Itoa(resp.StatusCode))
		u.HeaderTime = append(u.HeaderTime, secs(a.headerTime, true))
		u.ResponseTime = append(u.ResponseTime, secs(time.Since(start), true))
		if next := nextOnStatus(pl.NextUpstream, resp.StatusCode); next && h.canRetry(a, n, tries, deadline, out.Method) {
			resp.Body.Close()
			g.failed(p)
			continue
		}
		g.succeeded(p)
		return resp, nil
	}
}

var errNoLive = errors.New("no live upstreams")

func (h *handler) newAttempt(out *http.Request, st *state, proto string) *attempt {
	pl := &h.loc.Proxy
	a := &attempt{req: out, proto: proto, uri: st.uri, connectTO: *pl.ConnectTimeout,
		readTO: *pl.ReadTimeout, sendTO: *pl.SendTimeout, length: 0}
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
	if st.body != nil {
		a.body, a.stream, a.length = st.body.mem, st.body.reader(), st.body.length
		if a.body != nil {
			a.stream = nil
		}
		if a.length >= 0 {
			out.Header.Set("Content-Length", strconv.FormatInt(a.length, 10))
		} else if proto == "HTTP/1.1" {
			out.Header.Set("Transfer-Encoding", "chunked")
		}
	} else if requiresLength(out.Method) {
		out.Header.Set("Content-Length", "0")
	}
	if out.Host == "" {
		out.Host = st.rq.Upstream.ProxyHost
	}
	if st.scheme == "https" && h.tls != nil {
		a.tls = h.dialTLS
		if *pl.SSLServerName {
			name := st.rq.Upstream.ProxyHost
			if pl.SSLName != nil {
				name = st.rq.Eval(pl.SSLName)
			}
			if hh, _, ok := splitPort(name); ok {
				name = hh
			}
			a.serverName = name
		}
	}
	return a
}

// requiresLength lists methods nginx sends "Content-Length: 0" for when
// there is no body.
func requiresLength(m string) bool { return m == "POST" || m == "PUT" || m == "PATCH" }

func (h *handler) dialTLS(ctx context.Context, nc net.Conn, serverName string) (net.Conn, error) {
	tc := h.tls.Clone()
	tc.ServerName = serverName
	if serverName == "" && !tc.InsecureSkipVerify {
		tc.ServerName = strings.Trim(h.pass.Host, "[]")
	}
	c := tls.Client(nc, tc)
	if err := c.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// try sends the request to one peer, reusing an idle connection when
// one is pooled (and retrying once on a fresh connection if the pooled
// one turns out closed).
func (h *handler) try(ctx context.Context, p *peer, a *attempt, st *state) (*http.Response, error) {
	pool := h.c.m.pool
	p.conns.Add(1)
	for reused := true; ; reused = false {
		var c *upConn
		if reused && a.keepalive > 0 {
			c = pool.get(p.addr, a.kaTimeout)
		}
		if c == nil {
			reused = false
			var err error
			c, err = pool.dial(ctx, p, a)
			if err != nil {
				p.conns.Add(-1)
				a.dialFailed = true
				return nil, err
			}
		}
		c.requests++
		if a.stream != nil && st.body != nil {
			a.stream = st.body.reader()
		}
		start := time.Now()
		resp, err := pool.exchange(ctx, c, a)
		if err != nil {
			c.close()
			if reused && !isTimeout(err) && (a.body != nil || a.stream == nil) {
				a.sentRequest = false
				continue // the pooled connection was stale
			}
			p.conns.Add(-1)
			return nil, err
		}
		a.headerTime = time.Since(start) + a.connectTime
		if resp.StatusCode == 101 {
			resp.Body = &upgradeBody{c: c}
			return resp, nil
		}
		resp.Body = &respBody{rc: resp.Body, c: c, p: pool, reuse: reusable(resp, a, c),
			max: a.keepalive, readTO: a.readTO, received: &st.received}
		return resp, nil
	}
}

// classify maps a transport error to nginx's status and log text.
func (h *handler) classify(err error, a *attempt) (int, string) {
	var errno syscall.Errno
	errors.As(err, &errno)
	switch {
	case a.dialFailed && isTimeout(err):
		a.timedOut = true
		return 504, "upstream timed out (110: Connection timed out) while connecting to upstream"
	case a.dialFailed:
		return 502, "connect() failed (" + errnoString(errno, err) + ") while connecting to upstream"
	case isTimeout(err) && !a.sentRequest:
		a.timedOut = true
		return 504, "upstream timed out (110: Connection timed out) while sending request to upstream"
	case isTimeout(err):
		a.timedOut = true
		return 504, "upstream timed out (110: Connection timed out) while reading response header from upstream"
	case a.invalidHead:
		return 502, "upstream sent invalid header while reading response header from upstream"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return 502, "upstream prematurely closed connection while reading response header from upstream"
	case errno != 0:
		return 502, "recv() failed (" + errnoString(errno, err) + ") while reading response header from upstream"
	}
	return 502, err.Error() + " while reading response header from upstream"
}

func errnoString(no syscall.Errno, err error) string {
	if no == 0 {
		return err.Error()
	}
	s := no.Error()
	return strconv.Itoa(int(no)) + ": " + strings.ToUpper(s[:1]) + s[1:]
}

// retry decides whether a failed attempt moves to the next peer.
func (h *handler) retry(err error, a *attempt, n, tries int, deadline time.Time, method string) bool {
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
	return want && h.canRetry(a, n, tries, deadline, method)
}

func (h *handler) canRetry(a *attempt, n, tries int, deadline time.Time, method string) bool {
	if tries > 0 && n >= tries {
		return false
	}
	if !deadline.IsZero() && time.Now().After(deadline) {
		return false
	}
	if a.stream != nil && a.body == nil && a.sentRequest {
		return false // a streamed body cannot be sent again
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

func ipHashKey(ip string) string {
	if a := net.ParseIP(ip); a != nil {
		if a4 := a.To4(); a4 != nil {
			return string(a4[:3])
		}
		return string(a)
	}
	return ip
}

// errorHandler answers a failed proxy attempt with nginx's error page
// (and error_page), or performs an X-Accel-Redirect / intercepted error.
func (h *handler) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	st := stateOf(r)
	rq := st.rq
	switch {
	case errors.Is(err, errAccelRedirect):
		uri, args, _ := strings.Cut(st.redirect, "?")
		rq.Eng.InternalRedirect(rq, uri, args)
		return
	case errors.Is(err, errIntercept):
		rq.Error(st.status)
		return
	}
	status := st.status
	if status == 0 {
		status = 502
		if errors.Is(err, context.Canceled) {
			status = 499
		}
	}
	rq.Error(status)
}

var (
	errAccelRedirect = errors.New("X-Accel-Redirect")
	errIntercept     = errors.New("intercepted error")
)

// modifyResponse applies nginx's response rules: hidden headers,
// proxy_redirect, cookie rewrites, X-Accel-*, proxy_intercept_errors.
func (h *handler) modifyResponse(resp *http.Response) error {
	st := stateOf(resp.Request)
	rq := st.rq
	rq.Upstream.Header = resp.Header
	pl := &h.loc.Proxy
	if x := resp.Header.Get("X-Accel-Redirect"); x != "" && !ignored(pl.IgnoreHeaders, "X-Accel-Redirect") {
		resp.Body.Close()
		st.redirect = x
		return errAccelRedirect
	}
	if *pl.InterceptErrors && resp.StatusCode >= 300 && hasErrorPage(rq.Loc, resp.StatusCode) {
		resp.Body.Close()
		st.status = resp.StatusCode
		return errIntercept
	}
	if strings.EqualFold(resp.Header.Get("X-Accel-Buffering"), "no") && !ignored(pl.IgnoreHeaders, "X-Accel-Buffering") {
		// Streams flush as they come, whatever proxy_buffering says.
		if f, ok := rq.W.(http.Flusher); ok {
			defer f.Flush()
		}
	}
	for k := range h.hide {
		delete(resp.Header, k)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		resp.Header.Set("Location", h.rewriteRedirect(rq, st, loc))
	}
	if ref := resp.Header.Get("Refresh"); ref != "" {
		resp.Header.Set("Refresh", h.rewriteRedirect(rq, st, ref))
	}
	if cs := resp.Header["Set-Cookie"]; len(cs) > 0 && (len(pl.CookieDomains) > 0 || len(pl.CookiePaths) > 0) {
		for i, c := range cs {
			cs[i] = rewriteCookie(rq, c, pl.CookieDomains, pl.CookiePaths)
		}
	}
	if cl := resp.Header.Get("Content-Length"); cl != "" {
		rq.Upstream.ResponseLength = append(rq.Upstream.ResponseLength, cl)
	}
	return nil
}

func ignored(list []string, h string) bool {
	for _, x := range list {
		if strings.EqualFold(x, h) {
			return true
		}
	}
	return false
}

func hasErrorPage(l *confparse.Loc, status int) bool {
	for _, ep := range l.Core.ErrorPages {
		for _, c := range ep.Codes {
			if c == status {
				return true
			}
		}
	}
	return false
}
