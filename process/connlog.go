package process

// connlog.go logs connection-level errors from the engine (a broken
// PROXY protocol header) with nginx's context: "*N msg, client: ...,
// server: ...".

import (
	"net"

	"go.uber.org/zap"

	"goproxy/confparse"
	"goproxy/httpd"
)

// LogConn implements httpd.ConnLogger.
func (d dispatch) LogConn(c *httpd.Conn, msg string) {
	client := "unix:"
	if host, _, err := net.SplitHostPort(c.Remote.String()); err == nil {
		client = host
	}
	d.p.errlog.Load().Log(confparse.LevelError, msg,
		zap.Uint64("connection", c.ID), zap.String("client", client), zap.String("server", c.Listener))
}
