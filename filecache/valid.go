package filecache

// valid.go decides whether and for how long a response is cached, by the
// rules of nginx's upstream module: X-Accel-Expires first, then
// Cache-Control, then Expires, and the *_cache_valid list only when none
// of them set a time; Set-Cookie and "Vary: *" make a response
// uncacheable. Each header can be ignored (proxy_ignore_headers).

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"goproxy/confparse"
)

// Ignore says which response headers *_ignore_headers names.
type Ignore func(header string) bool

// maxVary is nginx's NGX_HTTP_CACHE_VARY_LEN: a longer Vary is not cached.
const maxVary = 128

// Stale is what a response's Cache-Control allows once it is expired
// (RFC 5861): how long it may be served while a request refreshes it,
// and how long instead of an upstream that fails.
type Stale struct {
	WhileRevalidate time.Duration
	IfError         time.Duration
}

// Freshness is how long a response stays fresh, and its stale windows.
type Freshness struct {
	Until time.Time
	Stale
}

// Validity is how long a response with status and headers h, received at
// now, stays fresh; ok false means it is not cached.
func Validity(status int, h http.Header, valid []*confparse.CacheValid, ignore Ignore, now time.Time) (f Freshness, ok bool) {
	f, set, ok := headerValidity(h, ignore, now)
	if !ok || set {
		return f, ok
	}
	if d := validFor(status, valid); d > 0 {
		f.Until = now.Add(d)
		return f, true
	}
	return Freshness{}, false
}

// Revalidation is the new freshness of an entry the upstream confirmed
// with a 304 whose headers are h, as nginx has it: the 304's own
// validity, else the one the entry's stored headers give now, else the
// *_cache_valid time of its status; ok false leaves the entry as it was.
func Revalidation(e *Meta, h http.Header, valid []*confparse.CacheValid, ignore Ignore, now time.Time) (Freshness, bool) {
	if f, set, _ := headerValidity(h, ignore, now); set {
		return f, true
	}
	f, set, _ := headerValidity(e.Header, ignore, now)
	if set {
		return f, true
	}
	if d := validFor(e.Status, valid); d > 0 {
		f.Until = now.Add(d)
		return f, true
	}
	return Freshness{}, false
}

// headerValidity reads what the headers say: set when one of them gave
// a time, ok false when one makes the response uncacheable.
func headerValidity(h http.Header, ignore Ignore, now time.Time) (f Freshness, set, ok bool) {
	if ignore == nil {
		ignore = func(string) bool { return false }
	}
	if !ignore("Set-Cookie") && len(h["Set-Cookie"]) > 0 {
		return f, false, false
	}
	if !ignore("Vary") {
		v := strings.Join(h["Vary"], ",")
		if strings.TrimSpace(v) == "*" || len(v) > maxVary || hasStar(v) {
			return f, false, false
		}
	}
	if x := h.Get("X-Accel-Expires"); x != "" && !ignore("X-Accel-Expires") {
		if strings.HasPrefix(x, "@") {
			n, err := strconv.ParseInt(x[1:], 10, 64)
			if err != nil {
				return f, false, false
			}
			f.Until, set = time.Unix(n, 0), true
		} else {
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil || n == 0 {
				return f, false, false
			}
			f.Until, set = now.Add(time.Duration(n)*time.Second), true
		}
	}
	if cc := h["Cache-Control"]; len(cc) > 0 && !ignore("Cache-Control") {
		v := strings.ToLower(strings.Join(cc, ","))
		if !set {
			// nginx looks for these anywhere in the value.
			if strings.Contains(v, "no-cache") || strings.Contains(v, "no-store") || strings.Contains(v, "private") {
				return f, false, false
			}
			age, found := maxAge(v, "s-maxage")
			if !found {
				age, found = maxAge(v, "max-age")
			}
			if found {
				if age <= 0 {
					return f, false, false
				}
				f.Until, set = now.Add(time.Duration(age)*time.Second), true
			}
		}
		// The stale windows are read even when X-Accel-Expires gave
		// the time, as nginx does.
		if n, found := maxAge(v, "stale-while-revalidate"); found {
			if n < 0 {
				return f, false, false
			}
			f.WhileRevalidate = time.Duration(n) * time.Second
			f.IfError = f.WhileRevalidate
		}
		if n, found := maxAge(v, "stale-if-error"); found {
			if n < 0 {
				return f, false, false
			}
			f.IfError = time.Duration(n) * time.Second
		}
	}
	if e := h["Expires"]; !set && len(e) > 0 && !ignore("Expires") {
		t, err := http.ParseTime(e[0])
		if err != nil || !t.After(now) {
			return f, false, false
		}
		f.Until, set = t, true
	}
	return f, set, true
}

// validFor is *_cache_valid's time for a status: its own entry first,
// else "any"'s.
func validFor(status int, valid []*confparse.CacheValid) time.Duration {
	var anyTime time.Duration
	for _, v := range valid {
		if v.Codes == nil {
			if anyTime == 0 {
				anyTime = v.Time
			}
			continue
		}
		for _, c := range v.Codes {
			if c == status {
				return v.Time
			}
		}
	}
	return anyTime
}

// maxAge reads "name=N" from a Cache-Control value (lower case) as
// nginx does: found anywhere, digits up to ',', ';' or ' ', anything else
// making the response uncacheable (n -1).
func maxAge(v, name string) (int64, bool) {
	i := strings.Index(v, name+"=")
	if i < 0 {
		return 0, false
	}
	var n int64
	for _, c := range []byte(v[i+len(name)+1:]) {
		if c == ',' || c == ';' || c == ' ' {
			break
		}
		if c < '0' || c > '9' || n > 1<<40 {
			return -1, true
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func hasStar(v string) bool {
	for _, f := range strings.Split(v, ",") {
		if strings.TrimSpace(f) == "*" {
			return true
		}
	}
	return false
}

// Variant is the hex md5 of the request's values of the headers a Vary
// names, as nginx's ngx_http_file_cache_vary computes its key: name
// (lower case) and the values in order.
func Variant(vary string, req http.Header) string {
	if vary == "" {
		return ""
	}
	var b strings.Builder
	for _, f := range strings.Split(vary, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		b.WriteString(strings.ToLower(f))
		b.WriteByte(':')
		b.WriteString(normalizeList(req.Values(f)))
		b.WriteString("\r\n")
	}
	return KeyOf(b.String()).Hex()
}

// normalizeList joins a header's values as nginx compares them for Vary:
// the elements of the comma-separated list, whitespace and empty ones
// dropped ("foo, bar" and "foo,,bar " are the same variant).
func normalizeList(vs []string) string {
	var out []string
	for _, v := range vs {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
	}
	return strings.Join(out, ",")
}

// VariantKey is the key of a secondary entry, for a variant the main
// entry of key does not hold.
func VariantKey(k Key, variant string) Key { return KeyOf(string(k[:]) + variant) }
