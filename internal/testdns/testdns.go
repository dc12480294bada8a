// Package testdns is a DNS server for tests: it answers A questions
// from a table the test changes (NXDOMAIN for a name not in it), for
// the "resolver" directive of the configurations under test.
package testdns

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// Server is a running table DNS server.
type Server struct {
	mu    sync.Mutex
	addrs map[string][4]byte
	conn  net.PacketConn
	asked atomic.Int32
}

// New starts a server on a free UDP port of 127.0.0.1, stopped when the
// test ends.
func New(t testing.TB) *Server {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &Server{addrs: map[string][4]byte{}, conn: pc}
	t.Cleanup(func() { pc.Close() })
	go d.serve()
	return d
}

// Addr is the server's address, for "resolver ADDR;".
func (d *Server) Addr() string { return d.conn.LocalAddr().String() }

// Asked is how many questions the server has had.
func (d *Server) Asked() int { return int(d.asked.Load()) }

// Set makes name resolve to ip (nil: removes it).
func (d *Server) Set(name string, ip net.IP) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ip == nil {
		delete(d.addrs, name)
		return
	}
	var a [4]byte
	copy(a[:], ip.To4())
	d.addrs[name] = a
}

func (d *Server) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		d.asked.Add(1)
		name := strings.TrimSuffix(q.Name.String(), ".")
		d.mu.Lock()
		ip, ok := d.addrs[name]
		d.mu.Unlock()
		rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true}
		if !ok && q.Type == dnsmessage.TypeA {
			rh.RCode = dnsmessage.RCodeNameError
		}
		b := dnsmessage.NewBuilder(nil, rh)
		b.EnableCompression()
		b.StartQuestions()
		b.Question(q)
		b.StartAnswers()
		if ok && q.Type == dnsmessage.TypeA {
			b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 1},
				dnsmessage.AResource{A: ip})
		}
		msg, err := b.Finish()
		if err == nil {
			d.conn.WriteTo(msg, from)
		}
	}
}
