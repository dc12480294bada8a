package proxy

// dial.go is how every upstream socket is made, for http's modules and
// stream's proxy alike, as nginx's ngx_event_connect_peer does it: bound
// to the local address of *_bind (with IP_TRANSPARENT for
// "transparent", so that it may be any address, such as the client's),
// and with SO_KEEPALIVE only when *_socket_keepalive says so.

import (
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	"goproxy/confparse"
)

// Local is a *_bind address evaluated for one connection.
type Local struct {
	IP          net.IP
	Port        int
	Transparent bool
}

// EvalBind evaluates *_bind; nil is no bind. A value that is not an
// address is returned as invalid: nginx logs it ("invalid local address")
// and connects from any address; so does an empty one, silently.
func EvalBind(b *confparse.Bind, eval func(*confparse.Template) string) (l *Local, invalid string) {
	if b == nil || b.Addr == nil {
		return nil, ""
	}
	v := eval(b.Addr)
	if v == "" {
		return nil, ""
	}
	ip, port, ok := confparse.ParseBindAddr(v)
	if !ok {
		return nil, v
	}
	return &Local{IP: ip, Port: port, Transparent: b.Transparent}, ""
}

// Dialer is the dialer of an upstream connection over network ("tcp",
// "udp", "unix"); local may be nil. Go turns TCP keep-alive on by
// default; nginx leaves the socket as the system makes it unless
// *_socket_keepalive is on, and then uses the system's timers.
func Dialer(network string, timeout time.Duration, local *Local, keepalive bool) *net.Dialer {
	d := &net.Dialer{Timeout: timeout, KeepAlive: -1}
	if keepalive {
		d.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}
	}
	if local == nil || network == "unix" {
		return d
	}
	if network == "udp" {
		d.LocalAddr = &net.UDPAddr{IP: local.IP, Port: local.Port}
	} else {
		d.LocalAddr = &net.TCPAddr{IP: local.IP, Port: local.Port}
	}
	if local.Transparent {
		d.Control = transparent
	}
	return d
}

// BindFailed is the address of a bind that failed, from a dial's error:
// nginx logs it at crit ("bind(ADDR) failed (...) while connecting to
// upstream") and answers 500 without trying another peer.
func BindFailed(err error) (addr string, ok bool) {
	if err == nil {
		return "", false // before errors.As's target costs an allocation
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "bind" {
		return "", false
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Source != nil {
		addr = oe.Source.String()
		if h, p, e := net.SplitHostPort(addr); e == nil && p == "0" {
			addr = h
		}
	}
	return addr, true
}

// transparent sets IP_TRANSPARENT (IPV6_TRANSPARENT) on the socket
// before its bind; it needs CAP_NET_ADMIN.
func transparent(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) { serr = setTransparent(int(fd), network) })
	if err == nil {
		err = serr
	}
	return err
}
