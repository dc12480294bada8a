package stream

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// clientHello is what a real TLS client sends first.
func clientHello(t *testing.T, sni string, alpn []string, maxV uint16) []byte {
	a, b := net.Pipe()
	go func() {
		c := tls.Client(a, &tls.Config{ServerName: sni, NextProtos: alpn, MaxVersion: maxV, InsecureSkipVerify: true})
		c.SetDeadline(time.Now().Add(time.Second))
		c.Handshake()
		a.Close()
	}()
	buf := make([]byte, 16384)
	b.SetReadDeadline(time.Now().Add(time.Second))
	n, _ := b.Read(buf)
	b.Close()
	return buf[:n]
}

func TestParseClientHello(t *testing.T) {
	h := clientHello(t, "Example.COM", []string{"h2", "http/1.1"}, 0)
	info, err := parseClientHello(h)
	if err != nil {
		t.Fatal(err)
	}
	if info.serverName != "example.com" || info.alpn != "h2,http/1.1" || info.protocol != "TLSv1.3" {
		t.Errorf("got %+v", info)
	}
	info, err = parseClientHello(clientHello(t, "a.test", nil, tls.VersionTLS12))
	if err != nil || info.protocol != "TLSv1.2" || info.alpn != "" {
		t.Errorf("TLS 1.2 hello: %+v %v", info, err)
	}
	// Every prefix is incomplete, never an error or a result.
	for i := 1; i < len(h); i += 37 {
		if _, err := parseClientHello(h[:i]); err != errNeedMore {
			t.Fatalf("prefix %d: %v", i, err)
		}
	}
	if _, err := parseClientHello([]byte("GET / HTTP/1.0\r\n")); err == nil || err == errNeedMore {
		t.Errorf("plain text taken for TLS: %v", err)
	}
}

// TestLimiter checks nginx's rate arithmetic: a second's worth at once,
// then the next read waits for what passed.
func TestLimiter(t *testing.T) {
	l := newLimiter(1000)
	if b := l.clamp(make([]byte, 4096)); len(b) != 1000 {
		t.Fatalf("first read allowed %d bytes, want 1000", len(b))
	}
	l.passed(1000)
	start := time.Now()
	l.before()
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("after a second's worth the next read waited %v", d)
	}
}
