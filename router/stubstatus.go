package router

// stubstatus.go is ngx_http_stub_status_module's page, in nginx's exact
// format (trailing spaces included).

import (
	"strconv"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
)

func stubStatus(rq *httpcore.Request) {
	m := rq.R.Method
	if m != "GET" && m != "HEAD" {
		rq.Error(405)
		return
	}
	h := rq.Header()
	h["Content-Type"] = []string{"text/plain"}
	var st httpd.StatsSnapshot
	if rq.Conn != nil && rq.Conn.Stats != nil {
		st = rq.Conn.Stats.Snapshot()
	}
	n := func(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }
	b := make([]byte, 0, 128)
	b = append(b, "Active connections: "...)
	b = n(b, st.Active)
	b = append(b, " \nserver accepts handled requests\n "...)
	b = n(b, st.Accepts)
	b = append(b, ' ')
	b = n(b, st.Handled)
	b = append(b, ' ')
	b = n(b, st.Requests)
	b = append(b, " \nReading: "...)
	b = n(b, st.Reading)
	b = append(b, " Writing: "...)
	b = n(b, st.Writing)
	b = append(b, " Waiting: "...)
	b = n(b, st.Waiting)
	b = append(b, " \n"...)
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	rq.WriteHeader(200)
	if m != "HEAD" {
		rq.Write(b)
	}
}

// LogRequest implements httpcore.RequestLogger.
func (rt *Router) LogRequest(rq *httpcore.Request, level confparse.Level, msg string) {
	rt.logf(rq, level, msg)
}

// stubStatusVariables are the module's connection counters.
var stubStatusVariables = []httpcore.Variable{
	{Name: "connections_active", Get: connCounter(func(s httpd.StatsSnapshot) int64 { return s.Active })},
	{Name: "connections_reading", Get: connCounter(func(s httpd.StatsSnapshot) int64 { return s.Reading })},
	{Name: "connections_writing", Get: connCounter(func(s httpd.StatsSnapshot) int64 { return s.Writing })},
	{Name: "connections_waiting", Get: connCounter(func(s httpd.StatsSnapshot) int64 { return s.Waiting })},
}

func init() { httpcore.RegisterVariables(stubStatusVariables) }

func connCounter(field func(httpd.StatsSnapshot) int64) httpcore.Getter {
	return func(rq *httpcore.Request, _ string) (string, bool) {
		var n int64
		if rq.Conn != nil && rq.Conn.Stats != nil {
			n = field(rq.Conn.Stats.Snapshot())
		}
		return strconv.FormatInt(n, 10), true
	}
}
