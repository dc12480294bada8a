package httpcore

// upstreamvars.go is ngx_http_upstream_module's variable table. It lives
// beside UpstreamInfo, the record every upstream protocol (proxy, and the
// others that share its core) fills in, so each protocol gets the
// variables without registering them again.

import "strings"

// upstreamVariables are the $upstream_* variables; without an upstream
// nginx has no value ("-" in logs).
var upstreamVariables = []Variable{
	{"upstream_addr", upstreamList(func(u *UpstreamInfo) []string { return u.Addr })},
	{"upstream_status", upstreamList(func(u *UpstreamInfo) []string { return u.Status })},
	{"upstream_response_time", upstreamList(func(u *UpstreamInfo) []string { return u.ResponseTime })},
	{"upstream_connect_time", upstreamList(func(u *UpstreamInfo) []string { return u.ConnectTime })},
	{"upstream_header_time", upstreamList(func(u *UpstreamInfo) []string { return u.HeaderTime })},
	{"upstream_bytes_received", upstreamList(func(u *UpstreamInfo) []string { return u.BytesReceived })},
	{"upstream_bytes_sent", upstreamList(func(u *UpstreamInfo) []string { return u.BytesSent })},
	{"upstream_response_length", upstreamList(func(u *UpstreamInfo) []string { return u.ResponseLength })},
	{"upstream_http_", func(rq *Request, name string) (string, bool) {
		if rq.Upstream == nil || rq.Upstream.Header == nil {
			return "", false
		}
		return headerVarFound(rq.Upstream.Header, name[len("upstream_http_"):])
	}},
	{"upstream_cookie_", func(rq *Request, name string) (string, bool) {
		if rq.Upstream == nil {
			return "", false
		}
		v := setCookieVar(rq.Upstream.Header.Values("Set-Cookie"), name[len("upstream_cookie_"):])
		return v, v != ""
	}},
}

func init() { RegisterVariables(upstreamVariables) }

// upstreamList joins per-attempt values with ", " as nginx does.
func upstreamList(field func(*UpstreamInfo) []string) Getter {
	return func(rq *Request, _ string) (string, bool) {
		if rq.Upstream == nil {
			return "", false
		}
		return strings.Join(field(rq.Upstream), ", "), true
	}
}
