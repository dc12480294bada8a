package proxy

// response.go applies nginx's rules to an upstream's response before it
// goes to the client: hidden and hop-by-hop headers, proxy_redirect,
// cookie rewrites, X-Accel-*, proxy_intercept_errors, and the error
// page of a failed attempt.

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
)

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
	case errors.Is(err, errUpgraded):
		return
	case errors.Is(err, errIntercept):
		rq.Error(st.status)
		return
	case errors.Is(err, errServeCached):
		h.serveCached(st)
		return
	}
	status := st.status
	if status == 0 {
		status = 502
		if errors.Is(err, context.Canceled) {
			status = 499
		}
	}
	if h.staleOnError(st, err) {
		return
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
	if resp.StatusCode == http.StatusSwitchingProtocols {
		h.hideHeaders(resp)
		if rq.R.Header["Upgrade"] == nil {
			// nginx upgrades only a request that asked for it.
			return h.notUpgraded(st, resp)
		}
		return h.tunnel(rq, resp)
	}
	if st.http09 {
		if s, ok := rq.W.(interface{ Simple() }); ok {
			s.Simple()
		}
		return nil
	}
	if err := h.cacheResponse(st, resp); err != nil {
		return err
	}
	for k, v := range st.hop {
		resp.Header[k] = v
	}
	for _, hn := range st.names {
		rq.NoteHeader(hn.Key, hn.Name)
	}
	if s, ok := rq.W.(interface{ SetStatusLine(int, string) }); ok {
		s.SetStatusLine(resp.StatusCode, resp.Status)
	}
	h.accel(rq, resp.Header)
	if x := resp.Header.Get("X-Accel-Redirect"); x != "" && !ignored(pl.IgnoreHeaders, "X-Accel-Redirect") {
		resp.Body.Close()
		st.redirect = x
		return errAccelRedirect
	}
	if ic, ok := h.wire.(interceptor); ok && ic.intercepts(resp.StatusCode) ||
		*pl.InterceptErrors && resp.StatusCode >= 300 && hasErrorPage(rq.Loc, resp.StatusCode) {
		resp.Body.Close()
		st.status = resp.StatusCode
		return errIntercept
	}
	if strings.EqualFold(resp.Header.Get("X-Accel-Buffering"), "no") && !ignored(pl.IgnoreHeaders, "X-Accel-Buffering") {
		// Streams flush as they come, whatever proxy_buffering says:
		// ReverseProxy flushes each write of a body of unknown length
		// (the Content-Length header itself is kept).
		resp.ContentLength = -1
		st.stream = true
	}
	if rb, ok := resp.Body.(*respBody); ok && !st.stream && *pl.LimitRate > 0 {
		// proxy_limit_rate paces the buffered reading only, as nginx's
		// event pipe; an unbuffered response is read as it comes.
		rb.rate, rb.startSec = *pl.LimitRate, time.Now().Unix()
	}
	h.storeResponse(st, resp)
	h.hideHeaders(resp)
	if err := h.upstreamRanges(st, resp, nil); err != nil {
		return err
	}
	for i, v := range resp.Header["Location"] {
		resp.Header["Location"][i] = h.rewriteLocation(rq, v)
	}
	for i, v := range resp.Header["Refresh"] {
		resp.Header["Refresh"][i] = h.rewriteRefresh(rq, v)
	}
	if cs := resp.Header["Set-Cookie"]; len(cs) > 0 && (len(pl.CookieDomains) > 0 || len(pl.CookiePaths) > 0 || len(pl.CookieFlags) > 0) {
		for i, c := range cs {
			cs[i] = rewriteCookie(rq, c, pl)
		}
	}
	return nil
}

// accel applies X-Accel-Limit-Rate and X-Accel-Charset of an upstream's
// head, or of one kept in the cache, unless proxy_ignore_headers lists
// them.
func (h *handler) accel(rq *httpcore.Request, hd http.Header) {
	ig := h.loc.Proxy.IgnoreHeaders
	if v := hd.Get("X-Accel-Limit-Rate"); v != "" && !ignored(ig, "X-Accel-Limit-Rate") {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			rq.SetLimitRate(n)
		}
	}
	if v := hd.Get("X-Accel-Charset"); v != "" && !ignored(ig, "X-Accel-Charset") {
		rq.OverrideCharset = v // the charset module sends the response in it
	}
}

// hopHeaders saves the response headers that ReverseProxy strips as
// hop-by-hop but nginx passes on: all but Connection, Keep-Alive and
// Transfer-Encoding, including those Connection names.
func hopHeaders(h http.Header) http.Header {
	var out http.Header
	add := func(k string) {
		if v, ok := h[k]; ok && k != "Connection" && k != "Keep-Alive" && k != "Transfer-Encoding" {
			if out == nil {
				out = http.Header{}
			}
			out[k] = v
		}
	}
	for _, k := range []string{"Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Upgrade"} {
		add(k)
	}
	for _, v := range h["Connection"] {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				add(http.CanonicalHeaderKey(f))
			}
		}
	}
	return out
}

// hideHeaders drops the upstream headers nginx does not pass on.
func (h *handler) hideHeaders(resp *http.Response) {
	for k := range h.hide {
		delete(resp.Header, k)
	}
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
