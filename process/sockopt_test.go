package process

import (
	"net"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"goproxy/confparse"
)

// TestListenSocketOptions: an accepted connection has the options its
// listen asked for (so_keepalive's tunables, rcvbuf), inherited from the
// listening socket as nginx's are, and without so_keepalive no TCP
// keep-alive at all (nginx sets none; Go's default would).
func TestListenSocketOptions(t *testing.T) {
	for _, c := range []struct {
		params                 string
		keepalive, idle, intvl int
		count                  int
		minRcvBuf              int
	}{
		{params: "", keepalive: 0},
		{params: "so_keepalive=30m::10 rcvbuf=64k", keepalive: 1, idle: 1800, count: 10, minRcvBuf: 64 << 10},
		{params: "so_keepalive=on", keepalive: 1},
	} {
		text := "events {} http { server { listen 127.0.0.1:8080 " + c.params + "; } }"
		cfg, err := confparse.Load(confparse.Options{Path: "/x/nginx.conf", NoUserLookup: true,
			ReadFile: func(string) ([]byte, error) { return []byte(text), nil }})
		if err != nil {
			t.Fatal(err)
		}
		l := cfg.HTTP.Servers[0].Listens[0]
		l.Addr = "127.0.0.1:0" // any free port
		ln, err := openListener(l)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		sc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := sc.(*net.TCPConn).SyscallConn()
		get := func(level, opt int) int {
			var v int
			var gerr error
			raw.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), level, opt) })
			if gerr != nil {
				t.Fatal(gerr)
			}
			return v
		}
		if v := get(syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); v != c.keepalive {
			t.Errorf("%q: SO_KEEPALIVE %d, want %d", c.params, v, c.keepalive)
		}
		if c.idle > 0 {
			if v := get(syscall.IPPROTO_TCP, unix.TCP_KEEPIDLE); v != c.idle {
				t.Errorf("%q: TCP_KEEPIDLE %d, want %d", c.params, v, c.idle)
			}
		}
		if c.count > 0 {
			if v := get(syscall.IPPROTO_TCP, unix.TCP_KEEPCNT); v != c.count {
				t.Errorf("%q: TCP_KEEPCNT %d, want %d", c.params, v, c.count)
			}
		}
		if c.minRcvBuf > 0 {
			if v := get(syscall.SOL_SOCKET, syscall.SO_RCVBUF); v < c.minRcvBuf {
				t.Errorf("%q: SO_RCVBUF %d, want at least %d", c.params, v, c.minRcvBuf)
			}
		}
		sc.Close()
		cl.Close()
		ln.Close()
	}
}
