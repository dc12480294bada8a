// Package sub is ngx_http_sub_module: the sub_filter strings replaced in
// the body of a response of a sub_filter_types type, as the body
// streams through.
//
// As in nginx: strings are found case aside (ASCII); at each place the
// first sub_filter in the configuration's order whose string is there
// wins, and one that may still be there waits for the next write, so a
// match split between writes is found and nothing else is held back;
// with sub_filter_once each string is replaced once at most. A string
// still unfinished when the body ends is sent as it is. The main
// request's response loses its Content-Length (and ranges) and, unless
// sub_filter_last_modified, its Last-Modified and ETag; with it the
// ETag becomes weak.
package sub

import (
	"io"
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
)

func init() {
	httpcore.RegisterHeaderFilter(httpcore.OrderSub, filter)
	httpcore.RegisterBodyTransform(applies)
}

// applies says whether the module may rewrite this response's body.
func applies(rq *httpcore.Request, _ int) bool {
	if rq.Loc == nil || len(rq.Loc.Sub.Pairs) == 0 {
		return false
	}
	h := rq.Header()
	if h.Get("Content-Length") == "0" {
		return false
	}
	// "*" takes a response without a Content-Type too, as nginx's
	// empty types hash does.
	return httpcore.TypeMatches(h.Get("Content-Type"), rq.Loc.Sub.Types)
}

func filter(rq *httpcore.Request, status int) {
	if !applies(rq, status) {
		return
	}
	s := &rq.Loc.Sub
	var pats []pattern
	for _, p := range s.Pairs {
		m := p.Match
		if m.IsConst() {
			pats = append(pats, pattern{match: []byte(m.Parts[0].Lit), value: p.Value})
			continue
		}
		// A string with variables is read once, for the whole
		// body; one that comes out empty is left out.
		v := rq.Eval(m)
		if v == "" {
			continue
		}
		pats = append(pats, pattern{match: []byte(asciiLower(v)), value: p.Value})
	}
	if len(pats) == 0 {
		return
	}
	h := rq.Header()
	if rq.Parent == nil {
		// An upstream's Accept-Ranges stays, as nginx's filter
		// leaves it; a file's is not offered (httpcore.WillTransform).
		delete(h, "Content-Length")
		if !*s.LastModified {
			delete(h, "Last-Modified")
			delete(h, "ETag")
			delete(h, "Etag")
		} else {
			for _, k := range []string{"ETag", "Etag"} {
				if et := h[k]; len(et) == 1 && !strings.HasPrefix(et[0], "W/") {
					h[k] = []string{"W/" + et[0]}
				}
			}
		}
	}
	if rq.R.Method == "HEAD" {
		return
	}
	rq.AddBodyFilter(func(next io.Writer) io.Writer {
		return &replacer{rq: rq, next: next, pats: pats, once: *s.Once}
	})
}

// asciiLower lower-cases ASCII letters only, as nginx's ngx_strlow.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lower(c)
	}
	return string(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// pattern is one string to find, lower-cased, and its replacement.
type pattern struct {
	match []byte
	value *confparse.Template
	sub   []byte // value, evaluated at the first match
	done  bool   // replaced once with sub_filter_once
}

// replacer is the body filter.
type replacer struct {
	rq      *httpcore.Request
	next    io.Writer
	pats    []pattern
	once    bool
	left    int    // patterns not yet done
	pending []byte // the start of a possible match, held for more
	out     []byte
	started bool
	first   [256]bool // the bytes a pattern starts with, either case
}

func (r *replacer) Write(p []byte) (int, error) {
	if !r.started {
		r.started, r.left = true, len(r.pats)
		for _, pt := range r.pats {
			c := pt.match[0]
			r.first[c] = true
			if 'a' <= c && c <= 'z' {
				r.first[c-'a'+'A'] = true
			}
		}
	}
	n := len(p)
	data := p
	if len(r.pending) > 0 {
		data = append(r.pending, p...)
		r.pending = nil
	}
	out := r.scan(r.out[:0], data)
	r.out = out[:0]
	if len(out) == 0 {
		return n, nil
	}
	if _, err := r.next.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}

// scan appends data with the replacements made to out; the tail that
// may start a match not yet complete is kept in pending.
func (r *replacer) scan(out, data []byte) []byte {
	from := 0 // start of the bytes not yet copied
	for i := 0; i < len(data) && r.left > 0; i++ {
		if !r.first[data[i]] {
			continue
		}
		c := lower(data[i])
		for k := range r.pats {
			pt := &r.pats[k]
			if pt.done || pt.match[0] != c {
				continue
			}
			full, partial := compare(data[i:], pt.match)
			if partial {
				// It may be there: wait for the rest.
				out = append(out, data[from:i]...)
				r.pending = append(r.pending[:0], data[i:]...)
				return out
			}
			if !full {
				continue
			}
			out = append(out, data[from:i]...)
			if pt.sub == nil {
				pt.sub = []byte(r.rq.Eval(pt.value))
			}
			out = append(out, pt.sub...)
			if r.once {
				pt.done = true
				r.left--
			}
			i += len(pt.match) - 1
			from = i + 1
			break
		}
	}
	return append(out, data[from:]...)
}

// compare says whether data starts with the lower-case m, case aside:
// full when all of m is there, partial when data ends before m does.
func compare(data, m []byte) (full, partial bool) {
	for j := range m {
		if j == len(data) {
			return false, true
		}
		if lower(data[j]) != m[j] {
			return false, false
		}
	}
	return true, false
}

// Close sends what was held: the body ended before the string did. A
// body cut short (an upstream that closed early) ends without it, as
// nginx's filter never sees the last buffer then.
func (r *replacer) Close() error {
	if len(r.pending) == 0 || r.rq.CutShort() {
		return nil
	}
	_, err := r.next.Write(r.pending)
	r.pending = nil
	return err
}
