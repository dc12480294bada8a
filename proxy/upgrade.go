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
	relay := func(dst io.Writer, src io.Reader) {
		buf := make([]byte, 16<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				touch()
				if _, werr := dst.Write(buf[:n]); werr != nil {
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
	go relay(back, brw.Reader)
	relay(client, back)
	<-done
	if timer != nil {
		timer.Stop()
	}
	return errUpgraded
}
