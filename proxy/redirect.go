package proxy

// redirect.go rewrites Location/Refresh (proxy_redirect) and Set-Cookie
// (proxy_cookie_domain, proxy_cookie_path) in upstream responses.

import (
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// rewriteRedirect applies the first matching proxy_redirect rule. Only a
// rewritten value is later made absolute by the header filter, as in
// nginx; an upstream's own relative Location passes unchanged.
func (h *handler) rewriteRedirect(rq *httpcore.Request, st *state, v string) string {
	rules := h.loc.Proxy.Redirects
	if rules == nil {
		rules = []*confparse.Redirect{{Default: true}}
	}
	for _, r := range rules {
		if r.Default {
			if h.pass.Vars {
				continue
			}
			from, to := h.defaultRedirect(rq)
			if strings.HasPrefix(v, from) {
				return to + v[len(from):]
			}
			continue
		}
		if r.Regex != nil {
			if m := r.Regex.Re.FindStringSubmatchIndex(v); m != nil {
				rq.SetCaptures(r.Regex, v, m)
				return rq.Eval(r.Replacement)
			}
			continue
		}
		from := rq.Eval(r.From)
		if strings.HasPrefix(v, from) {
			return rq.Eval(r.Replacement) + v[len(from):]
		}
	}
	rq.KeepLocation = true
	return v
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
