// Package charset is ngx_http_charset_module's filter: it names the
// charset in a response's Content-Type ("text/html; charset=utf-8") and
// recodes the body from the source charset through a charset_map table.
//
// As in nginx: only main requests of a charset_types type, not encoded;
// a charset the response already names is kept unless override_charset
// (it is then the source), and an upstream's X-Accel-Charset names the
// charset to send in; recoding between single-byte charsets keeps the
// length (and ranges), recoding to or from UTF-8 does not.
package charset

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"goproxy/confparse"
	"goproxy/httpcore"
)

func init() {
	httpcore.RegisterHeaderFilter(httpcore.OrderCharset, filter)
	httpcore.RegisterBodyTransform(willResize)
	httpcore.RegisterTypeFilter(partType)
}

// plan is what the filter does to one response.
type plan struct {
	mime, dst string
	m         *confparse.CharsetMap // nil: only name the charset
	backward  bool                  // recode with the table's To → From
}

// decide works out the plan; ok is false when the module leaves the
// response alone. It logs nothing, so the range check can ask too.
func decide(rq *httpcore.Request) (p plan, missing string, ok bool) {
	if rq.Loc == nil || rq.Parent != nil {
		return p, "", false
	}
	h := rq.Header()
	ct := rq.EntityType // the parts' type under multipart/byteranges
	if ct == "" {
		ct = h.Get("Content-Type")
	}
	if ct == "" || h.Get("Content-Encoding") != "" {
		return p, "", false
	}
	mime, have := splitCharset(ct)
	c := &rq.Loc.Charset
	if !httpcore.TypeMatches(mime, c.Types) {
		return p, "", false
	}
	p.mime = mime
	switch {
	case rq.OverrideCharset != "":
		name, known := knownCharset(rq.Cfg.HTTP, rq.OverrideCharset)
		if !known {
			return p, "unknown charset \"" + rq.OverrideCharset + "\" to override", false
		}
		p.dst = name
	case c.Charset.IsOff(), have != "" && !*c.Override:
		return p, "", false
	case c.Charset.IsConst():
		p.dst, _ = knownCharset(rq.Cfg.HTTP, c.Charset.Raw)
	default:
		p.dst = rq.Eval(c.Charset)
	}
	src := have
	if src == "" && c.Source != nil {
		src = rq.Eval(c.Source)
	}
	if src == "" || strings.EqualFold(src, p.dst) {
		return p, "", true
	}
	p.m, p.backward = findMap(rq.Cfg.HTTP, src, p.dst)
	if p.m == nil {
		return p, "no \"charset_map\" between the charsets \"" + src + "\" and \"" + p.dst + "\"", false
	}
	return p, "", true
}

// utf8Change says whether the plan recodes to or from UTF-8, which
// changes the length.
func (p plan) utf8Change() bool { return p.m != nil && p.m.UTF8 }

// willResize tells the range filter that the body's length changes.
func willResize(rq *httpcore.Request, _ int) bool {
	p, _, ok := decide(rq)
	return ok && p.utf8Change()
}

func filter(rq *httpcore.Request, _ int) {
	p, missing, ok := decide(rq)
	if missing != "" {
		if l, ok := rq.Eng.(httpcore.RequestLogger); ok {
			l.LogRequest(rq, confparse.LevelError, missing)
		}
	}
	if !ok {
		return
	}
	h := rq.Header()
	if rq.EntityType == "" {
		h.Set("Content-Type", p.mime+"; charset="+p.dst)
	}
	if p.m == nil {
		return
	}
	if p.utf8Change() {
		delete(h, "Content-Length")
		delete(h, "Accept-Ranges")
	}
	rq.AddBodyFilter(func(next io.Writer) io.Writer {
		return &recoder{next: next, m: p.m, backward: p.backward}
	})
}

// partType is the Content-Type the parts of a multipart range response
// carry: the entity's, with the charset the filter will name.
func partType(rq *httpcore.Request, ct string) string {
	if p, _, ok := decide(rq); ok {
		return p.mime + "; charset=" + p.dst
	}
	return ct
}

// splitCharset is a Content-Type's type (without parameters, kept as
// written) and the value of its charset parameter.
func splitCharset(ct string) (mime, charset string) {
	mime, params, _ := strings.Cut(ct, ";")
	mime = strings.TrimSpace(mime)
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "charset") {
			return mime, strings.Trim(v, `"`)
		}
	}
	return mime, ""
}

// recoder is the body filter. Single-byte tables recode byte by byte;
// from UTF-8 it decodes characters (one may be split between writes) and
// writes one it has no byte for as "&#N;", as nginx does.
type recoder struct {
	next     io.Writer
	m        *confparse.CharsetMap
	backward bool
	partial  []byte // the start of a UTF-8 character
	buf      []byte
}

func (r *recoder) Write(p []byte) (int, error) {
	n := len(p)
	out := r.buf[:0]
	switch {
	case !r.m.UTF8 && !r.backward:
		for _, c := range p {
			out = append(out, r.m.Forward[c][0])
		}
	case !r.m.UTF8:
		for _, c := range p {
			out = append(out, r.m.Back[c])
		}
	case !r.backward:
		for _, c := range p {
			out = append(out, r.m.Forward[c]...)
		}
	default:
		out = r.fromUTF8(out, p)
	}
	r.buf = out[:0]
	if len(out) == 0 {
		return n, nil
	}
	if _, err := r.next.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}

func (r *recoder) fromUTF8(out, p []byte) []byte {
	if len(r.partial) > 0 {
		p = append(r.partial, p...)
		r.partial = nil
	}
	for len(p) > 0 {
		if p[0] < 0x80 {
			if b, ok := r.m.BackUTF8[string(p[:1])]; ok {
				out = append(out, b)
			} else {
				out = append(out, p[0])
			}
			p = p[1:]
			continue
		}
		if !utf8.FullRune(p) {
			r.partial = append([]byte(nil), p...)
			break
		}
		ch, size := utf8.DecodeRune(p)
		if b, ok := r.m.BackUTF8[string(p[:size])]; ok {
			out = append(out, b)
		} else if ch == utf8.RuneError && size == 1 {
			out = append(out, '?')
		} else {
			out = append(out, "&#"...)
			out = strconv.AppendInt(out, int64(ch), 10)
			out = append(out, ';')
		}
		p = p[size:]
	}
	return out
}

// Close writes what is left of a character cut off at the end.
func (r *recoder) Close() error {
	if len(r.partial) > 0 {
		r.partial = nil
		_, err := r.next.Write([]byte{'?'})
		return err
	}
	return nil
}

// findMap is the table between two charsets, written either way round;
// reverse says it was written from "to" to "from".
func findMap(h *confparse.HTTPConf, from, to string) (m *confparse.CharsetMap, reverse bool) {
	from, to = strings.ToLower(from), strings.ToLower(to)
	for _, m := range h.CharsetMaps {
		switch {
		case m.From == from && m.To == to:
			return m, false
		case m.From == to && m.To == from:
			return m, true
		}
	}
	return nil, false
}

// knownCharset is a charset's name as nginx sends it, the spelling first
// read in the configuration, and whether the configuration names it at
// all (an upstream's X-Accel-Charset must be one it knows).
func knownCharset(h *confparse.HTTPConf, name string) (string, bool) {
	for _, n := range h.CharsetNames {
		if strings.EqualFold(n, name) {
			return n, true
		}
	}
	return name, false
}
