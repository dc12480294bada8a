package process

// h2.go lets the engine ask the configuration in force for a
// connection's HTTP/2 settings.

import "goproxy/httpd"

// HTTP2 implements httpd.H2Handler.
func (d dispatch) HTTP2(c *httpd.Conn) httpd.H2Settings { return d.p.current.Load().HTTP2(c) }
