package proxy

// handler.go is the content handler of a proxy_pass location: the URI,
// request headers and body sent upstream, by nginx's rules.

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
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
	userSet map[string]bool         // those the configuration writes (not defaults)
	// order is the list as nginx sends it (headerorder.go); orderCache
	// that of a request the cache may store.
	order, orderCache []setHeader
	hide              map[string]bool // response headers not passed on
	// tls is the *_ssl_* settings (sslConf) of connections to a pass of
	// scheme tlsScheme ("https", or uwsgi's "suwsgi"); nil when the
	// pass never speaks TLS.
	tls       *upTLS
	tlsErr    error
	tlsScheme string
	sslConf   *confparse.UpstreamSSL
	wire      wire // nil: HTTP; else FastCGI, SCGI or uwsgi (cgi.go)
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

var bufPool = &buffers{ch: make(chan []byte, 256)}

// buffers is ReverseProxy's copy-buffer pool: a channel holds slices
// without the allocation a sync.Pool of []byte makes on every Put.
type buffers struct{ ch chan []byte }

func (b *buffers) Get() []byte {
	select {
	case s := <-b.ch:
		return s
	default:
		return make([]byte, 32<<10)
	}
}

func (b *buffers) Put(s []byte) {
	select {
	case b.ch <- s:
	default:
	}
}

func newHandler(c *Config, l *confparse.Loc) *handler {
	h := &handler{c: c, loc: l, pass: l.Proxy.Pass, setKeys: map[string]bool{}, hide: map[string]bool{}}
	h.userSet = map[string]bool{}
	for _, s := range l.Proxy.SetHeaders {
		h.headers = append(h.headers, s)
		h.setKeys[strings.ToLower(s.Name)] = true
		h.userSet[strings.ToLower(s.Name)] = true
	}
	for _, d := range defaultHeaders {
		if !h.setKeys[strings.ToLower(d.Name)] {
			h.headers = append(h.headers, d)
			h.setKeys[strings.ToLower(d.Name)] = true
		}
	}
	h.order = compileOrder(h.headers, h.setKeys, false)
	h.orderCache = compileOrder(h.headers, h.setKeys, true)
	for _, k := range hiddenHeaders {
		h.hide[http.CanonicalHeaderKey(k)] = true
	}
	for _, k := range l.Proxy.PassHeaders {
		delete(h.hide, http.CanonicalHeaderKey(k))
	}
	for _, k := range l.Proxy.HideHeaders {
		h.hide[http.CanonicalHeaderKey(k)] = true
	}
	if c := &l.Proxy.Cache; c.On() && *c.Lock {
		httpd.OrderArrivals()
	}
	if !h.pass.Vars {
		port := h.pass.Port
		h.group = c.groupFor(h.pass.Host, port, l)
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

// useTLS prepares prefix's *_ssl_* for a pass that speaks TLS as scheme
// (https://, suwsgi://), or may (one with variables).
func (h *handler) useTLS(c *Config, u *confparse.UpstreamSSL, prefix, scheme string) {
	if h.pass.Scheme == scheme || h.pass.Vars {
		h.tls, h.tlsErr = tlsConfig(u, prefix, c.cfg.ConfPrefix)
		h.tlsScheme, h.sslConf = scheme, u
	}
}

// usesTLS says whether the request's upstream connections speak TLS.
func (h *handler) usesTLS(st *state) bool {
	return h.tlsScheme != "" && st.scheme == h.tlsScheme
}

// state is one request's proxy state, carried in its context.
type state struct {
	rq     *httpcore.Request
	group  *group
	scheme string
	uri    string
	// passHost is the host of a CGI-family pass with variables, as
	// evaluated: the default name of its TLS upstream.
	passHost string
	hostHdr  string
	noHost   bool // proxy_set_header Host "" removed it
	// declared is the client body's length when its body is not sent
	// (-1: none); nginx passes it on all the same.
	declared  int64
	status    int // error status decided by the transport
	redirect  string
	body      *bufferedBody
	upstreams []string
	received  int64
	http09    bool               // the upstream's answer had no status line
	hop       http.Header        // hop-by-hop headers nginx passes on
	names     []httpd.HeaderName // the upstream's header names as sent
	// noUA says the request has no User-Agent for the upstream;
	// ReverseProxy adds an empty one after rewrite that must not go out.
	noUA  bool
	abort clientAbort // abort.go
	// stream says the response goes out as it comes (proxy_buffering
	// off, or X-Accel-Buffering: no); held is the client's writer.
	stream bool
	held   heldWriter
	cache  *cacheState // cache.go; nil when no cache applies
	ranged bool        // the range filter has seen the response (ranges.go)
	local  *Local      // *_bind's address, once bound is set
	bound  bool
	// key is the memcached key, escaped as it goes out.
	key string
	// senders stop what still streams the request body upstream on its
	// own (gRPC's), before the handler returns.
	senders []func()
	// client is the client's header lines in their order, where known.
	client clientLines
	lines  bool
	// header is the client's header map, which ReverseProxy does not
	// see; ctx is the context the state travels in.
	header http.Header
	ctx    stateCtx
	// out is the upstream request's header map, from outHeaders.
	out http.Header
}

// outHeaders keeps the upstream requests' header maps: a map of a dozen
// keys is four allocations, and nothing holds the outbound request once
// the handler returns.
var outHeaders = sync.Pool{New: func() any { return make(http.Header, 16) }}

// releaseHeader gives the upstream request's header map back, emptied;
// one grown past a usual request's is left to the collector.
func (st *state) releaseHeader() {
	if h := st.out; h != nil && len(h) <= 64 {
		clear(h)
		outHeaders.Put(h)
	}
	st.out = nil
}

// heldWriter is what ReverseProxy writes to. ReverseProxy flushes each
// write of a body of unknown length; nginx does that only when it does
// not buffer. A buffered response goes out as its buffers fill, so its
// head waits for the body: an upstream body that breaks before its first
// byte (an invalid chunk size) leaves the client with no answer at all,
// as from nginx, not a head and a cut.
type heldWriter struct {
	http.ResponseWriter
	st *state
}

// FlushError flushes only a streamed response (http.ResponseController
// finds it before Unwrap).
func (w *heldWriter) FlushError() error {
	if !w.st.stream {
		return nil
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *heldWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type stateKey struct{}

// stateCtx carries the state in the request's context; it lives in the
// state, so the context costs no allocation of its own.
type stateCtx struct {
	context.Context
	st *state
}

func (c *stateCtx) Value(key any) any {
	if key == (stateKey{}) {
		return c.st
	}
	return c.Context.Value(key)
}

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
	st := &state{rq: rq, group: h.group, scheme: h.pass.Scheme, declared: -1, stream: !*h.loc.Proxy.Buffering}
	st.held = heldWriter{w, st}
	defer st.releaseHeader()
	rq.NewUpstream()
	if c := &h.loc.Proxy.Cache; !c.On() || !*c.Lock {
		arrival(rq).Settle() // no cache lock to take in order
	}
	if h.wire != nil {
		// The application gets no URI of the proxy's kind: its logs
		// name the peer alone ("fastcgi://127.0.0.1:9000").
		if h.pass.Vars && !h.resolveWire(st) {
			return
		}
		if p, ok := h.wire.(preparer); ok && !p.prepare(h, st) {
			return
		}
	} else if h.pass.Vars {
		if !h.resolveVars(st) {
			return
		}
	} else {
		st.uri = h.targetURI(rq)
		rq.Upstream.ProxyHost = proxyHost(h.pass.Host, h.pass.Port, h.pass.Scheme, h.pass.ExplicitPort)
		rq.Upstream.ProxyPort = strconv.Itoa(h.pass.Port)
	}
	if h.tlsErr != nil && h.usesTLS(st) {
		h.c.errs.Request(rq, confparse.LevelEmerg, h.tlsErr.Error())
		rq.Error(500)
		return
	}
	bg := backgroundOf(r)
	if sb := h.loc.Proxy.SetBody; sb != nil {
		v := rq.Eval(sb)
		st.body = &bufferedBody{mem: []byte(v), length: int64(len(v))}
	} else if bg != nil {
		// A background update sends the body its request read.
		st.body, st.declared = bg.body, bg.declared
	} else if *h.loc.Proxy.PassRequestBody && hasBody(r) {
		b, status := readBody(rq, r, *h.loc.Proxy.RequestBuffering || (r.ContentLength < 0 && *h.loc.Proxy.HTTPVersion == "1.0"))
		if status != 0 {
			rq.Error(status)
			return
		}
		st.body = b
	} else if _, ok := r.Header["Content-Length"]; ok {
		st.declared = r.ContentLength
	} else if hasBody(r) {
		// A chunked body that is not sent is still read, and its length
		// declared, as nginx does.
		b, status := readBody(rq, r, true)
		if status != 0 {
			rq.Error(status)
			return
		}
		st.declared = b.length
		b.close()
	}
	answered := h.cacheStart(st, w, r)
	if bg == nil {
		defer st.countCache()
	}
	if answered {
		return
	}
	defer st.cacheEnd()
	if unwatch := h.watchClient(st); unwatch != nil {
		defer unwatch()
	}
	st.ctx = stateCtx{r.Context(), st}
	st.header = r.Header
	in := r.WithContext(&st.ctx)
	// ReverseProxy clones the inbound header map only to strip it;
	// rewrite builds the upstream's from st.header instead.
	in.Header = nil
	h.rp.ServeHTTP(&st.held, in)
	for _, stop := range st.senders {
		stop()
	}
	if st.body != nil {
		st.body.close()
	}
}

func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
}

// proxyHost is $proxy_host: the host of proxy_pass, with the port when it
// is not the scheme's default; "localhost" for a unix socket, as nginx
// names one.
func proxyHost(host string, port int, scheme string, explicit bool) string {
	if strings.HasPrefix(host, "unix:") {
		return "localhost"
	}
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
// redirect goes in full. The decoded URI is escaped again only when the
// client's had %-escapes or the request was rewritten or redirected:
// otherwise bytes such as UTF-8 go on as they came.
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
		return escapeURI(rq, rq.URI) + args
	}
	rest := rq.URI
	if pl := rq.Location.Pattern; len(rest) >= len(pl) {
		rest = rest[len(pl):]
	} else {
		rest = ""
	}
	return p.URI + escapeURI(rq, rest) + args
}

// escapeURI escapes a decoded URI part as nginx does: only for a client
// URI that had %-escapes, or one a rewrite or redirect produced.
func escapeURI(rq *httpcore.Request, s string) string {
	if rq.Internal || rq.Rewritten || quotedURI(rq.R) {
		return httpcore.EscapeURI(s)
	}
	return s
}

// quotedURI says whether the path of the client's request target has a
// %-escape.
func quotedURI(r *http.Request) bool {
	u, _, _ := strings.Cut(rawRequestURI(r), "?")
	return strings.IndexByte(u, '%') >= 0
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
	if rest, ok := strings.CutPrefix(url, "unix:"); ok {
		// unix:/path[:uri]: the path ends at the first ":".
		path, uri, _ := strings.Cut(rest, ":")
		if path == "" {
			h.c.errs.Request(rq, confparse.LevelError, "no path in the unix domain socket in upstream \""+url+"\"")
			rq.Error(500)
			return false
		}
		host := "unix:" + path
		st.group = h.c.groupFor(host, port, h.loc)
		rq.Upstream.ProxyHost = proxyHost(host, port, st.scheme, false)
		rq.Upstream.ProxyPort = strconv.Itoa(port)
		st.uri = h.varsURI(rq, uri)
		return true
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
	if name, _, _ := splitPort(host); h.c.blocks[host] == nil && net.ParseIP(strings.Trim(name, "[]")) == nil &&
		(h.loc.Core.Resolver == nil || len(h.loc.Core.Resolver.Addrs) == 0) {
		// nginx resolves a name from a variable only with "resolver".
		h.c.errs.Request(rq, confparse.LevelError, "no resolver defined to resolve "+name)
		rq.Error(502)
		return false
	}
	st.group = h.c.groupFor(host, port, h.loc)
	rq.Upstream.ProxyHost = proxyHost(host, port, st.scheme, explicit)
	rq.Upstream.ProxyPort = strconv.Itoa(port)
	st.uri = h.varsURI(rq, uri)
	return true
}

// varsURI is the URI sent for a proxy_pass with variables: the URL's own
// URI part, or without one the client's request URI (the current URI
// after a rewrite or an internal redirect).
func (h *handler) varsURI(rq *httpcore.Request, uri string) string {
	if uri != "" {
		return uri
	}
	if !rq.Internal && !rq.Rewritten {
		return rawRequestURI(rq.R)
	}
	uri = escapeURI(rq, rq.URI)
	if rq.Args != "" {
		uri += "?" + rq.Args
	}
	return uri
}

// rewrite builds the upstream request's headers: proxy_set_header values
// first (an empty one removes the header), then the client's headers
// that none of them names.
func (h *handler) rewrite(pr *httputil.ProxyRequest) {
	st := stateOf(pr.In)
	rq := st.rq
	out := pr.Out
	hdr := outHeaders.Get().(http.Header)
	st.out = hdr
	// The configured values share one backing array.
	var vals []string
	for _, s := range h.headers {
		v := rq.Eval(s.Value)
		if v == "" {
			if strings.EqualFold(s.Name, "Host") {
				st.noHost = true
			}
			continue
		}
		if strings.EqualFold(s.Name, "Host") {
			st.hostHdr = v
			continue
		}
		if prev := hdr[s.Name]; prev != nil {
			hdr[s.Name] = append(prev, v)
			continue
		}
		if vals == nil {
			vals = make([]string, 0, len(h.headers))
		}
		vals = append(vals, v)
		hdr[s.Name] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	if *h.loc.Proxy.PassRequestHeaders {
		for k, vs := range st.header {
			if configured(h.order, k) {
				continue
			}
			hdr[k] = vs
		}
		st.client, st.lines = headerLines(rq.W)
	}
	_, hasUA := hdr["User-Agent"]
	st.noUA = !hasUA
	out.Header = hdr
	out.Host = st.hostHdr
	out.URL.Scheme = st.scheme
	out.URL.Host = st.group.name
	if m := h.loc.Proxy.Method; m != nil {
		out.Method = rq.Eval(m)
	}
	if c := st.cache; c != nil {
		// proxy_cache_convert_head: the entry must hold a body.
		if out.Method == "HEAD" && *c.conf.ConvertHead {
			out.Method = "GET"
		}
		st.revalidateHeaders(hdr, h.userSet)
	}
}
