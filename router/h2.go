package router

// h2.go gives the engine the HTTP/2 settings of a connection: nginx takes
// them from the server the TLS name selected, else from the address'
// default server.

import (
	"goproxy/httpd"
)

// HTTP2 implements httpd.H2Handler.
func (rt *Router) HTTP2(c *httpd.Conn) httpd.H2Settings {
	t := rt.table(c)
	if t == nil || t.def == nil {
		return httpd.H2Settings{}
	}
	s := t.def
	if c.TLS != nil {
		s = t.sniServer(c.TLS.ServerName)
	}
	h2 := &s.conf.Srv.HTTP2
	core := &s.conf.Loc.Core
	set := httpd.H2Settings{
		MaxConcurrentStreams: uint32(max(*h2.MaxConcurrentStreams, 0)),
		InitialWindow:        int32(min(max(*h2.PrereadSize, 0), 1<<31-1)),
		IdleTimeout:          *core.KeepaliveTimeout,
		SendTimeout:          *core.SendTimeout,
	}
	switch {
	case t.h2:
		set.Cleartext = httpd.H2Only
	case *h2.On:
		set.Cleartext = httpd.H2Detect
	}
	return set
}
