package proxy

// upgrade.go is the tunnel of an upgraded connection (WebSocket): the
// 101 answer goes out through the header filter like any response, so
// that it has nginx's headers ("Connection: upgrade", Server, Date,
// add_header), then bytes are copied both ways until either side closes
// or nothing moves for proxy_read_timeout.

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
)

var errUpgraded = errors.New("connection upgraded")

// tunnel answers 101 and relays the connection; it always returns
// errUpgraded, which tells the error handler that all is done.
func (h *handler) tunnel(rq *httpcore.Request, resp *http.Response) error {
	back, ok := resp.Body.(*upgradeBody)
	if !ok {
		return errors.New("101 response without a connection")
	}
	out := rq.Header()
	for k, vs := range resp.Header {
		if k != "Connection" {
			out[k] = vs
		}
	}
	if s, ok := rq.W.(interface{ SetStatusLine(int, string) }); ok {
		s.SetStatusLine(resp.StatusCode, resp.Status)
	}
	rq.WriteHeader(http.StatusSwitchingProtocols)
	client, brw, err := rq.Hijack()
	if err != nil {
		back.Close()
		return errUpgraded
	}
	idle := *h.loc.Proxy.ReadTimeout
	var once sync.Once
	stop := func() {
		once.Do(func() {
			client.Close()
			back.Close()
		})
	}
	var timer *time.Timer
	if idle > 0 {
		timer = time.AfterFunc(idle, stop)
	}
	touch := func() {
		if timer != nil {
			timer.Reset(idle)
		}
	}
	done := make(chan struct{}, 2)
	relay := func(dst io.Writer, src io.Reader, sent func(int64)) {
		buf := make([]byte, 16<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				touch()
				m, werr := dst.Write(buf[:n])
				if sent != nil {
					sent(int64(m))
				}
				if werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		// Either side's end ends the tunnel, as in nginx.
		stop()
		done <- struct{}{}
	}
	go relay(back, brw.Reader, nil)
	// What goes to the client counts in $body_bytes_sent and
	// $bytes_sent, as nginx counts an upgraded connection's bytes.
	relay(client, back, rq.CountSent)
	<-done
	if timer != nil {
		timer.Stop()
	}
	return errUpgraded
}

// notUpgraded is a 101 answer to a request that did not ask for an
// upgrade: nginx does not tunnel it. The client gets the head alone (a
// 1xx response has no body) and the connection then closes; what the
// upstream sends is read and dropped until it closes or is silent for
// proxy_read_timeout, which nginx logs as a timeout.
func (h *handler) notUpgraded(st *state, resp *http.Response) error {
	rq := st.rq
	back, ok := resp.Body.(*upgradeBody)
	if !ok {
		return errors.New("101 response without a connection")
	}
	defer back.Close()
	out := rq.Header()
	for k, vs := range resp.Header {
		if k != "Connection" {
			out[k] = vs
		}
	}
	if rq.Conn != nil {
		rq.Conn.KeepAlive = false // the engine writes "Connection: close"
	}
	if s, ok := rq.W.(interface{ SetStatusLine(int, string) }); ok {
		s.SetStatusLine(resp.StatusCode, resp.Status)
	}
	rq.WriteHeader(http.StatusSwitchingProtocols)
	idle := *h.loc.Proxy.ReadTimeout
	buf := make([]byte, 16<<10)
	for {
		if idle > 0 {
			back.c.nc.SetReadDeadline(time.Now().Add(idle))
		}
		if _, err := back.Read(buf); err != nil {
			if isTimeout(err) {
				h.c.errs.RequestUpstream(rq, confparse.LevelError,
					"upstream timed out (110: Connection timed out) while reading upstream",
					st.scheme+"://"+back.c.peer.addr+st.uri)
			}
			return errUpgraded
		}
	}
}
