package ssi

// vars.go is the module's variables, $date_local and $date_gmt: the
// time in the timefmt of the request's SSI processing ("config
// timefmt"), or nginx's default format where the request has none (as
// in a header made before the SSI filter runs).

import (
	"strconv"
	"time"

	"goproxy/httpcore"
)

var variables = []httpcore.Variable{
	{Name: "date_local", Get: func(rq *httpcore.Request, _ string) (string, bool) { return date(rq, false), true }},
	{Name: "date_gmt", Get: func(rq *httpcore.Request, _ string) (string, bool) { return date(rq, true), true }},
}

func date(rq *httpcore.Request, gmt bool) string {
	f := defaultTimefmt
	if st, ok := rq.SSI.(*state); ok && st.rq == rq && st.timefmt != "" {
		f = st.timefmt
	}
	now := time.Now()
	if f == "%s" {
		return strconv.FormatInt(now.Unix(), 10)
	}
	if gmt {
		now = now.UTC()
	}
	return strftime(f, now, gmt)
}
