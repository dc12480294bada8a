package nginxtest

import (
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// DialH2 opens a clear-text HTTP/2 connection with prior knowledge: the
// preface and an empty SETTINGS are sent, the framer reads and writes
// the rest. The connection closes with the test.
func DialH2(t testing.TB, addr string) (net.Conn, *http2.Framer) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, http2.ClientPreface)
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	return c, fr
}
