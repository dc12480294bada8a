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
