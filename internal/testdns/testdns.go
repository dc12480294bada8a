// Package testdns is a UDP DNS server for tests of goproxy's resolver:
// it answers from a function, one query at a time and in order (as the
// nginx tests' server does), and records what it was asked.
package testdns

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// RR is one answer record.
type RR struct {
	Owner string // "" is the queried name
	Type  dnsmessage.Type
	Value string // address or CNAME target
	TTL   uint32
}

// Reply is the answer to one query; Drop sends nothing, Empty an empty
// datagram, Delay waits before answering.
type Reply struct {
	RCode dnsmessage.RCode
	RRs   []RR
	Drop  bool
	Empty bool
	Delay time.Duration
}

// Server is a running test DNS server.
type Server struct {
	conn    net.PacketConn
	answer  func(name string, t dnsmessage.Type) Reply
	mu      sync.Mutex
	queries []string
}

// Start listens on a free 127.0.0.1 port until the test ends.
func Start(t testing.TB, answer func(name string, t dnsmessage.Type) Reply) *Server {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{conn: pc, answer: answer}
	t.Cleanup(func() { pc.Close() })
	go s.serve()
	return s
}

// Addr is the server's host:port, for "resolver".
func (s *Server) Addr() string { return s.conn.LocalAddr().String() }

// Asked lists the queries received so far, as "name TYPE".
func (s *Server) Asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

func (s *Server) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFrom(buf)
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
		name := strings.TrimSuffix(q.Name.String(), ".")
		s.mu.Lock()
		s.queries = append(s.queries, name+" "+strings.TrimPrefix(q.Type.String(), "Type"))
		s.mu.Unlock()
		r := s.answer(name, q.Type)
		time.Sleep(r.Delay)
		if r.Drop {
			continue
		}
		if r.Empty {
			s.conn.WriteTo(nil, from)
			continue
		}
		if msg, err := build(h.ID, q, r); err == nil {
			s.conn.WriteTo(msg, from)
		}
	}
}

func build(id uint16, q dnsmessage.Question, r Reply) ([]byte, error) {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, Response: true, RecursionAvailable: true, RCode: r.RCode})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	for _, a := range r.RRs {
		owner := q.Name
		if a.Owner != "" {
			owner = dnsmessage.MustNewName(a.Owner + ".")
		}
		rh := dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: a.TTL}
		switch a.Type {
		case dnsmessage.TypeA:
			b.AResource(rh, dnsmessage.AResource{A: netip.MustParseAddr(a.Value).As4()})
		case dnsmessage.TypeAAAA:
			b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: netip.MustParseAddr(a.Value).As16()})
		case dnsmessage.TypeCNAME:
			b.CNAMEResource(rh, dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(a.Value + ".")})
		}
	}
	return b.Finish()
}

// Table answers from per-name, per-type replies; anything else is an
// empty NOERROR answer.
func Table(m map[string]map[dnsmessage.Type]Reply) func(string, dnsmessage.Type) Reply {
	return func(name string, t dnsmessage.Type) Reply { return m[name][t] }
}

// Hosts is a name → IPv4 table a test changes while the server runs: A
// queries for a listed name get its address (TTL 1 s), for any other
// name NXDOMAIN; other types an empty answer.
type Hosts struct {
	mu sync.Mutex
	m  map[string]string
}

// Set lists name at ip, or removes it when ip is "".
func (h *Hosts) Set(name, ip string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]string{}
	}
	if ip == "" {
		delete(h.m, name)
		return
	}
	h.m[name] = ip
}

// Answer is the function for Start.
func (h *Hosts) Answer(name string, t dnsmessage.Type) Reply {
	h.mu.Lock()
	ip, ok := h.m[name]
	h.mu.Unlock()
	switch {
	case t != dnsmessage.TypeA:
		return Reply{}
	case !ok:
		return Reply{RCode: dnsmessage.RCodeNameError}
	}
	return Reply{RRs: []RR{{Type: dnsmessage.TypeA, Value: ip, TTL: 1}}}
}
