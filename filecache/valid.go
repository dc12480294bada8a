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

// Validity is how long a response with status and headers h, received at
// now, stays fresh; ok false means it is not cached.
func Validity(status int, h http.Header, valid []*confparse.CacheValid, ignore Ignore, now time.Time) (until time.Time, ok bool) {
	if ignore == nil {
		ignore = func(string) bool { return false }
	}
	if !ignore("Set-Cookie") && len(h["Set-Cookie"]) > 0 {
		return time.Time{}, false
	}
	if !ignore("Vary") {
		v := strings.Join(h["Vary"], ",")
		if strings.TrimSpace(v) == "*" || len(v) > maxVary || hasStar(v) {
			return time.Time{}, false
		}
	}
	set := false
	if x := h.Get("X-Accel-Expires"); x != "" && !ignore("X-Accel-Expires") {
		if strings.HasPrefix(x, "@") {
			n, err := strconv.ParseInt(x[1:], 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			until, set = time.Unix(n, 0), true
		} else {
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil || n == 0 {
				return time.Time{}, false
			}
			until, set = now.Add(time.Duration(n)*time.Second), true
		}
	}
	if cc := h["Cache-Control"]; !set && len(cc) > 0 && !ignore("Cache-Control") {
		v := strings.ToLower(strings.Join(cc, ","))
		// nginx looks for these anywhere in the value.
		if strings.Contains(v, "no-cache") || strings.Contains(v, "no-store") || strings.Contains(v, "private") {
			return time.Time{}, false
		}
		age, found := maxAge(v, "s-maxage")
		if !found {
			age, found = maxAge(v, "max-age")
		}
		if found {
			if age <= 0 {
				return time.Time{}, false
			}
			until, set = now.Add(time.Duration(age)*time.Second), true
		}
	}
	if e := h["Expires"]; !set && len(e) > 0 && !ignore("Expires") {
		t, err := http.ParseTime(e[0])
		if err != nil || !t.After(now) {
			return time.Time{}, false
		}
		until, set = t, true
	}
	if set {
		return until, true
	}
	if d := validFor(status, valid); d > 0 {
		return now.Add(d), true
	}
	return time.Time{}, false
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
