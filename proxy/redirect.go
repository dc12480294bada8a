package proxy

// redirect.go rewrites Location/Refresh (proxy_redirect) and Set-Cookie
// (proxy_cookie_domain, proxy_cookie_path; proxy_cookie_flags in
// cookieflags.go) in upstream responses.

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
			if m, _ := rq.FindRegex(r.Regex, rest); m != nil {
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

// cookieAttr is one ";"-separated part of a Set-Cookie value, its name
// and value trimmed of spaces (tabs stay, as in nginx).
type cookieAttr struct {
	name, value string
	eq          bool // the part had "=", so it is written back with one
	gone        bool // removed by proxy_cookie_flags
}

// parseCookie splits a Set-Cookie value into its parts; the first is the
// cookie itself, the rest its attributes.
func parseCookie(c string) []cookieAttr {
	parts := strings.Split(c, ";")
	attrs := make([]cookieAttr, len(parts))
	for i, p := range parts {
		p = strings.Trim(p, " ")
		k, v, ok := strings.Cut(p, "=")
		attrs[i] = cookieAttr{name: strings.TrimRight(k, " "), value: strings.TrimLeft(v, " "), eq: ok}
	}
	return attrs
}

// rewriteCookie applies proxy_cookie_domain, proxy_cookie_path and
// proxy_cookie_flags to one Set-Cookie value: each Domain and Path
// attribute (the name in any case) takes the first rule that matches it,
// then the first flags rule for the cookie's name edits its flags. A
// value no rule matched is returned as it came; otherwise it is written
// back as nginx does, its parts trimmed and joined by "; " (a part
// proxy_cookie_flags removed leaves no separator either).
func rewriteCookie(rq *httpcore.Request, c string, pl *confparse.ProxyLoc) string {
	domains, paths := pl.CookieDomains, pl.CookiePaths
	attrs := parseCookie(c)
	if !attrs[0].eq {
		return c // not a cookie (no "=" in its pair): nginx leaves it
	}
	changed := false
	for i := 1; i < len(attrs); i++ {
		a := &attrs[i]
		if !a.eq {
			continue
		}
		var v string
		var ok bool
		switch {
		case strings.EqualFold(a.name, "domain"):
			v, ok = rewriteCookieDomain(rq, a.value, domains)
		case strings.EqualFold(a.name, "path"):
			v, ok = rewriteCookiePath(rq, a.value, paths)
		default:
			continue
		}
		if ok {
			a.value, changed = v, true
		}
	}
	if len(pl.CookieFlags) > 0 {
		var edited bool
		attrs, edited = editCookieFlags(rq, attrs, pl.CookieFlags)
		changed = changed || edited
	}
	if !changed {
		return c
	}
	var b strings.Builder
	for i, a := range attrs {
		if a.gone {
			continue
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(a.name)
		if a.eq {
			b.WriteByte('=')
			b.WriteString(a.value)
		}
	}
	return b.String()
}

// rewriteCookieDomain is proxy_cookie_domain for one Domain value. A
// plain rule compares the domain without its leading dot, in any case,
// and keeps that dot in front of the replacement; a regex rule (always
// caseless) replaces the whole value.
func rewriteCookieDomain(rq *httpcore.Request, v string, rules []*confparse.Redirect) (string, bool) {
	for _, r := range rules {
		if r.Regex != nil {
			if m, _ := rq.FindRegex(r.Regex, v); m != nil {
				rq.SetCaptures(r.Regex, v, m)
				return rq.Eval(r.Replacement), true
			}
			continue
		}
		dot, name := "", v
		if strings.HasPrefix(v, ".") {
			dot, name = ".", v[1:]
		}
		if strings.EqualFold(name, rq.Eval(r.From)) {
			return dot + rq.Eval(r.Replacement), true
		}
	}
	return v, false
}

// rewriteCookiePath is proxy_cookie_path for one Path value: a plain rule
// replaces a matching prefix (case matters), a regex the whole value.
func rewriteCookiePath(rq *httpcore.Request, v string, rules []*confparse.Redirect) (string, bool) {
	for _, r := range rules {
		if r.Regex != nil {
			if m, _ := rq.FindRegex(r.Regex, v); m != nil {
				rq.SetCaptures(r.Regex, v, m)
				return rq.Eval(r.Replacement), true
			}
			continue
		}
		if from := rq.Eval(r.From); strings.HasPrefix(v, from) {
			return rq.Eval(r.Replacement) + v[len(from):], true
		}
	}
	return v, false
}
