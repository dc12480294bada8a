package proxy

import (
	"net"
	"testing"
	"time"

	"goproxy/confparse"
)

func TestMemcachedEscape(t *testing.T) {
	for in, want := range map[string]string{
		"/plain":        "/plain",
		"a b%c\x01\xff": "a%20b%25c%01\xff",
		"":              "",
	} {
		if got := memcachedEscape(in); got != want {
			t.Errorf("memcachedEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMemcachedParseValue(t *testing.T) {
	flag := 2
	w := &memcachedWire{conf: &confparse.MemcachedLoc{GzipFlag: &flag}}
	for _, c := range []struct {
		line   string
		length int64
		gzip   bool
		err    string
	}{
		{"VALUE k 0 5\r", 5, false, ""},
		{"VALUE k 3 12\r", 12, true, ""},
		{"VALUE k 0 5", 0, false, `memcached sent invalid response: "VALUE k 0 5"`},
		{"VALUE x 0 5\r", 0, false, `memcached sent invalid key in response "VALUE x 0 5" for key "k"`},
		{"VALUE k  0 5\r", 0, false, `memcached sent invalid flags in response "VALUE k  0 5" for key "k"`},
		{"VALUE k 0 5 9\r", 0, false, `memcached sent invalid length in response "VALUE k 0 5 9" for key "k"`},
		{"VALUE k 0 -1\r", 0, false, `memcached sent invalid length in response "VALUE k 0 -1" for key "k"`},
		{"VALUE k 0 99999999999999999999\r", 0, false, `memcached sent invalid length in response "VALUE k 0 99999999999999999999" for key "k"`},
		{"VALUE k0 5\r", 0, false, `memcached sent invalid response: "VALUE k0 5"`},
		{"STORED\r", 0, false, `memcached sent invalid response: "STORED"`},
	} {
		n, gz, err := w.parseValue([]byte(c.line), "k")
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if msg != c.err || err == nil && (n != c.length || gz != c.gzip) {
			t.Errorf("%q: %d %v %q, want %d %v %q", c.line, n, gz, msg, c.length, c.gzip, c.err)
		}
	}
	// Without memcached_gzip_flag the flags are not read at all.
	flag = 0
	if n, _, err := w.parseValue([]byte("VALUE k x 5\r"), "k"); err != nil || n != 5 {
		t.Errorf("flags read without memcached_gzip_flag: %d %v", n, err)
	}
}

// TestPoolLRU: "keepalive N" bounds the idle connections of a whole
// group; a full cache closes its least recently used one.
func TestPoolLRU(t *testing.T) {
	p := newPool()
	a, b := &peer{addr: "a"}, &peer{addr: "b"}
	conn := func(pr *peer) (*upConn, net.Conn) {
		c1, c2 := net.Pipe()
		t.Cleanup(func() { c1.Close(); c2.Close() })
		return &upConn{nc: c1, peer: pr}, c2
	}
	ca, ra := conn(a)
	p.put(ca, 1, time.Now())
	time.Sleep(time.Millisecond)
	cb, _ := conn(b)
	p.put(cb, 1, time.Now())
	if got := p.get("a", 0, time.Now()); got != nil {
		t.Error("a's connection kept beside b's with keepalive 1")
	}
	ra.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := ra.Read(make([]byte, 1)); err == nil {
		t.Error("the evicted connection is open")
	}
	if got := p.get("b", 0, time.Now()); got != cb {
		t.Error("b's connection, the newest, not kept")
	}
	if p.n != 0 {
		t.Errorf("count %d after taking all", p.n)
	}
}
