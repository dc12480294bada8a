// Package testupstream is the tiny HTTP backend tests and benchmarks
// put behind goproxy: an accept loop, and a keep-alive responder that
// answers every request head with the same bytes. Only tests import it.
package testupstream

import (
	"bufio"
	"net"
	"testing"
)

// Serve accepts on l until it is closed, each connection handled in its
// own goroutine and closed when handle returns.
func Serve(l net.Listener, handle func(net.Conn)) {
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
}

// KeepAlive answers each request head on the connection (bodies are not
// expected) with resp, until the client closes.
func KeepAlive(resp string) func(net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) <= 2 { // the blank line that ends a head
				if _, err := c.Write([]byte(resp)); err != nil {
					return
				}
			}
		}
	}
}

// Listen accepts on a loopback port until the test ends, each connection
// handled by handle in its own goroutine, and returns the address: the
// fake backends of other protocols (SCGI, uwsgi, memcached, TCP) use it.
func Listen(tb testing.TB, handle func(net.Conn)) string {
	tb.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	Serve(l, handle)
	return l.Addr().String()
}

// Start listens on a loopback port, serves resp to every request with
// KeepAlive until the test ends, and returns the address.
func Start(tb testing.TB, resp string) string {
	tb.Helper()
	return Listen(tb, KeepAlive(resp))
}
