package router

// realip.go is ngx_http_realip_module: when the connection comes from a
// trusted address (set_real_ip_from), the client address becomes the one
// real_ip_header names — X-Real-IP, X-Forwarded-For (the last untrusted
// entry with real_ip_recursive), proxy_protocol, or any header. It runs
// after reading the request with the server's settings and again before
// preaccess with the location's, once per request (internal redirects
// included, as nginx finds its context again); $remote_addr,
// allow/deny, limit keys and logs all see the new address.

import (
	"goproxy/confparse"
	"goproxy/httpcore"
)

func (rt *Router) realIP(rq *httpcore.Request) {
	c := &rq.Loc.RealIP
	if len(c.From) == 0 || rq.RealIPFrom != "" {
		return
	}
	var values []string
	var pp *struct{ addr, port string }
	switch h := *c.Header; h {
	case "X-Real-IP":
		v := rq.R.Header["X-Real-Ip"]
		if len(v) == 0 {
			return
		}
		values = v[:1]
	case "X-Forwarded-For":
		values = rq.R.Header["X-Forwarded-For"]
		if len(values) == 0 {
			return
		}
	case "proxy_protocol":
		if rq.Conn == nil || rq.Conn.ProxyProtocol == nil {
			return
		}
		values = []string{rq.Conn.ProxyProtocol.SrcAddr}
		pp = &struct{ addr, port string }{rq.Conn.ProxyProtocol.SrcAddr, rq.Conn.ProxyProtocol.SrcPort}
	default:
		v := rq.R.Header.Values(h)
		if len(v) == 0 {
			return
		}
		values = v[:1]
	}
	peer := httpcore.PeerOf(rq.R.RemoteAddr)
	p, ok := httpcore.ForwardedAddr(peer, values, trustFrom(c.From), *c.Recursive)
	if !ok {
		return
	}
	if pp != nil {
		p.Port = pp.port
	}
	rq.RealIPFrom = rq.R.RemoteAddr
	rq.R.RemoteAddr = p.String()
}

// trustFrom is set_real_ip_from as a trust check.
func trustFrom(from []*confparse.RealIPFrom) httpcore.Trusted {
	return func(p httpcore.Peer) bool {
		for _, f := range from {
			if f.Unix {
				if p.Unix {
					return true
				}
				continue
			}
			if !p.Unix && p.IP != nil && f.Net.Contains(p.IP) {
				return true
			}
		}
		return false
	}
}

// realIPVariables are the module's: the address the connection came
// from, before set_real_ip_from replaced it.
var realIPVariables = []httpcore.Variable{
	{Name: "realip_remote_addr", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		ip, _ := httpcore.SplitAddr(realIPFrom(rq))
		return ip, true
	}},
	{Name: "realip_remote_port", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		_, port := httpcore.SplitAddr(realIPFrom(rq))
		return port, true
	}},
}

func init() { httpcore.RegisterVariables(realIPVariables) }

func realIPFrom(rq *httpcore.Request) string {
	if rq.RealIPFrom != "" {
		return rq.RealIPFrom
	}
	return rq.R.RemoteAddr
}
