// Package slice is ngx_http_slice_module's run time. A main request of
// a location with "slice" and an upstream is answered from subrequests
// in its location (nginx's clone subrequests), each asking for one slice
// through $slice_range: the first decides the response — a 206 whose
// Content-Range fits the slice becomes the whole entity, to which the
// client's conditions and Range apply — and the next ones, checked alike,
// carry on the body until the client has what it asked for. A first
// answer that is not a 206 (or a location that never read $slice_range)
// is passed on as it is.
package slice

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
)

var variables = []httpcore.Variable{
	// The range of the slice being fetched, "bytes=START-END"; not found
	// outside a sliced request.
	{Name: "slice_range", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		st, _ := rq.Slice.(*state)
		if st == nil {
			return "", false
		}
		st.used = true
		return st.rng, true
	}},
}

func init() { httpcore.RegisterVariables(variables) }

// state is a sliced request's, shared with its subrequests.
type state struct {
	size  int64
	start int64 // the next slice's first byte
	end   int64 // where the client's part of the entity ends
	rng   string
	used  bool   // $slice_range was read: the upstream was asked a slice
	etag  string // the first slice's, which every other must have
}

func (st *state) setRange() {
	st.rng = "bytes=" + strconv.FormatInt(st.start, 10) + "-" + strconv.FormatInt(st.start+st.size-1, 10)
}

// Applies says whether the slice module answers rq.
func Applies(rq *httpcore.Request) bool {
	return rq.Parent == nil && *rq.Loc.Slice.Size > 0 && rq.Loc.HasUpstream()
}

// Serve answers a main request slice by slice.
func Serve(rq *httpcore.Request) {
	sr, ok := rq.Eng.(httpcore.Subrequester)
	if !ok {
		rq.Error(500)
		return
	}
	size := *rq.Loc.Slice.Size
	st := &state{size: size}
	st.start = size * (firstByte(rq) / size)
	st.setRange()
	rq.Slice = st
	s := &slicer{rq: rq, st: st, sr: sr}
	s.out = &window{rq: rq, s: s}
	s.fetch(s.first)
	if s.failed || !s.sliced {
		s.finish()
		return
	}
	if s.ranged && st.start+size <= s.out.from {
		// The range begins past the slice the first request got (a
		// range from the end): the slices before it are not fetched.
		st.start = size * (s.out.from / size)
	}
	for st.start < st.end && !s.failed && rq.R.Method != "HEAD" {
		st.setRange()
		s.fetch(s.next)
	}
	s.finish()
}

// slicer is one sliced request in progress.
type slicer struct {
	rq     *httpcore.Request
	st     *state
	sr     httpcore.Subrequester
	out    *window
	sliced bool // the first slice made the response
	ranged bool // the client gets one range of the entity
	failed bool
	seen   bool // the current slice answered
}

// fetch runs one slice's subrequest, its head judged by onHeader.
func (s *slicer) fetch(onHeader func(sub *httpcore.Request, code int)) {
	s.seen, s.out.pos = false, s.st.start
	s.sr.SubrequestWith(s.rq, &httpcore.SubOptions{URI: s.rq.URI, Args: s.rq.Args, Clone: true, Body: s.out,
		Init: func(sub *httpcore.Request) { sub.Slice = s.st },
		OnHeader: func(sub *httpcore.Request, code int) {
			s.seen = true
			onHeader(sub, code)
		}})
	if !s.seen && !s.failed {
		s.fail("missing slice response")
	}
}

// first makes the response from the first slice's head.
func (s *slicer) first(sub *httpcore.Request, code int) {
	rq, st := s.rq, s.st
	if sub.Upstream != nil {
		rq.Upstream = sub.Upstream.Clone()
	}
	h := sub.Header()
	if !st.used || code != 206 {
		s.out.pass = true
		rq.Slice = nil // $slice_range is not found in it
		copyHeader(rq.Header(), h)
		rq.WriteHeader(code)
		return
	}
	complete, ok := s.check(code, h)
	if !ok {
		return
	}
	s.sliced = true
	hd := rq.Header()
	copyHeader(hd, h)
	delete(hd, "Content-Range")
	delete(hd, "Accept-Ranges")
	hd["Content-Length"] = []string{strconv.FormatInt(complete, 10)}
	s.out.from, s.out.to, st.end = 0, complete, complete
	etag, lm := hd.Get("Etag"), hd.Get("Last-Modified")
	mtime, err := http.ParseTime(lm)
	switch httpcore.NotModified(rq, etag, mtime) {
	case 412:
		s.sliced = false
		rq.Error(412)
		return
	case 304:
		s.sliced = false
		delete(hd, "Content-Length")
		delete(hd, "Content-Type")
		rq.WriteHeader(304)
		return
	}
	core := &rq.Loc.Core
	allow := rq.R.ProtoMajor > 0 && (core.MaxRanges == nil || *core.MaxRanges > 0) && !rq.WillTransform(200)
	lmUnix := int64(-1)
	if err == nil {
		lmUnix = mtime.Unix()
	}
	if rr := rq.R.Header.Get("Range"); allow && rr != "" && httpcore.IfRange(rq, etag, lmUnix) {
		if httpcore.SendRanges(rq, complete, rr, true, func(off, n int64) { s.out.from, s.out.to = off, off+n }) {
			if rq.Status() != 206 {
				s.sliced = false // 416
			}
			s.ranged = true
			st.end = s.out.to
			return
		}
	}
	if allow {
		hd["Accept-Ranges"] = []string{"bytes"}
	}
	rq.WriteHeader(200)
}

// next checks a later slice's head.
func (s *slicer) next(sub *httpcore.Request, code int) {
	if code != 206 {
		s.fail("unexpected status code " + strconv.Itoa(code) + " in slice response")
		return
	}
	s.check(code, sub.Header())
}

// check holds a slice's head to the slice asked for: its ETag the
// first's, a Content-Range with the complete length, starting at the
// slice and as long as the slice (or the rest of the entity). The next
// slice starts where it ends.
func (s *slicer) check(code int, h http.Header) (complete int64, ok bool) {
	st := s.st
	etag := h.Get("Etag")
	if st.etag != "" && etag != st.etag {
		s.fail("etag mismatch in slice response")
		return 0, false
	}
	st.etag = etag
	start, end, complete, valid := contentRange(h.Get("Content-Range"))
	if !valid {
		s.fail("invalid range in slice response")
		return 0, false
	}
	if complete < 0 {
		s.fail("no complete length in slice response")
		return 0, false
	}
	want := min(start+st.size, complete)
	if start != st.start || end != want {
		s.fail("unexpected range in slice response: " + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(end, 10))
		return 0, false
	}
	st.start = end
	return complete, true
}

// fail ends the request without its response, as nginx finalizes it
// with an error: what is still buffered is dropped.
func (s *slicer) fail(msg string) {
	s.failed = true
	if l, ok := s.rq.Eng.(httpcore.RequestLogger); ok {
		l.LogRequest(s.rq, confparse.LevelError, msg)
	}
}

func (s *slicer) finish() {
	if !s.failed {
		return
	}
	if a, ok := s.rq.W.(interface{ Abort(discard bool) }); ok {
		a.Abort(true)
	}
	s.rq.Aborted = true
}

// window passes on the part of the entity the client gets: the bytes
// in [from, to) of the slices as they come (all of a passed-on answer).
type window struct {
	rq       *httpcore.Request
	s        *slicer
	pass     bool
	pos      int64 // the entity offset of the next byte
	from, to int64
}

var errFailed = errors.New("slice failed")

func (w *window) Write(p []byte) (int, error) {
	if w.s.failed {
		return 0, errFailed
	}
	n := len(p)
	if w.pass {
		return w.rq.Write(p)
	}
	if !w.s.sliced {
		return n, nil
	}
	start, end := w.pos, w.pos+int64(n)
	w.pos = end
	lo, hi := max(start, w.from), min(end, w.to)
	if lo < hi {
		if _, err := w.rq.Write(p[lo-start : hi-start]); err != nil {
			return 0, err
		}
	}
	return n, nil
}

var _ io.Writer = (*window)(nil)

// copyHeader gives the response the slice's header fields.
func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

// firstByte is where the client's range starts, when it is one range
// the slice module can start at: a Range of one "bytes=N-...", without
// If-Range (which may make the response whole); else 0.
func firstByte(rq *httpcore.Request) int64 {
	h := rq.R.Header
	if _, ok := h["If-Range"]; ok {
		return 0
	}
	v := h.Get("Range")
	if len(v) < 7 || !strings.EqualFold(v[:6], "bytes=") {
		return 0
	}
	p := v[6:]
	if strings.Contains(p, ",") {
		return 0
	}
	p = strings.TrimLeft(p, " ")
	var n int64
	for i := 0; i < len(p) && p[i] >= '0' && p[i] <= '9'; i++ {
		if n >= (1<<63-1)/10 {
			return 0
		}
		n = n*10 + int64(p[i]-'0')
	}
	return n
}

// contentRange reads "bytes START-END/COMPLETE" (COMPLETE "*": -1) as
// nginx's slice module does; end is past the last byte.
func contentRange(v string) (start, end, complete int64, ok bool) {
	if len(v) < 6 || !strings.EqualFold(v[:6], "bytes ") {
		return 0, 0, 0, false
	}
	p := strings.TrimLeft(v[6:], " ")
	num := func() (int64, bool) {
		i := 0
		var n int64
		for i < len(p) && p[i] >= '0' && p[i] <= '9' {
			if n >= (1<<63-1)/10 {
				return 0, false
			}
			n = n*10 + int64(p[i]-'0')
			i++
		}
		p = strings.TrimLeft(p[i:], " ")
		return n, i > 0
	}
	var good bool
	if start, good = num(); !good || !strings.HasPrefix(p, "-") {
		return 0, 0, 0, false
	}
	p = strings.TrimLeft(p[1:], " ")
	if end, good = num(); !good || !strings.HasPrefix(p, "/") {
		return 0, 0, 0, false
	}
	p = strings.TrimLeft(p[1:], " ")
	if strings.HasPrefix(p, "*") {
		complete, p = -1, strings.TrimLeft(p[1:], " ")
	} else if complete, good = num(); !good {
		return 0, 0, 0, false
	}
	if p != "" || start > end || (complete >= 0 && end >= complete) {
		return 0, 0, 0, false
	}
	return start, end + 1, complete, true
}
