package proxy

// redirect.go rewrites Location/Refresh (proxy_redirect) and Set-Cookie
// (proxy_cookie_domain, proxy_cookie_path) in upstream responses.

import (
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// rewriteRedirect applies the first matching proxy_redirect rule to the
// part of v after prefix bytes, and says whether one matched. String
// rules compare case-sensitively, as nginx does.
func (h *handler) rewriteRedirect(rq *httpcore.Request, v string, prefix int) (string, bool) {
	rules := h.loc.Proxy.Redirects
	if rules == nil {
		rules = []*confparse.Redirect{{Default: true}}
	}
	head, rest := v[:prefix], v[prefix:]
	for _, r := range rules {
		if r.Default {
			if h.pass.Vars {
				continue
			}
			from, to := h.defaultRedirect(rq)
			if strings.HasPrefix(rest, from) {
				return head + to + rest[len(from):], true
			}
			continue
		}
		if r.Regex != nil {
			if m := r.Regex.Re.FindStringSubmatchIndex(rest); m != nil {
				rq.SetCaptures(r.Regex, rest, m)
				return head + rq.Eval(r.Replacement), true
			}
			continue
		}
		from := rq.Eval(r.From)
		if strings.HasPrefix(rest, from) {
			return head + rq.Eval(r.Replacement) + rest[len(from):], true
		}
	}
	return v, false
}

// rewriteLocation is proxy_redirect for Location. Only a rewritten value
// is later made absolute by the header filter, as in nginx; an
// upstream's own relative Location passes unchanged.
func (h *handler) rewriteLocation(rq *httpcore.Request, v string) string {
	out, ok := h.rewriteRedirect(rq, v, 0)
	if !ok {
		rq.KeepLocation = true
	}
	return out
}

// rewriteRefresh is proxy_redirect for Refresh: the rules apply to what
// follows "url=" (in any case); a value without it is left alone.
func (h *handler) rewriteRefresh(rq *httpcore.Request, v string) string {
	i := strings.Index(strings.ToLower(v), "url=")
	if i < 0 {
		return v
	}
	out, _ := h.rewriteRedirect(rq, v, i+4)
	return out
}

// defaultRedirect is "proxy_redirect default": the proxy_pass URL is
// replaced by the location's name, or "URL/" by "/" when proxy_pass has
// no URI.
func (h *handler) defaultRedirect(rq *httpcore.Request) (string, string) {
	base := h.pass.Scheme + "://" + h.pass.Host
	if h.pass.HasURI {
		name := ""
		if rq.Location != nil {
			name = rq.Location.Pattern
		}
		return base + h.pass.URI, name
	}
	return base + "/", "/"
}

// rewriteCookie applies proxy_cookie_domain and proxy_cookie_path to one
// Set-Cookie value.
func rewriteCookie(rq *httpcore.Request, c string, domains, paths []*confparse.Redirect) string {
	parts := strings.Split(c, ";")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name := strings.ToLower(strings.TrimSpace(k))
		var rules []*confparse.Redirect
		switch name {
		case "domain":
			rules = domains
		case "path":
			rules = paths
		default:
			continue
		}
		for _, r := range rules {
			if r.Regex != nil {
				if m := r.Regex.Re.FindStringSubmatchIndex(v); m != nil {
					rq.SetCaptures(r.Regex, v, m)
					parts[i] = k + "=" + rq.Eval(r.Replacement)
					break
				}
				continue
			}
			from := rq.Eval(r.From)
			if name == "domain" {
				if strings.EqualFold(strings.TrimPrefix(v, "."), strings.TrimPrefix(from, ".")) {
					parts[i] = k + "=" + rq.Eval(r.Replacement)
					break
				}
				continue
			}
			if strings.HasPrefix(v, from) {
				parts[i] = k + "=" + rq.Eval(r.Replacement) + v[len(from):]
				break
			}
		}
	}
	return strings.Join(parts, ";")
}
