package proxy

// vars.go is ngx_http_proxy_module's variable table.

import (
	"strings"

	"goproxy/httpcore"
)

var proxyVariables = []httpcore.Variable{
	// The host and port of the proxied server as proxy_pass names them.
	{Name: "proxy_host", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		if rq.Upstream == nil {
			return "", true
		}
		return rq.Upstream.ProxyHost, true
	}},
	{Name: "proxy_port", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		if rq.Upstream == nil {
			return "", true
		}
		return rq.Upstream.ProxyPort, true
	}},
	// The client's X-Forwarded-For lines and its address, joined by ", ".
	{Name: "proxy_add_x_forwarded_for", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		ip, _ := rq.RemoteAddrPort()
		if xff := rq.R.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			return strings.Join(xff, ", ") + ", " + ip, true
		}
		return ip, true
	}},
}

func init() { httpcore.RegisterVariables(proxyVariables) }

// fastcgiVariables are ngx_http_fastcgi_module's.
var fastcgiVariables = []httpcore.Variable{
	{Name: "fastcgi_script_name", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		script, _ := fastcgiSplit(rq)
		return script, true
	}},
	{Name: "fastcgi_path_info", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		_, info := fastcgiSplit(rq)
		return info, true
	}},
}

func init() { httpcore.RegisterVariables(fastcgiVariables) }

// fastcgiSplit is $fastcgi_script_name and $fastcgi_path_info: the URI
// split by fastcgi_split_path_info's two captures (the whole URI and no
// path info when it does not match), then fastcgi_index added to a
// script name ending in "/".
func fastcgiSplit(rq *httpcore.Request) (script, info string) {
	script = rq.URI
	if rq.Loc == nil {
		return script, ""
	}
	f := &rq.Loc.FastCGI
	if re := f.SplitPathInfo; re != nil {
		if m, _ := rq.FindRegex(re, rq.URI); m != nil && len(m) >= 6 {
			if m[2] >= 0 {
				script = rq.URI[m[2]:m[3]]
			} else {
				script = ""
			}
			if m[4] >= 0 {
				info = rq.URI[m[4]:m[5]]
			}
		}
	}
	if f.Index != nil && strings.HasSuffix(script, "/") {
		script += *f.Index
	}
	return script, info
}
