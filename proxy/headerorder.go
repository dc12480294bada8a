package proxy

// headerorder.go sends the upstream request's header lines in nginx's
// order: its proxy_set_header list as the location compiled it (the
// configured lines in order, then nginx's defaults that none of them
// names), then the client's lines as they came, duplicates in place and
// names as written. net/http's header map has no order; writing it
// sorted by name was goproxy's own order, which an upstream that signs
// or inspects the head sees.

import (
	"bufio"
	"net/http"
	"slices"
	"strings"

	"goproxy/confparse"
)

// setHeader is one line of the compiled list: key is the header map's
// key for it (the name as configured, canonical for the framing ones),
// name the name as sent.
type setHeader struct{ key, name string }

// framingHeaders are nginx's defaults after Host and Connection: the
// body's framing, set per request from the body sent. The defaults
// after them have empty values, so after all the others is their place.
var framingHeaders = []string{"Content-Length", "Transfer-Encoding"}

// compileOrder is the list in nginx's order; with cache, nginx's cache
// list (ngx_http_proxy_cache_headers), whose defaults end with the
// validators of proxy_cache_revalidate.
func compileOrder(headers []*confparse.HeaderTmpl, setKeys map[string]bool, cache bool) []setHeader {
	var out []setHeader
	add := func(key, name string) {
		if !slices.ContainsFunc(out, func(s setHeader) bool { return s.key == key }) {
			out = append(out, setHeader{key, name})
		}
	}
	for _, s := range headers {
		add(s.Name, s.Name)
	}
	defaults := framingHeaders
	if cache {
		defaults = append(defaults[:len(defaults):len(defaults)], cacheHeaders...)
	}
	for _, k := range defaults {
		if !setKeys[strings.ToLower(k)] {
			add(k, k)
		}
	}
	return out
}

// configured says whether the compiled list names key.
func configured(list []setHeader, key string) bool {
	for _, s := range list {
		if strings.EqualFold(s.key, key) {
			return true
		}
	}
	return false
}

// clientLines are the client's header lines in their order, when the
// server kept them and the request's header map still holds exactly
// them.
type clientLines struct{ keys, names, vals []string }

// writeHeaders writes r's header lines (Host from r.Host) in nginx's
// order and returns their size.
func writeHeaders(bw *bufio.Writer, r *http.Request, list []setHeader, cl *clientLines) int64 {
	var n int64
	line := func(name, v string) {
		bw.WriteString(name)
		bw.WriteString(": ")
		bw.WriteString(v)
		bw.WriteString("\r\n")
		n += int64(len(name) + len(v) + 4)
	}
	for _, s := range list {
		if strings.EqualFold(s.key, "Host") {
			if r.Host != "" {
				line(s.name, r.Host)
			}
			continue
		}
		for _, v := range r.Header[s.key] {
			line(s.name, v)
		}
	}
	if cl != nil && linesMatch(r.Header, list, cl) {
		for i, k := range cl.keys {
			if !configured(list, k) {
				line(cl.names[i], cl.vals[i])
			}
		}
		return n
	}
	// The order the client's lines came in is not known (HTTP/2), or
	// the map changed since: by name. HTTP/2's names came in lower
	// case, and nginx passes them so.
	lower := r.ProtoMajor == 2
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		if !configured(list, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range r.Header[k] {
			if !lower {
				line(k, v)
				continue
			}
			for i := 0; i < len(k); i++ {
				c := k[i]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				bw.WriteByte(c)
			}
			line("", v)
			n += int64(len(k))
		}
	}
	return n
}

// linesMatch says whether the client's lines that the list does not
// name are exactly what h holds under the other keys, each value at its
// place among the lines of its name.
func linesMatch(h http.Header, list []setHeader, cl *clientLines) bool {
	want := 0
	for k, vs := range h {
		if !configured(list, k) {
			want += len(vs)
		}
	}
	got := 0
	for i, k := range cl.keys {
		if configured(list, k) {
			continue
		}
		got++
		if !lineAt(h, cl.keys, cl.vals, i) {
			return false
		}
	}
	return got == want
}

// lineAt says whether line i's value is h's at the line's place among
// those of its name.
func lineAt(h http.Header, keys, vals []string, i int) bool {
	k := keys[i]
	hv := h[k]
	j := 0
	if len(hv) > 1 {
		for _, pk := range keys[:i] {
			if pk == k {
				j++
			}
		}
	}
	return j < len(hv) && hv[j] == vals[i]
}

// headerLines finds the client's header lines in the order they came,
// where the server kept them (httpd's HTTP/1.x response writer, under
// any wrappers).
func headerLines(w http.ResponseWriter) (clientLines, bool) {
	for w != nil {
		if h, ok := w.(interface {
			HeaderLines() (keys, names, vals []string)
		}); ok {
			var cl clientLines
			cl.keys, cl.names, cl.vals = h.HeaderLines()
			return cl, true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	return clientLines{}, false
}

// inOrder says whether the lines are exactly what the header map holds:
// each value the map's at its place among the lines of its name, and
// nothing else in the map.
func inOrder(h http.Header, keys, vals []string) bool {
	n := 0
	for _, v := range h {
		n += len(v)
	}
	if n != len(keys) {
		return false
	}
	for i := range keys {
		if !lineAt(h, keys, vals, i) {
			return false
		}
	}
	return true
}

// writeHeaders writes the attempt's header lines in nginx's order.
func (a *attempt) writeHeaders(bw *bufio.Writer) int64 {
	st := a.st
	list := a.h.order
	if c := st.cache; c != nil && c.store {
		list = a.h.orderCache
	}
	var cl *clientLines
	if st.lines {
		cl = &st.client
	}
	return writeHeaders(bw, a.req, list, cl)
}
