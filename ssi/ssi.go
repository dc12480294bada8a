// Package ssi is ngx_http_ssi_module: server side includes in responses
// of the ssi_types types, main requests and subrequests alike. The body
// is parsed as it streams (a command may be split across writes), the
// text between commands is passed on at once, and each "include" runs a
// subrequest whose output is spliced in at its place. As nginx's, an
// include's subrequest starts when it is parsed and runs beside the
// page (postpone.go), so slow includes take the longest one's time, not
// their sum; output keeps document order. An include with wait="yes", set=
// or file= holds the page until it and the includes before it are done,
// as in nginx. The page and its includes parse one at a time (a lock of
// the main request), as nginx's one thread does; includes running
// beside the page see its variables as they were when they started
// (their parent is a snapshot), and a rewrite "set" in one is not seen
// by the page, where nginx's share them.
//
// As in nginx, a main request's SSI response loses Content-Length and
// Accept-Ranges, and Last-Modified and ETag unless ssi_last_modified is
// on (the ETag is then weak); SSI variables ("set", include's set=,
// named regex captures) and blocks belong to the main request and are
// seen by the includes' own SSI processing; timefmt, errmsg, the echo
// encoding and if/else state are each request's own.
package ssi

import (
	"io"
	"strings"
	"sync"

	"goproxy/confparse"
	"goproxy/httpcore"
)

func init() {
	httpcore.RegisterHeaderFilter(httpcore.OrderSSI, filter)
	httpcore.RegisterBodyTransform(applies)
	httpcore.RegisterVariables(variables)
}

// defaultTimefmt and defaultErrmsg are nginx's.
const (
	defaultTimefmt = "%A, %d-%b-%Y %H:%M:%S %Z"
	defaultErrmsg  = "[an error occurred while processing the directive]"
)

// applies says whether the module parses this response.
func applies(rq *httpcore.Request, _ int) bool {
	if rq.Loc == nil || !*rq.Loc.SSI.On {
		return false
	}
	h := rq.Header()
	if cl := h["Content-Length"]; len(cl) == 1 && cl[0] == "0" {
		return false
	}
	ct := h.Get("Content-Type")
	return ct != "" && httpcore.TypeMatches(ct, rq.Loc.SSI.Types)
}

func filter(rq *httpcore.Request, status int) {
	if !applies(rq, status) {
		return
	}
	c := &rq.Loc.SSI
	h := rq.Header()
	if rq.Parent == nil {
		delete(h, "Content-Length")
		delete(h, "Accept-Ranges")
		if !*c.LastModified {
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
	st := &state{rq: rq, conf: c, output: true, encoding: encEntity,
		timefmt: defaultTimefmt, errmsg: defaultErrmsg}
	if old, ok := rq.SSI.(*state); ok && old.sh != nil {
		st.sh = old.sh // a main request's shared part made before
	}
	rq.SSI = st
	if rq.R.Method == "HEAD" && rq.Parent == nil {
		return
	}
	rq.AddBodyFilter(func(next io.Writer) io.Writer {
		st.next = next
		return st
	})
}

// shared is what a main request's SSI processing and its includes'
// share: variables, the captures of the last regex match, blocks.
type shared struct {
	// mu is held while one of the requests parses (the page's and its
	// includes' running beside it, as nginx runs one at a time).
	mu      sync.Mutex
	running int // includes running beside the page (postpone.go)
	vars    map[string]string
	caps    []string // $0..$9 of the last "if" regex match
	blocks  []*block
}

type block struct {
	name string
	text []byte
}

// main finds the shared part of rq's main request, making it if need be.
func (s *state) main() *shared {
	m := s.rq
	for m.Parent != nil {
		m = m.Parent
	}
	ms, _ := m.SSI.(*state)
	if ms == nil {
		ms = &state{rq: m, timefmt: defaultTimefmt}
		m.SSI = ms
	}
	if ms.sh == nil {
		ms.sh = &shared{vars: map[string]string{}}
	}
	return ms.sh
}

// logf writes an error line for the request, as nginx's SSI errors.
func (s *state) logf(level confparse.Level, msg string) {
	if l, ok := s.rq.Eng.(httpcore.RequestLogger); ok {
		l.LogRequest(s.rq, level, msg)
	}
}
