// Package gzipfilter is ngx_http_gzip_filter_module: it compresses
// responses on the fly when the location has "gzip on", the client
// accepts gzip, and the response qualifies (status, type, length), with
// nginx's header changes: Content-Encoding, Vary, no Content-Length, a
// weak ETag, no Accept-Ranges.
//
// It uses github.com/klauspost/compress/gzip: the same format as the
// standard library, about twice as fast at nginx's default level 1.
package gzipfilter

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"sync"

	kgzip "github.com/klauspost/compress/gzip"

	"goproxy/httpcore"
)

func init() {
	httpcore.RegisterHeaderFilter(httpcore.OrderGunzip, gunzipFilter)
	httpcore.RegisterHeaderFilter(httpcore.OrderGzip, filter)
	httpcore.RegisterBodyTransform(willCompress)
	httpcore.RegisterBodyTransform(willGunzip)
}

var writers [10]sync.Pool

func getWriter(level int, w io.Writer) *kgzip.Writer {
	if v := writers[level].Get(); v != nil {
		gw := v.(*kgzip.Writer)
		gw.Reset(w)
		return gw
	}
	gw, _ := kgzip.NewWriterLevel(w, level)
	return gw
}

// $gzip_ratio is set by the compressor when it finishes.
func init() {
	httpcore.RegisterVariables([]httpcore.Variable{{Name: "gzip_ratio", Get: httpcore.SetByModule}})
}

// compressor counts bytes for $gzip_ratio and returns its writers to
// their pools when closed. Its output gathers in a buffer, as in nginx's
// gzip_buffers, so a small response goes out in one piece (one chunk)
// rather than one per deflate write.
type compressor struct {
	gw    *kgzip.Writer
	bw    *bufio.Writer
	level int
	rq    *httpcore.Request
	in    int64
	out   *countWriter
}

var outBufs = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 8<<10) }}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *compressor) Write(p []byte) (int, error) {
	c.in += int64(len(p))
	return c.gw.Write(p)
}

func (c *compressor) Flush() error {
	if err := c.gw.Flush(); err != nil {
		return err
	}
	return c.bw.Flush()
}

func (c *compressor) Close() error {
	err := c.gw.Close()
	if ferr := c.bw.Flush(); err == nil {
		err = ferr
	}
	writers[c.level].Put(c.gw)
	c.bw.Reset(nil)
	outBufs.Put(c.bw)
	if c.out.n > 0 {
		ratio := float64(c.in) / float64(c.out.n)
		c.rq.SetVar("gzip_ratio", strconv.FormatFloat(ratio, 'f', 2, 64))
	}
	return err
}

// gunzipFilter decides, when the header is about to be sent and before
// the filters that read the body, whether to decompress (gunzip.go).
func gunzipFilter(rq *httpcore.Request, _ int) {
	if rq.Loc != nil {
		gunzip(rq)
	}
}

// filter decides, at its later place in the chain, whether to compress
// this response; then it adds the one "Vary: Accept-Encoding" gunzip,
// gzip or gzip_static asked for.
func filter(rq *httpcore.Request, status int) {
	if rq.Loc == nil {
		return
	}
	compress(rq, status)
	if rq.GzipVary && *rq.Loc.Gzip.Vary {
		rq.Header().Add("Vary", "Accept-Encoding")
	}
}

func compress(rq *httpcore.Request, status int) {
	if !*rq.Loc.Gzip.On || rq.Parent != nil { // a subrequest's output joins its parent's
		return
	}
	g := &rq.Loc.Gzip
	if status != 200 && status != 403 && status != 404 {
		return
	}
	h := rq.Header()
	if !eligible(rq, status) {
		return
	}
	rq.GzipVary = true
	if !Accepts(rq) {
		return
	}
	delete(h, "Content-Length")
	delete(h, "Accept-Ranges")
	for _, k := range []string{"ETag", "Etag"} {
		if et := h[k]; len(et) == 1 && !strings.HasPrefix(et[0], "W/") {
			h[k] = []string{"W/" + et[0]}
		}
	}
	h.Set("Content-Encoding", "gzip")
	level := *g.CompLevel
	rq.AddBodyFilter(func(next io.Writer) io.Writer {
		out := &countWriter{w: next}
		bw := outBufs.Get().(*bufio.Writer)
		bw.Reset(out)
		return &compressor{gw: getWriter(level, bw), bw: bw, level: level, rq: rq, out: out}
	})
}

// eligible says whether a response would be compressed for a client that
// accepts it: status, no other encoding, gzip_min_length, gzip_types.
func eligible(rq *httpcore.Request, status int) bool {
	g := &rq.Loc.Gzip
	if status != 200 && status != 403 && status != 404 {
		return false
	}
	h := rq.Header()
	if h.Get("Content-Encoding") != "" {
		return false
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n < *g.MinLength {
			return false
		}
	}
	return httpcore.TypeMatches(h.Get("Content-Type"), g.Types)
}

// willCompress tells the range filter that this response will be
// compressed, so a Range request gets the whole (compressed) body, as in
// nginx where gzip runs before the range filter.
func willCompress(rq *httpcore.Request, status int) bool {
	return rq.Loc != nil && *rq.Loc.Gzip.On && eligible(rq, status) && Accepts(rq)
}

// Accepts is ngx_http_gzip_ok: the client accepts gzip (q above 0), its
// HTTP version is at least gzip_http_version, gzip_disable does not match
// its User-Agent, and gzip_proxied allows a request that came through a
// proxy (one with a Via header).
func Accepts(rq *httpcore.Request) bool {
	g := &rq.Loc.Gzip
	r := rq.R
	if *g.HTTPVersion == "1.1" && !r.ProtoAtLeast(1, 1) {
		return false
	}
	if !acceptsGzip(r.Header.Values("Accept-Encoding")) {
		return false
	}
	ua := r.Header.Get("User-Agent")
	if g.DisableMSIE && strings.Contains(ua, "MSIE ") && !strings.Contains(ua, "SV1") {
		if i := strings.Index(ua, "MSIE "); i >= 0 && i+5 < len(ua) && ua[i+5] <= '6' && ua[i+5] >= '4' {
			return false
		}
	}
	for _, re := range g.Disable {
		if ok, err := rq.MatchRegex(re, ua); ok || err != nil {
			return false
		}
	}
	if r.Header.Get("Via") != "" {
		return proxiedOK(rq, g.Proxied)
	}
	return true
}

func acceptsGzip(vals []string) bool {
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			q := strings.TrimSpace(params)
			if strings.HasPrefix(q, "q=") {
				f, err := strconv.ParseFloat(q[2:], 64)
				if err == nil && f == 0 {
					return false
				}
			}
			return true
		}
	}
	return false
}

// proxiedOK is gzip_proxied for a request with a Via header.
func proxiedOK(rq *httpcore.Request, list []string) bool {
	h := rq.Header()
	for _, p := range list {
		switch p {
		case "any":
			return true
		case "off":
			return false
		case "expired":
			if h.Get("Expires") != "" {
				return true
			}
		case "no-cache", "no-store", "private":
			if strings.Contains(strings.ToLower(h.Get("Cache-Control")), p) {
				return true
			}
		case "no_last_modified":
			if h.Get("Last-Modified") == "" {
				return true
			}
		case "no_etag":
			if h.Get("ETag") == "" {
				return true
			}
		case "auth":
			if rq.R.Header.Get("Authorization") != "" {
				return true
			}
		}
	}
	return false
}
