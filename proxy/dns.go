package proxy

// dns.go is goproxy's own DNS stub client for nginx's "resolver"
// directive. Go's resolver cannot behave as nginx's does, and which
// queries go where, and which answer wins, is visible to the servers and
// to clients:
//
//   - a name is asked for with an A query and, with ipv6=on (the
//     default), an AAAA query, both on one socket to one server; the
//     servers are taken in turn, name by name, and a query without an
//     answer is sent again every 5 seconds to the next server;
//   - an error answer (SERVFAIL, NXDOMAIN, REFUSED, NOTIMP) to either
//     query fails the name with that answer's code, even if the other
//     one had addresses, and is not cached; nor is an answer without
//     any address; FORMERR and unknown codes are logged and ignored;
//   - the addresses of both answers are used, IPv4 first, whatever the
//     owner name of their records; without any, a CNAME in the answer
//     that came last is followed (at most 50 times), through the cache;
//   - answers are cached for their smallest TTL, or for "valid=";
//   - every request waits resolver_timeout at most, counted from when it
//     started resolving, while the lookup itself goes on for the other
//     requests waiting for the same name (one that gives up does not
//     cancel it).

import (
	"container/list"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsResendTimeout is how long a query waits for its answer before it is
// sent again to the next server (nginx's resend timeout).
const dnsResendTimeout = 5 * time.Second

// dnsMaxRecursion is how many CNAMEs nginx follows for one name.
const dnsMaxRecursion = 50

// dnsError is a failed resolution, with nginx's code and wording, as
// logged in "could not be resolved (2: Server failure)".
type dnsError struct{ code int }

// errDNSTimedOut is nginx's NGX_ETIMEDOUT: no answer within
// resolver_timeout.
var errDNSTimedOut = &dnsError{110}

// errDNSNotFound is NGX_RESOLVE_NXDOMAIN, also used for an answer
// without addresses and for a CNAME loop.
var errDNSNotFound = &dnsError{3}

func (e *dnsError) Error() string {
	msg := "Unknown error"
	switch e.code {
	case 1:
		msg = "Format error"
	case 2:
		msg = "Server failure"
	case 3:
		msg = "Host not found"
	case 4:
		msg = "Unimplemented"
	case 5:
		msg = "Operation refused"
	case 110:
		msg = "Operation timed out"
	}
	return strconv.Itoa(e.code) + ": " + msg
}

// dnsClient is one "resolver" directive: its servers, its settings and
// its cache, shared by every location using the same directive.
type dnsClient struct {
	servers []string
	next    atomic.Uint32
	timeout time.Duration // resolver_timeout
	valid   time.Duration // valid=, or 0 for the answers' TTLs
	ipv6    bool
	logf    func(msg string) // the error log, at level error

	mu    sync.Mutex
	names map[string]*list.Element // of *dnsNode, newest first
	order list.List
}

// dnsNode is one name being looked up or looked up already. Its result
// fields are written before done is closed and read only after.
type dnsNode struct {
	name    string
	done    chan struct{}
	addrs   []string
	cname   string // followed when there is no address
	err     error
	expires time.Time
	// deadline is the latest deadline of the requests waiting for the
	// node, waiters how many still wait, and turn rotates cached
	// addresses; the client's mu guards them.
	deadline time.Time
	waiters  int
	turn     int
}

func newDNSClient(servers []string, timeout, valid time.Duration, ipv6 bool, logf func(string)) *dnsClient {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if logf == nil {
		logf = func(string) {}
	}
	return &dnsClient{servers: servers, timeout: timeout, valid: valid, ipv6: ipv6, logf: logf,
		names: map[string]*list.Element{}}
}

// resolve returns the addresses of host, IPv4 first. With cache the
// answers (and the CNAMEs followed) come from and go to the cache, and
// cached addresses are rotated from one call to the next, as nginx's
// resolver does for a proxy_pass with variables; without, every name is
// asked for again (the periodic re-resolution of upstream names).
func (c *dnsClient) resolve(ctx context.Context, host string, cache bool) ([]string, error) {
	deadline := time.Now().Add(c.timeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	name := host
	for depth := 0; ; depth++ {
		n := c.node(name, deadline, cache)
		select {
		case <-n.done:
			c.leave(n)
		case <-ctx.Done():
			c.leave(n)
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, errDNSTimedOut
			}
			return nil, ctx.Err()
		}
		if n.err != nil {
			return nil, n.err
		}
		if len(n.addrs) > 0 {
			if !cache {
				return n.addrs, nil
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			return n.rotated(), nil
		}
		if depth >= dnsMaxRecursion || n.cname == "" {
			return nil, errDNSNotFound
		}
		name = n.cname
	}
}

// node finds name in the cache or starts looking it up.
func (c *dnsClient) node(name string, deadline time.Time, cache bool) *dnsNode {
	key := strings.ToLower(strings.TrimSuffix(name, "."))
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.names[key]; cache && ok {
		n := el.Value.(*dnsNode)
		select {
		case <-n.done:
			if time.Now().Before(n.expires) {
				c.order.MoveToFront(el)
				return n
			}
			c.remove(el)
		default:
			if deadline.After(n.deadline) {
				n.deadline = deadline
			}
			n.waiters++
			return n
		}
	}
	n := &dnsNode{name: key, done: make(chan struct{}), deadline: deadline, waiters: 1}
	if cache {
		c.names[key] = c.order.PushFront(n)
		for c.order.Len() > maxCachedNames {
			c.remove(c.order.Back())
		}
	}
	go c.lookup(n)
	return n
}

func (c *dnsClient) remove(el *list.Element) {
	delete(c.names, el.Value.(*dnsNode).name)
	c.order.Remove(el)
}

// leave says a request no longer waits for n.
func (c *dnsClient) leave(n *dnsNode) {
	c.mu.Lock()
	n.waiters--
	c.mu.Unlock()
}

// waiting is until when someone may wait for n, and how many do now.
func (c *dnsClient) waiting(n *dnsNode) (time.Time, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return n.deadline, n.waiters
}

// dnsQuery is one question of a lookup and the state of its answer.
type dnsQuery struct {
	qtype   dnsmessage.Type
	id      uint16
	msg     []byte
	pending bool
}

// dnsAnswer is what one answer holds for its question.
type dnsAnswer struct {
	rcode dnsmessage.RCode
	addrs []string
	cname string
	ttl   uint32
}

// lookup asks the servers for n and publishes the result.
func (c *dnsClient) lookup(n *dnsNode) {
	addrs, cname, ttl, err := c.exchange(n)
	c.mu.Lock()
	n.addrs, n.cname, n.err = addrs, cname, err
	if err == nil {
		valid := c.valid
		if valid == 0 {
			valid = time.Duration(ttl) * time.Second
		}
		n.expires = time.Now().Add(valid)
	} else if el, ok := c.names[n.name]; ok && el.Value == n {
		// Errors and timeouts are not cached.
		c.remove(el)
	}
	close(n.done)
	c.mu.Unlock()
}

// exchange sends n's queries and reads their answers until both have
// come or nobody waits any more.
func (c *dnsClient) exchange(n *dnsNode) (addrs []string, cname string, ttl uint32, err error) {
	var qs []*dnsQuery
	types := []dnsmessage.Type{dnsmessage.TypeA}
	if c.ipv6 {
		types = append(types, dnsmessage.TypeAAAA)
	}
	for _, t := range types {
		q := &dnsQuery{qtype: t, id: uint16(rand.Uint32()), pending: true}
		if q.msg, err = buildQuery(n.name, t, q.id); err != nil {
			return nil, "", 0, errDNSNotFound
		}
		qs = append(qs, q)
	}
	pc, err := net.ListenPacket("udp", ":0")
	if err != nil {
		c.logf("socket() failed for resolver: " + err.Error())
		return nil, "", 0, errDNSTimedOut
	}
	defer pc.Close()

	k := int(c.next.Add(1) - 1)
	asked := map[netip.AddrPort]bool{}
	server := ""
	send := func() {
		server = c.servers[k%len(c.servers)]
		to, err := net.ResolveUDPAddr("udp", server)
		if err != nil {
			return
		}
		asked[unmapped(to)] = true
		for _, q := range qs {
			if q.pending {
				if _, err := pc.WriteTo(q.msg, to); err != nil {
					c.logf("sendto() failed (" + err.Error() + ") while resolving " + n.name)
				}
			}
		}
	}
	send()
	resend := time.Now().Add(dnsResendTimeout)

	var v4, v6 []string
	var rcode dnsmessage.RCode
	ttl = ^uint32(0)
	buf := make([]byte, 4096)
	for left := len(qs); left > 0; {
		deadline, waiters := c.waiting(n)
		if !time.Now().Before(deadline) {
			return nil, "", 0, errDNSTimedOut
		}
		wake := resend
		if deadline.Before(wake) {
			wake = deadline
		}
		pc.SetReadDeadline(wake)
		m, from, rerr := pc.ReadFrom(buf)
		if rerr != nil {
			var ne net.Error
			if errors.As(rerr, &ne) && ne.Timeout() {
				if !time.Now().Before(resend) {
					if waiters == 0 {
						// Nobody waits any more: nginx sends no
						// query again.
						return nil, "", 0, errDNSTimedOut
					}
					k++
					send()
					resend = time.Now().Add(dnsResendTimeout)
				}
				continue
			}
			return nil, "", 0, errDNSTimedOut
		}
		if ua, ok := from.(*net.UDPAddr); !ok || !asked[unmapped(ua)] {
			// Only the servers asked answer, as nginx reads each
			// server's answers on that server's socket.
			continue
		}
		if m < 12 {
			c.logf("short DNS response")
			continue
		}
		msg := buf[:m]
		q := matchQuery(qs, msg)
		if q == nil {
			continue
		}
		if rc := int(msg[3] & 0x0f); rc == 1 || rc > 5 {
			// nginx logs a format error or an unknown code and waits
			// for another answer (the query is sent again).
			e := "DNS error (" + (&dnsError{rc}).Error() + "), query id:" + strconv.Itoa(int(q.id))
			if rc == 1 {
				e += ", name:\"" + n.name + "\""
			}
			c.logf(e)
			continue
		}
		if msg[2]&0x02 != 0 {
			// Truncated: the whole answer over TCP, as nginx does.
			if full, err := c.exchangeTCP(server, q.msg, deadline); err == nil {
				msg = full
			}
		}
		a, perr := parseAnswer(msg, n.name, q)
		if perr != nil {
			c.logf("invalid DNS response for " + n.name + ": " + perr.Error())
			continue
		}
		q.pending = false
		left--
		// The answer that comes last decides whether a CNAME is followed:
		// an error or an empty answer after a CNAME one is not.
		cname = ""
		if a.rcode != dnsmessage.RCodeSuccess {
			rcode = a.rcode
			continue
		}
		if a.ttl < ttl {
			ttl = a.ttl
		}
		if q.qtype == dnsmessage.TypeA {
			v4 = append(v4, a.addrs...)
		} else {
			v6 = append(v6, a.addrs...)
		}
		if len(a.addrs) == 0 {
			cname = a.cname
		}
	}
	if rcode != dnsmessage.RCodeSuccess {
		return nil, "", 0, &dnsError{int(rcode)}
	}
	if addrs = append(v4, v6...); len(addrs) > 0 {
		return addrs, "", ttl, nil
	}
	if cname != "" {
		return nil, cname, ttl, nil
	}
	return nil, "", 0, errDNSNotFound
}

// unmapped is a UDP address as a key: an IPv4 one in its 4-byte form
// whether it came from a dual-stack socket or not.
func unmapped(a *net.UDPAddr) netip.AddrPort {
	ap := a.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// exchangeTCP asks server again over TCP, for an answer too long for UDP.
func (c *dnsClient) exchangeTCP(server string, query []byte, deadline time.Time) ([]byte, error) {
	d := net.Dialer{Deadline: deadline}
	conn, err := d.Dial("tcp", server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	out := make([]byte, 2+len(query))
	binary.BigEndian.PutUint16(out, uint16(len(query)))
	copy(out[2:], query)
	if _, err := conn.Write(out); err != nil {
		return nil, err
	}
	var l [2]byte
	if _, err := io.ReadFull(conn, l[:]); err != nil {
		return nil, err
	}
	resp := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(conn, resp); err != nil {
		return nil, err
	}
	if len(resp) < 12 {
		return nil, errors.New("short DNS response")
	}
	return resp, nil
}

// buildQuery is a recursive query for name, without EDNS, as nginx
// sends it.
func buildQuery(name string, t dnsmessage.Type, id uint16) ([]byte, error) {
	qn, err := dnsmessage.NewName(name + ".")
	if err != nil {
		return nil, err
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, 64), dnsmessage.Header{ID: id, RecursionDesired: true})
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(dnsmessage.Question{Name: qn, Type: t, Class: dnsmessage.ClassINET}); err != nil {
		return nil, err
	}
	return b.Finish()
}

// matchQuery is the pending query a message answers, by its ID.
func matchQuery(qs []*dnsQuery, msg []byte) *dnsQuery {
	id := binary.BigEndian.Uint16(msg)
	for _, q := range qs {
		if q.pending && q.id == id {
			return q
		}
	}
	return nil
}

// parseAnswer reads an answer to q about name: its code, the addresses
// of the queried type (whichever name owns them) and the CNAME, the one
// of name preferably.
func parseAnswer(msg []byte, name string, q *dnsQuery) (dnsAnswer, error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return dnsAnswer{}, err
	}
	if !h.Response {
		return dnsAnswer{}, errors.New("not a response")
	}
	qq, err := p.Question()
	if err != nil {
		return dnsAnswer{}, err
	}
	if qq.Type != q.qtype || !strings.EqualFold(strings.TrimSuffix(qq.Name.String(), "."), name) {
		return dnsAnswer{}, errors.New("unexpected question")
	}
	if err := p.SkipAllQuestions(); err != nil {
		return dnsAnswer{}, err
	}
	a := dnsAnswer{rcode: h.RCode, ttl: ^uint32(0)}
	if h.RCode != dnsmessage.RCodeSuccess {
		return a, nil
	}
	cnameOwned := false
	for {
		rh, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return dnsAnswer{}, err
		}
		if rh.Class != dnsmessage.ClassINET {
			if err := p.SkipAnswer(); err != nil {
				return dnsAnswer{}, err
			}
			continue
		}
		switch {
		case rh.Type == dnsmessage.TypeA && q.qtype == dnsmessage.TypeA:
			r, err := p.AResource()
			if err != nil {
				return dnsAnswer{}, err
			}
			a.addrs = append(a.addrs, netip.AddrFrom4(r.A).String())
		case rh.Type == dnsmessage.TypeAAAA && q.qtype == dnsmessage.TypeAAAA:
			r, err := p.AAAAResource()
			if err != nil {
				return dnsAnswer{}, err
			}
			a.addrs = append(a.addrs, netip.AddrFrom16(r.AAAA).String())
		case rh.Type == dnsmessage.TypeCNAME:
			r, err := p.CNAMEResource()
			if err != nil {
				return dnsAnswer{}, err
			}
			owned := strings.EqualFold(strings.TrimSuffix(rh.Name.String(), "."), name)
			if a.cname == "" && !cnameOwned || owned && !cnameOwned {
				a.cname = strings.TrimSuffix(r.CNAME.String(), ".")
				cnameOwned = owned
			}
		default:
			if err := p.SkipAnswer(); err != nil {
				return dnsAnswer{}, err
			}
			continue
		}
		ttl := rh.TTL
		if ttl > 1<<31-1 {
			// A TTL with the top bit set counts as 0 (RFC 2181), as
			// nginx reads it signed.
			ttl = 0
		}
		if ttl < a.ttl {
			a.ttl = ttl
		}
	}
	return a, nil
}

// rotated is a copy of the addresses starting one further each time;
// the client's mu is held.
func (n *dnsNode) rotated() []string {
	if len(n.addrs) < 2 {
		return n.addrs
	}
	k := n.turn % len(n.addrs)
	n.turn++
	out := make([]string, 0, len(n.addrs))
	return append(append(out, n.addrs[k:]...), n.addrs[:k]...)
}
