package router

// phases.go runs nginx's request phases for one server block.

import (
	"net/http"
	"strconv"
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/metrics"
	"goproxy/slice"
)

// process runs the phases from server rewrite (named == nil) or from a
// named location's rewrite phase.
func (rt *Router) process(rq *httpcore.Request, srv *server, named *loc) {
	if named == nil {
		switch rt.runScript(rq, srv.conf.Loc.Rewrite.Script) {
		case scriptDone:
			return
		}
	}
	var l *loc
	for {
		if named != nil {
			l, named = named, nil
		} else {
			var res findResult
			l, res = srv.locs.find(rq.URI, rq.SetCaptures)
			if res == matchFailed {
				rq.LogRegexError(&confparse.MatchError{Subject: rq.URI, Source: l.conf.Regex.Source})
				rq.Error(500)
				return
			}
			if res == autoRedirect {
				rt.enterLocation(rq, l)
				rt.redirectSlash(rq)
				return
			}
		}
		if l == nil {
			// No location: the server's own settings serve.
			rq.Loc, rq.Location, rq.LocName = srv.conf.Loc, nil, ""
			rq.ProxyContent = rq.Loc.Proxy.Pass != nil
		} else {
			rt.enterLocation(rq, l)
		}
		if l != nil && l.conf.Conf.Core.Internal && !rq.Internal {
			// internal: reachable only by internal redirects.
			rq.Error(404)
			return
		}
		if rt.tooLarge(rq) {
			return
		}
		if l == nil {
			break
		}
		rq.URIChanged = false
		res := rt.runScript(rq, rq.Loc.Rewrite.Script)
		if res == scriptDone {
			return
		}
		if res == scriptLast || (res == scriptNext && rq.URIChanged) {
			// Post-rewrite: the URI changed, find the location again.
			rq.Redirects++
			if rq.Redirects >= 11 {
				rt.logf(rq, confparse.LevelError, "rewrite or internal redirection cycle while processing \""+rq.URI+"\"")
				rq.Error(500)
				return
			}
			continue
		}
		break
	}
	rt.realIP(rq) // preaccess, with the location's settings
	if !rt.limit(rq) || !rt.access(rq) {
		return
	}
	if l != nil && l.conf.Conf.Core.TryFiles != nil && rq.Loc.Proxy.Pass == nil {
		if done := rt.tryFiles(rq, srv); done {
			return
		}
	}
	if !rt.mirror(rq) {
		return
	}
	rt.content(rq)
}

// enterLocation makes a location's settings current; a method outside a
// limit_except list gets the limit_except block's settings instead.
func (rt *Router) enterLocation(rq *httpcore.Request, l *loc) {
	rq.Location = l.conf
	rq.Loc = l.conf.Conf
	rq.LocName = l.conf.Name()
	if le := rq.Loc.Core.LimitExcept; le != nil && !methodAllowed(le.Methods, rq.R.Method) {
		rq.Loc = le.Conf
	}
	rq.ProxyContent = rq.Loc.Proxy.Pass != nil
	if rq.Conn != nil {
		rq.Conn.BodyTimeout = *rq.Loc.Core.ClientBodyTimeout
		rq.Conn.ChunkSize = int32(min(*rq.Loc.HTTP2.ChunkSize, 1<<24))
	}
	// A chunked body is held to client_max_body_size as its sizes arrive.
	if b, ok := rq.R.Body.(interface{ SetMaxSize(int64) }); ok {
		b.SetMaxSize(*rq.Loc.Core.ClientMaxBodySize)
	}
}

// tooLarge applies client_max_body_size to a declared length (413).
func (rt *Router) tooLarge(rq *httpcore.Request) bool {
	max := *rq.Loc.Core.ClientMaxBodySize
	if max > 0 && rq.R.ContentLength > max {
		rt.logf(rq, confparse.LevelError, "client intended to send too large body: "+strconv.FormatInt(rq.R.ContentLength, 10)+" bytes")
		rq.Error(413)
		return true
	}
	return false
}

// redirectSlash is nginx's auto redirect for "location /x/" reached as
// "/x": 301 to the URI with a slash, the arguments kept.
func (rt *Router) redirectSlash(rq *httpcore.Request) {
	target := httpcore.EscapeURI(rq.URI) + "/"
	if rq.Args != "" {
		target += "?" + rq.Args
	}
	rq.W.Header().Set("Location", target)
	rq.Error(301)
}

// InternalRedirect implements httpcore.Engine: a new URI ("/x") or a
// named location ("@x"), processed from the start as nginx does.
func (rt *Router) InternalRedirect(rq *httpcore.Request, uri, args string) {
	rq.Redirects++
	if rq.Redirects >= 11 {
		if strings.HasPrefix(uri, "@") {
			rt.logf(rq, confparse.LevelError, "rewrite or internal redirection cycle while redirect to named location \""+uri+"\"")
		} else {
			rt.logf(rq, confparse.LevelError, "rewrite or internal redirection cycle while internally redirecting to \""+uri+"\"")
		}
		rq.ErrorPage = true
		rq.Error(500)
		return
	}
	rq.Internal = true
	rq.ClearModCtx()
	srv := rt.serverOf(rq)
	// What a content handler set on the response goes with the URI;
	// an auth module's WWW-Authenticate stays for error_page 401, and
	// the Location of a redirect for error_page 301/302 (nginx keeps
	// headers_out.location across the internal redirect).
	for k := range rq.W.Header() {
		if k != "Www-Authenticate" && k != "Location" {
			delete(rq.W.Header(), k)
		}
	}
	if strings.HasPrefix(uri, "@") {
		l := srv.named[uri[1:]]
		if l == nil {
			rq.Error(500)
			return
		}
		rt.process(rq, srv, l)
		return
	}
	rq.URI, rq.Args = uri, args
	rq.URIChanged, rq.AddURIToAlias = true, false
	rq.Filename, rq.DocRoot = "", ""
	rt.enterServer(rq, srv)
	rt.process(rq, srv, nil)
}

func (rt *Router) serverOf(rq *httpcore.Request) *server {
	for _, s := range rt.servers {
		if s.core == rq.Server {
			return s
		}
	}
	return rt.servers[0]
}

func methodAllowed(ms []string, m string) bool {
	for _, x := range ms {
		if x == m || (x == "GET" && m == "HEAD") {
			return true
		}
	}
	return false
}

// content is the content phase.
func (rt *Router) content(rq *httpcore.Request) {
	h := rt.handlerFor(rq.Loc)
	if h == nil && rq.Conn != nil {
		// Only an upstream's cache lock wants the request's place in
		// arrival order (httpd's arrival.go).
		rq.Conn.Arrival.Settle()
	}
	if rq.Loc.Goproxy.Metrics {
		metrics.Handler().ServeHTTP(rq, rq.R)
		return
	}
	if rq.Loc.Status.StubStatus {
		stubStatus(rq)
		return
	}
	if slice.Applies(rq) {
		slice.Serve(rq)
		return
	}
	if h != nil {
		h.ServeHTTP(rq, rq.R)
		return
	}
	if rq.ProxyContent {
		// An earlier if block's proxy_pass serves, with settings (a
		// later if block's) that name no upstream.
		rt.logf(rq, confparse.LevelAlert, "no upstream configuration")
		rq.Error(500)
		return
	}
	rt.static.ServeHTTP(rq, rq.R)
}

// handlerFor is the location's proxy handler, built at load time.
func (rt *Router) handlerFor(l *confparse.Loc) http.Handler {
	if !l.HasUpstream() {
		return nil
	}
	if h, ok := rt.handler[l]; ok {
		return h
	}
	return nil
}

// buildHandlers makes every location's proxy handler once, at load.
func (rt *Router) buildHandlers() error {
	if rt.proxy == nil {
		return nil
	}
	rt.Cfg.EachLoc(func(l *confparse.Loc) {
		if l.HasUpstream() {
			if _, ok := rt.handler[l]; !ok {
				rt.handler[l] = rt.proxy.Handler(l)
			}
		}
	})
	return nil
}

// contentKind is what serves a location's content.
type contentKind int

const (
	contentStatic contentKind = iota
	contentProxy
)

func contentFor(l *confparse.Loc) contentKind {
	if l.HasUpstream() {
		return contentProxy
	}
	return contentStatic
}

// autoRedirect: nginx redirects "/x" to "/x/" for locations whose
// content comes from an upstream.
func (k contentKind) autoRedirect() bool { return k == contentProxy }
