//go:build !linux

package httpd

// idle_other.go: without epoll there is no idle poller; idle connections
// keep their goroutine and the client is not watched.

type poller struct{}

func thePoller() *poller { return nil }

func (p *poller) arm(c *conn, readable bool) bool { return false }

func (c *conn) unpoll() {}

func (c *conn) socketError() error { return nil }
