package proxy

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// sockopt reads an int socket option of c.
func sockopt(t *testing.T, c net.Conn, level, opt int) int {
	t.Helper()
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var serr error
	rc.Control(func(fd uintptr) { v, serr = syscall.GetsockoptInt(int(fd), level, opt) })
	if serr != nil {
		t.Fatal(serr)
	}
	return v
}

// TestDialer: SO_KEEPALIVE only with *_socket_keepalive (Go's own
// default is on), the local address and port of *_bind, and
// IP_TRANSPARENT for "transparent".
func TestDialer(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	dial := func(local *Local, ka bool) net.Conn {
		t.Helper()
		c, err := Dialer("tcp", time.Second, local, ka).Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	if v := sockopt(t, dial(nil, false), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); v != 0 {
		t.Errorf("keepalive off: SO_KEEPALIVE = %d", v)
	}
	if v := sockopt(t, dial(nil, true), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); v != 1 {
		t.Errorf("keepalive on: SO_KEEPALIVE = %d", v)
	}
	c := dial(&Local{IP: net.IPv4(127, 0, 0, 2)}, false)
	if a := c.LocalAddr().(*net.TCPAddr); !a.IP.Equal(net.IPv4(127, 0, 0, 2)) {
		t.Errorf("bound to %v", a)
	}
	free, _ := net.Listen("tcp4", "127.0.0.3:0")
	port := free.Addr().(*net.TCPAddr).Port
	free.Close()
	if a := dial(&Local{IP: net.IPv4(127, 0, 0, 3), Port: port}, false).LocalAddr().(*net.TCPAddr); a.Port != port {
		t.Errorf("bound to %v, want port %d", a, port)
	}
	tc, err := Dialer("tcp", time.Second, &Local{IP: net.IPv4(127, 0, 0, 4), Transparent: true}, false).Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Skipf("IP_TRANSPARENT needs CAP_NET_ADMIN: %v", err)
	}
	defer tc.Close()
	if v := sockopt(t, tc, syscall.SOL_IP, syscall.IP_TRANSPARENT); v != 1 {
		t.Errorf("transparent: IP_TRANSPARENT = %d", v)
	}
}

// TestBindFailed: the address nginx names in "bind(...) failed".
func TestBindFailed(t *testing.T) {
	_, err := Dialer("tcp", time.Second, &Local{IP: net.ParseIP("10.255.1.2")}, false).Dial("tcp", "127.0.0.1:1")
	addr, ok := BindFailed(err)
	if !ok || addr != "10.255.1.2" {
		t.Errorf("BindFailed(%v) = %q, %v", err, addr, ok)
	}
	if _, ok := BindFailed(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}); ok {
		t.Error("a refused connection taken for a failed bind")
	}
}
