package router

// access.go is ngx_http_access_module: allow and deny, first match wins.

import (
	"net"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// accessRules is allow/deny: the first rule that matches the client
// address decides.
func (rt *Router) accessRules(rq *httpcore.Request, any bool) int {
	rules := rq.Loc.Access.Rules
	if len(rules) == 0 {
		return accessDeclined
	}
	addr, _ := rq.RemoteAddrPort()
	unix := addr == "unix:"
	ip := net.ParseIP(addr)
	for _, r := range rules {
		switch {
		case r.All:
		case r.Unix:
			if !unix {
				continue
			}
		case ip == nil || !r.Net.Contains(ip):
			continue
		}
		if !r.Deny {
			return accessGranted
		}
		if !any {
			rt.logf(rq, confparse.LevelError, "access forbidden by rule")
		}
		return 403
	}
	return accessDeclined
}
