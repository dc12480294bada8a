// Package addition is ngx_http_addition_module: the body of a subrequest
// (add_before_body, add_after_body) written before or after the body of
// a main request's 200 response of an addition_types type. The response
// then has no Content-Length or ranges and a weak ETag, as in nginx; the
// text after the body is not added to a response that was cut short.
package addition

import (
	"io"
	"strings"

	"goproxy/httpcore"
)

func init() {
	httpcore.RegisterHeaderFilter(httpcore.OrderAddition, filter)
	httpcore.RegisterBodyTransform(applies)
}

// applies says whether the module adds to this response.
func applies(rq *httpcore.Request, status int) bool {
	if rq.Loc == nil || rq.Parent != nil || status != 200 {
		return false
	}
	a := &rq.Loc.Addition
	if *a.Before == "" && *a.After == "" {
		return false
	}
	_, ok := rq.Eng.(httpcore.Subrequester)
	ct := rq.Header().Get("Content-Type")
	return ok && ct != "" && httpcore.TypeMatches(ct, a.Types)
}

func filter(rq *httpcore.Request, status int) {
	if !applies(rq, status) {
		return
	}
	h := rq.Header()
	delete(h, "Content-Length")
	delete(h, "Accept-Ranges")
	for _, k := range []string{"ETag", "Etag"} {
		if et := h[k]; len(et) == 1 && !strings.HasPrefix(et[0], "W/") {
			h[k] = []string{"W/" + et[0]}
		}
	}
	if rq.R.Method == "HEAD" {
		return
	}
	a := &rq.Loc.Addition
	rq.AddBodyFilter(func(next io.Writer) io.Writer {
		return &adder{rq: rq, next: next, before: *a.Before, after: *a.After}
	})
}

// adder is the body filter: the before text with the first byte of the
// body, the after text when the body is complete.
type adder struct {
	rq            *httpcore.Request
	next          io.Writer
	before, after string
	started       bool
}

func (a *adder) start() {
	a.started = true
	if a.before != "" {
		a.rq.Eng.(httpcore.Subrequester).Subrequest(a.rq, a.before, a.next)
	}
}

func (a *adder) Write(p []byte) (int, error) {
	if !a.started {
		a.start()
	}
	return a.next.Write(p)
}

func (a *adder) Close() error {
	if !a.started {
		a.start()
	}
	if a.after != "" && !a.rq.CutShort() {
		a.rq.Eng.(httpcore.Subrequester).Subrequest(a.rq, a.after, a.next)
	}
	return nil
}
