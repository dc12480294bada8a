// Package sockopt sets a listen's socket options on the listening
// socket before its bind, where nginx sets them: accepted connections
// inherit SO_KEEPALIVE, its TCP tunables and the buffer sizes from it,
// so accepting costs no setsockopt of its own.
package sockopt

import (
	"net"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"goproxy/confparse"
)

// Opts are what one listening socket gets.
type Opts struct {
	V6Only    bool // IPV6_V6ONLY (an IPv6 address only)
	ReusePort bool // SO_REUSEPORT
	confparse.SockOpts
}

// ListenConfig is a ListenConfig that sets o. It turns off Go's own TCP
// keep-alive on accepted connections (15 s, four setsockopt calls per
// accept), which nginx never sets: so_keepalive decides, on the socket.
func ListenConfig(o Opts) net.ListenConfig {
	return net.ListenConfig{KeepAlive: -1, Control: o.control}
}

func (o Opts) control(network, address string, c syscall.RawConn) error {
	var serr error
	set := func(fd uintptr, level, opt, v int) {
		if serr == nil {
			serr = syscall.SetsockoptInt(int(fd), level, opt, v)
		}
	}
	err := c.Control(func(fd uintptr) {
		if o.V6Only {
			set(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1)
		}
		if o.ReusePort {
			set(fd, syscall.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		}
		if o.RcvBuf > 0 {
			set(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, o.RcvBuf)
		}
		if o.SndBuf > 0 {
			set(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, o.SndBuf)
		}
		if k := o.Keepalive; k != nil && network != "unix" && !strings.HasPrefix(network, "udp") {
			on := 1
			if k.Off {
				on = 0
			}
			set(fd, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, on)
			if k.Idle > 0 {
				set(fd, syscall.IPPROTO_TCP, unix.TCP_KEEPIDLE, secs(k.Idle))
			}
			if k.Interval > 0 {
				set(fd, syscall.IPPROTO_TCP, unix.TCP_KEEPINTVL, secs(k.Interval))
			}
			if k.Count > 0 {
				set(fd, syscall.IPPROTO_TCP, unix.TCP_KEEPCNT, k.Count)
			}
		}
	})
	if err != nil {
		return err
	}
	return serr
}

func secs(d time.Duration) int { return int(d / time.Second) }
