package router

// access.go is ngx_http_access_module: allow and deny, first match wins.

import (
	"net"

	"goproxy/confparse"
	"goproxy/httpcore"
)

func allowed(rules []*confparse.AccessRule, rq *httpcore.Request) bool {
	if len(rules) == 0 {
		return true
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
		return !r.Deny
	}
	return true
}
