package proxy

// cgi.go plugs the protocols of the CGI family (FastCGI, SCGI, uwsgi),
// and memcached's, into the proxy's upstream core: the same groups, balancers, keep-alive
// pools, next_upstream, $upstream_* variables and response path as
// proxy_pass, with only the exchange on the connection replaced (a
// wire). Their settings are the proxy module's under other names, so a
// location of theirs is run with a view of its configuration in which
// the proxy fields hold the module's values.

import (
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"goproxy/confparse"
)

// wire is an upstream protocol other than HTTP/1.x: how one request goes
// out on a connection and its response head comes back.
type wire interface {
	exchange(h *handler, st *state, c *upConn, a *attempt) (*http.Response, error)
}

// preparer is a wire that checks the request before an upstream is
// chosen (memcached: the method and the key).
type preparer interface {
	prepare(h *handler, st *state) bool
}

// interceptor is a wire whose module has nginx intercept an upstream
// status whatever *_intercept_errors says (memcached's 404, a miss).
type interceptor interface {
	intercepts(status int) bool
}

// cgiHidden are the response headers nginx's CGI-family modules do not
// pass on (unlike proxy_pass, Date and Server do pass).
var cgiHidden = []string{"Status", "X-Accel-Expires", "X-Accel-Redirect", "X-Accel-Limit-Rate",
	"X-Accel-Buffering", "X-Accel-Charset"}

// newHandlerFor builds the content handler of a location: proxy_pass, or
// one of the CGI-family passes.
func (c *Config) newHandlerFor(l *confparse.Loc) *handler {
	switch {
	case l.FastCGI.Pass != nil:
		return c.newCGIHandler(l, &l.FastCGI.CGIUpstream, &fastcgiWire{conf: &l.FastCGI})
	case l.SCGI.Pass != nil:
		return c.newCGIHandler(l, &l.SCGI.CGIUpstream, &streamWire{conf: &l.SCGI.CGIUpstream, packet: scgiPacket})
	case l.Memcached.Pass != nil:
		return c.newCGIHandler(l, &l.Memcached.CGIUpstream, &memcachedWire{conf: &l.Memcached})
	case l.GRPC.Pass != nil:
		return c.newGRPCHandler(l)
	case l.UWSGI.Pass != nil:
		u := &l.UWSGI
		h := c.newCGIHandler(l, &u.CGIUpstream, &streamWire{conf: &u.CGIUpstream,
			packet: func(ps []cgiParam, length int64) ([]byte, error) {
				return uwsgiPacket(ps, byte(*u.Modifier1), byte(*u.Modifier2), *u.String)
			}})
		h.useTLS(c, &u.UpstreamSSL, "uwsgi", "suwsgi")
		return h
	}
	h := newHandler(c, l)
	h.useTLS(c, &l.Proxy.UpstreamSSL, "proxy", "https")
	return h
}

// newCGIHandler is the handler of a CGI-family location, on the proxy's
// upstream core.
func (c *Config) newCGIHandler(l *confparse.Loc, u *confparse.CGIUpstream, w wire) *handler {
	view := cgiView(l, u)
	return c.wireHandler(&view, u, w, cgiHidden)
}

// cgiView is the location as the proxy core reads it for a module of
// the CGI family's settings (u).
func cgiView(l *confparse.Loc, u *confparse.CGIUpstream) confparse.Loc {
	view := *l
	p := l.Proxy
	p.Pass = u.Pass
	// None of the HTTP header defaults applies (no headers are sent);
	// an empty Connection keeps the client's from deciding reuse.
	p.SetHeaders = []*confparse.HeaderTmpl{{Name: "Connection", Value: &confparse.Template{}}}
	p.ConnectTimeout, p.ReadTimeout, p.SendTimeout = u.ConnectTimeout, u.ReadTimeout, u.SendTimeout
	p.Buffering, p.RequestBuffering = u.Buffering, u.RequestBuffering
	p.HideHeaders, p.PassHeaders, p.IgnoreHeaders = u.HideHeaders, u.PassHeaders, u.IgnoreHeaders
	p.NextUpstream, p.NextUpstreamTries, p.NextUpstreamTimeout = u.NextUpstream, u.NextUpstreamTries, u.NextUpstreamTimeout
	p.InterceptErrors, p.IgnoreClientAbort = u.InterceptErrors, u.IgnoreClientAbort
	p.PassRequestHeaders, p.PassRequestBody = u.PassRequestHeaders, u.PassRequestBody
	p.BufferSize = u.BufferSize
	p.Cache = u.Cache
	p.UpstreamConn = u.UpstreamConn
	p.Redirects = []*confparse.Redirect{} // no proxy_redirect: Location passes as sent
	p.CookieDomains, p.CookiePaths, p.SetBody, p.Method = nil, nil, nil, nil
	v := "1.0"
	p.HTTPVersion = &v
	view.Proxy = p
	return view
}

// wireHandler is the handler of a view with the wire w; hidden are the
// response headers the module does not pass on by default.
func (c *Config) wireHandler(view *confparse.Loc, u *confparse.CGIUpstream, w wire, hidden []string) *handler {
	h := newHandler(c, view)
	h.wire = w
	h.hide = map[string]bool{}
	for _, k := range hidden {
		h.hide[http.CanonicalHeaderKey(k)] = true
	}
	for _, k := range u.PassHeaders {
		delete(h.hide, http.CanonicalHeaderKey(k))
	}
	for _, k := range u.HideHeaders {
		h.hide[http.CanonicalHeaderKey(k)] = true
	}
	return h
}

// exchange sends the request on c in the handler's protocol.
func (h *handler) exchange(p *pool, c *upConn, a *attempt) (*http.Response, error) {
	if h.wire == nil {
		return p.exchange(a.req.Context(), c, a)
	}
	st := stateOf(a.req)
	a.conn, a.read0 = c, c.nread
	return h.wire.exchange(h, st, c, a)
}

// resolveWire evaluates a CGI-family pass with variables: an upstream
// block's name, host:port, or unix:/path.
func (h *handler) resolveWire(st *state) bool {
	rq := st.rq
	host := rq.Eval(h.pass.URL)
	// A pass with variables has its module's plain scheme; the value
	// may name the TLS one.
	if rest, sch := confparse.CutPassScheme(h.pass.Scheme, host); sch != "" {
		host, st.scheme = rest, sch
	}
	if host == "" {
		h.c.errs.Request(rq, confparse.LevelError, "invalid URL \""+host+"\"")
		rq.Error(500)
		return false
	}
	port := 0
	if name, p, ok := splitPort(host); ok && !strings.HasPrefix(host, "unix:") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			h.c.errs.Request(rq, confparse.LevelError, "invalid port in upstream \""+host+"\"")
			rq.Error(500)
			return false
		}
		port = n
		if h.c.blocks[host] == nil && net.ParseIP(strings.Trim(name, "[]")) == nil &&
			(h.loc.Core.Resolver == nil || len(h.loc.Core.Resolver.Addrs) == 0) {
			h.c.errs.Request(rq, confparse.LevelError, "no resolver defined to resolve "+name)
			rq.Error(502)
			return false
		}
	} else if h.c.blocks[host] == nil && !strings.HasPrefix(host, "unix:") {
		h.c.errs.Request(rq, confparse.LevelError, "no port in upstream \""+host+"\"")
		rq.Error(500)
		return false
	}
	st.group = h.c.groupFor(host, port, h.loc)
	st.passHost = host
	st.uri = ""
	return true
}

// userParam says a *_param sets the name.
func userParam(ps []*confparse.Param, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}

// cgiParam is one parameter sent to a CGI-family application.
type cgiParam struct{ name, value string }

// cgiParams are the parameters of a request: the *_param list in order
// (an if_not_empty one only with a value), then, with
// *_pass_request_headers, each request header line as HTTP_NAME (upper
// case, "-" as "_"), one per line in the order the client sent them, as
// nginx 1.22 sends them. A header whose HTTP_ name a *_param sets is not
// sent.
func cgiParams(st *state, u *confparse.CGIUpstream) []cgiParam {
	rq := st.rq
	if b := st.body; b != nil && b.length >= 0 && b.stream == nil {
		// A chunked body read in full has a length now.
		rq.ReadBodyLength, rq.BodyRead = b.length, true
	}
	out := make([]cgiParam, 0, len(u.Params)+len(rq.R.Header))
	var set map[string]bool
	if c := st.cache; c != nil && c.store {
		// nginx's parameters for a cacheable request: the client's
		// conditional and range headers are not sent (the entry must
		// be the whole response), only the validators of an entry
		// being revalidated; a *_param of the same name still wins.
		set = map[string]bool{}
		for _, k := range cacheHeaders {
			set["HTTP_"+strings.ToUpper(strings.ReplaceAll(k, "-", "_"))] = true
		}
	}
	for _, p := range u.Params {
		if strings.HasPrefix(p.Name, "HTTP_") && len(p.Name) > 5 {
			if set == nil {
				set = map[string]bool{}
			}
			set[p.Name] = true
		}
		v := rq.Eval(p.Value)
		if p.IfNotEmpty && v == "" {
			continue
		}
		out = append(out, cgiParam{p.Name, v})
	}
	if set != nil {
		hd := http.Header{}
		st.revalidateHeaders(hd, nil)
		for _, k := range []string{"If-Modified-Since", "If-None-Match"} {
			name := "HTTP_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
			if v := hd.Get(k); v != "" && !userParam(u.Params, name) {
				out = append(out, cgiParam{name, v})
			}
		}
	}
	if !*u.PassRequestHeaders {
		return out
	}
	params := len(out)
	add := func(k, v string) {
		name := "HTTP_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
		if !set[name] {
			out = append(out, cgiParam{name, v})
		}
	}
	if cl, ok := headerLines(rq.W); ok && inOrder(rq.R.Header, cl.keys, cl.vals) {
		for i, k := range cl.keys {
			add(k, cl.vals[i])
		}
		return out
	}
	// The lines as they came are not known (HTTP/2), or the headers
	// changed since: by name.
	out = out[:params]
	names := make([]string, 0, len(rq.R.Header))
	for k := range rq.R.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range rq.R.Header[k] {
			add(k, v)
		}
	}
	return out
}
