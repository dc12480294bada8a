package ssl

import (
	"bytes"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"goproxy/internal/testcerts"
)

// ticketSpy is a client session cache that keeps the last ticket.
type ticketSpy struct {
	tls.ClientSessionCache
	ticket []byte
}

func (s *ticketSpy) Put(k string, cs *tls.ClientSessionState) {
	if cs != nil {
		s.ticket, _, _ = cs.ResumptionState()
	}
	s.ClientSessionCache.Put(k, cs)
}

// resume runs n handshakes of one client against a server whose
// session hooks are made per handshake by hooks; it returns whether
// each resumed.
func resume(t *testing.T, n int, vers uint16, spy *ticketSpy, hooks func() *handshake) []bool {
	t.Helper()
	cert := testcerts.NewCA(t, "ca").Server(t, testcerts.Opts{}, "localhost")
	var out []bool
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			c, err := l.Accept()
			if err != nil {
				return
			}
			h := hooks()
			s := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert.TLS()}, MaxVersion: vers,
				WrapSession: h.wrap, UnwrapSession: h.unwrap})
			s.Handshake()
			s.Read(make([]byte, 1)) // until the client closes
			s.Close()
		}()
		c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{InsecureSkipVerify: true, ClientSessionCache: spy, MaxVersion: vers})
		if err != nil {
			t.Fatal(err)
		}
		if vers == tls.VersionTLS13 {
			// The ticket comes after the handshake.
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			c.Read(make([]byte, 1))
		}
		out = append(out, c.ConnectionState().DidResume)
		c.Close()
		<-done
		l.Close()
	}
	return out
}

// TestTicketsInOpenSSLLayout: a ticket starts with the name of the key
// file's first 16 bytes and resumes; past ssl_session_timeout it does
// not; another key cannot open it.
func TestTicketsInOpenSSLLayout(t *testing.T) {
	file := bytes.Repeat([]byte("1"), 48)
	key := parseTicketKey(file)
	for _, vers := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		spy := &ticketSpy{ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		got := resume(t, 2, vers, spy, func() *handshake { return &handshake{keys: []ticketKey{key}, timeout: time.Hour} })
		if got[0] || !got[1] {
			t.Errorf("version %x: resumed %v, want [false true]", vers, got)
		}
		if !bytes.HasPrefix(spy.ticket, file[:16]) {
			t.Errorf("version %x: ticket %x does not start with the key name", vers, spy.ticket[:16])
		}
		if _, _, ok := openTicket([]ticketKey{parseTicketKey(bytes.Repeat([]byte("2"), 80))}, spy.ticket); ok {
			t.Errorf("version %x: another key opened the ticket", vers)
		}
		spy = &ticketSpy{ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		got = resume(t, 2, vers, spy, func() *handshake { return &handshake{keys: []ticketKey{key}, timeout: time.Nanosecond} })
		if got[1] {
			t.Errorf("version %x: resumed past the timeout", vers)
		}
	}
}

// TestSessionCacheWithoutTickets: without tickets the client holds only
// the id of a session the server keeps; a TLS 1.2 session keeps its id
// when resumed, the id is what $ssl_session_id shows.
func TestSessionCacheWithoutTickets(t *testing.T) {
	cache := newSessionCache(10)
	var ids [][]byte
	spy := &ticketSpy{ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	got := resume(t, 3, tls.VersionTLS12, spy, func() *handshake {
		return &handshake{cache: cache, timeout: time.Hour, setID: func(id []byte) { ids = append(ids, id) }}
	})
	if got[0] || !got[1] || !got[2] {
		t.Errorf("resumed %v, want [false true true]", got)
	}
	if len(spy.ticket) != 32 || cache.take(spy.ticket) == nil {
		t.Errorf("the client holds %x, not a cached session's id", spy.ticket)
	}
	if len(ids) == 0 || !bytes.Equal(ids[0], ids[len(ids)-1]) {
		t.Errorf("session ids %x: want the same id throughout", ids)
	}
	c13 := newSessionCache(10)
	c13.put([]byte("x"), []byte("s"), time.Now(), true)
	if c13.take([]byte("x")) == nil || c13.take([]byte("x")) != nil {
		t.Error("a TLS 1.3 session must be taken once")
	}
	small := newSessionCache(2)
	for _, id := range []string{"a", "b", "c"} {
		small.put([]byte(id), nil, time.Now(), false)
	}
	if small.take([]byte("a")) != nil || small.take([]byte("c")) == nil {
		t.Error("a full cache drops its oldest session")
	}
}
