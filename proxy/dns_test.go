package proxy

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"goproxy/internal/testdns"
)

type (
	rr    = testdns.RR
	reply = testdns.Reply
)

var (
	newTestDNS = testdns.Start
	table      = testdns.Table
)

var (
	tA     = dnsmessage.TypeA
	tAAAA  = dnsmessage.TypeAAAA
	tCNAME = dnsmessage.TypeCNAME
)

func dnsCode(err error) int {
	var de *dnsError
	if errors.As(err, &de) {
		return de.code
	}
	return -1
}

// TestDNSCombinesAndFails is nginx's handling of the two answers: the
// addresses of both, IPv4 first; an error in either fails the name with
// the last error's code; no address at all is "Host not found".
func TestDNSCombinesAndFails(t *testing.T) {
	d := newTestDNS(t, table(map[string]map[dnsmessage.Type]reply{
		"n-n.test": {tA: {RRs: []rr{{Type: tA, Value: "10.0.0.1", TTL: 60}}}, tAAAA: {RRs: []rr{{Type: tAAAA, Value: "fe80::1", TTL: 60}}}},
		"n-e.test": {tA: {RRs: []rr{{Type: tA, Value: "10.0.0.1", TTL: 60}}}, tAAAA: {RCode: dnsmessage.RCodeServerFailure}},
		"e-n.test": {tA: {RCode: dnsmessage.RCodeServerFailure}, tAAAA: {RRs: []rr{{Type: tAAAA, Value: "fe80::1", TTL: 60}}}},
		"e-e.test": {tA: {RCode: dnsmessage.RCodeServerFailure}, tAAAA: {RCode: dnsmessage.RCodeNameError}},
		"z-n.test": {tAAAA: {RRs: []rr{{Type: tAAAA, Value: "fe80::1", TTL: 60}}}},
	}))
	c := newDNSClient([]string{d.Addr()}, 2*time.Second, 0, true, nil)
	ctx := context.Background()
	if got, err := c.resolve(ctx, "n-n.test", true); err != nil || !reflect.DeepEqual(got, []string{"10.0.0.1", "fe80::1"}) {
		t.Errorf("n-n: %v %v", got, err)
	}
	if got, err := c.resolve(ctx, "z-n.test", true); err != nil || !reflect.DeepEqual(got, []string{"fe80::1"}) {
		t.Errorf("z-n: %v %v", got, err)
	}
	for name, code := range map[string]int{"n-e.test": 2, "e-n.test": 2, "e-e.test": 3, "z-z.test": 3} {
		if got, err := c.resolve(ctx, name, true); dnsCode(err) != code {
			t.Errorf("%s: %v %v, want code %d", name, got, err, code)
		}
	}
	if _, err := c.resolve(ctx, "n-e.test", true); err == nil || err.Error() != "2: Server failure" {
		t.Errorf("n-e wording: %v", err)
	}
}

// TestDNSCNAME follows a CNAME only when no answer has addresses, and
// only the one of the answer that came last; a CNAME to a cached name
// uses the cache.
func TestDNSCNAME(t *testing.T) {
	d := newTestDNS(t, table(map[string]map[dnsmessage.Type]reply{
		"alias2.test": {tA: {RRs: []rr{{Type: tA, Value: "10.0.0.2", TTL: 60}}}, tAAAA: {RRs: []rr{{Type: tAAAA, Value: "fe80::2", TTL: 60}}}},
		"alias4.test": {tA: {RRs: []rr{{Type: tA, Value: "10.0.0.4", TTL: 60}}}},
		"alias6.test": {tAAAA: {RRs: []rr{{Type: tAAAA, Value: "fe80::6", TTL: 60}}}},
		"z-c.test":    {tAAAA: {RRs: []rr{{Type: tCNAME, Value: "alias2.test", TTL: 60}}}},
		"c-z.test":    {tA: {RRs: []rr{{Type: tCNAME, Value: "alias2.test", TTL: 60}}}},
		"n-c.test":    {tA: {RRs: []rr{{Type: tA, Value: "10.0.0.9", TTL: 60}}}, tAAAA: {RRs: []rr{{Type: tCNAME, Value: "alias2.test", TTL: 60}}}},
		"c1-c2.test":  {tA: {RRs: []rr{{Type: tCNAME, Value: "alias4.test", TTL: 60}}}, tAAAA: {RRs: []rr{{Type: tCNAME, Value: "alias6.test", TTL: 60}}}},
		// The address records belong to the alias, not to the name asked.
		"cn.test": {tAAAA: {RRs: []rr{{Type: tCNAME, Value: "other.test", TTL: 60}, {Owner: "other.test", Type: tAAAA, Value: "::1", TTL: 60}}}},
	}))
	c := newDNSClient([]string{d.Addr()}, 2*time.Second, 0, true, nil)
	ctx := context.Background()
	for name, want := range map[string][]string{
		"z-c.test":   {"10.0.0.2", "fe80::2"},
		"n-c.test":   {"10.0.0.9"},
		"c1-c2.test": {"fe80::6"},
		"cn.test":    {"::1"},
	} {
		if got, err := c.resolve(ctx, name, true); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v %v, want %v", name, got, err, want)
		}
	}
	if got, err := c.resolve(ctx, "c-z.test", true); dnsCode(err) != 3 {
		t.Errorf("c-z: %v %v, want Host not found", got, err)
	}
	before := len(d.Asked())
	if _, err := c.resolve(ctx, "z-c.test", true); err != nil {
		t.Fatal(err)
	}
	if n := len(d.Asked()) - before; n != 0 {
		t.Errorf("a cached CNAME and its cached alias were asked for again: %d queries", n)
	}
}

// TestDNSCNAMELoop gives up after nginx's 50 CNAMEs.
func TestDNSCNAMELoop(t *testing.T) {
	d := newTestDNS(t, func(name string, _ dnsmessage.Type) reply {
		var i int
		if _, err := fmt.Sscanf(name, "c%d.test", &i); err != nil {
			return reply{}
		}
		if i == 60 {
			return reply{RRs: []rr{{Type: tA, Value: "10.0.0.1", TTL: 60}}}
		}
		return reply{RRs: []rr{{Type: tCNAME, Value: "c" + strconv.Itoa(i+1) + ".test", TTL: 60}}}
	})
	c := newDNSClient([]string{d.Addr()}, 5*time.Second, 0, false, nil)
	if got, err := c.resolve(context.Background(), "c10.test", true); err != nil || len(got) != 1 {
		t.Errorf("50 CNAMEs: %v %v", got, err)
	}
	if got, err := c.resolve(context.Background(), "c9.test", true); dnsCode(err) != 3 {
		t.Errorf("51 CNAMEs: %v %v, want Host not found", got, err)
	}
}

// TestDNSServersInTurn sends both queries of a name to one server, the
// next name to the next server, and does not cache an error.
func TestDNSServersInTurn(t *testing.T) {
	fail := newTestDNS(t, func(string, dnsmessage.Type) reply { return reply{RCode: dnsmessage.RCodeServerFailure} })
	good := newTestDNS(t, func(string, dnsmessage.Type) reply {
		return reply{RRs: []rr{{Type: tA, Value: "10.0.0.1", TTL: 60}}}
	})
	c := newDNSClient([]string{fail.Addr(), good.Addr()}, 2*time.Second, 0, true, nil)
	ctx := context.Background()
	if _, err := c.resolve(ctx, "x.test", true); dnsCode(err) != 2 {
		t.Fatalf("first: %v", err)
	}
	if got, err := c.resolve(ctx, "x.test", true); err != nil || len(got) != 1 {
		t.Fatalf("second: %v %v", got, err)
	}
	if got, err := c.resolve(ctx, "x.test", true); err != nil || len(got) != 1 {
		t.Fatalf("cached: %v %v", got, err)
	}
	want := []string{"x.test A", "x.test AAAA"}
	if !reflect.DeepEqual(fail.Asked(), want) || !reflect.DeepEqual(good.Asked(), want) {
		t.Errorf("queries: first server %v, second %v", fail.Asked(), good.Asked())
	}
}

// TestDNSTTLAndValid caches for the smallest TTL, or for valid=; with
// ipv6=off only A is asked for.
func TestDNSTTLAndValid(t *testing.T) {
	d := newTestDNS(t, func(name string, t dnsmessage.Type) reply {
		return reply{RRs: []rr{{Type: tA, Value: "10.0.0.1", TTL: 1}, {Type: tA, Value: "10.0.0.2", TTL: 3600}}}
	})
	ctx := context.Background()
	c := newDNSClient([]string{d.Addr()}, 2*time.Second, 0, false, nil)
	c.resolve(ctx, "ttl.test", true)
	got, _ := c.resolve(ctx, "ttl.test", true)
	if q := d.Asked(); len(q) != 1 || q[0] != "ttl.test A" {
		t.Fatalf("queries before the TTL: %v", q)
	}
	if !reflect.DeepEqual(got, []string{"10.0.0.2", "10.0.0.1"}) {
		t.Errorf("cached addresses are not rotated: %v", got)
	}
	time.Sleep(1100 * time.Millisecond)
	c.resolve(ctx, "ttl.test", true)
	if q := d.Asked(); len(q) != 2 {
		t.Errorf("queries after the TTL: %v", q)
	}
	v := newDNSClient([]string{d.Addr()}, 2*time.Second, time.Hour, false, nil)
	v.resolve(ctx, "valid.test", true)
	time.Sleep(1100 * time.Millisecond)
	v.resolve(ctx, "valid.test", true)
	if q := d.Asked(); len(q) != 3 {
		t.Errorf("valid= does not override the TTL: %v", q)
	}
}

// TestDNSTimeout: a server that does not answer times a request out
// after resolver_timeout with nginx's wording, and an empty datagram is
// logged as nginx logs it.
func TestDNSTimeout(t *testing.T) {
	d := newTestDNS(t, func(string, dnsmessage.Type) reply { return reply{Empty: true} })
	var mu sync.Mutex
	var logged []string
	c := newDNSClient([]string{d.Addr()}, 300*time.Millisecond, 0, true, func(s string) {
		mu.Lock()
		logged = append(logged, s)
		mu.Unlock()
	})
	start := time.Now()
	_, err := c.resolve(context.Background(), "slow.test", true)
	if err == nil || err.Error() != "110: Operation timed out" {
		t.Fatalf("err %v", err)
	}
	if el := time.Since(start); el < 250*time.Millisecond || el > 2*time.Second {
		t.Errorf("timed out after %v", el)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logged) != 2 || logged[0] != "short DNS response" {
		t.Errorf("logged %q", logged)
	}
}

// TestDNSWaiterGivesUp: a request that goes away does not end the
// lookup the others wait for.
func TestDNSWaiterGivesUp(t *testing.T) {
	d := newTestDNS(t, func(string, dnsmessage.Type) reply {
		return reply{Delay: 300 * time.Millisecond, RRs: []rr{{Type: tA, Value: "10.0.0.1", TTL: 60}}}
	})
	c := newDNSClient([]string{d.Addr()}, 3*time.Second, 0, false, nil)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.resolve(ctx, "w.test", true)
		first <- err
	}()
	time.Sleep(50 * time.Millisecond)
	second := make(chan error, 1)
	go func() {
		_, err := c.resolve(context.Background(), "w.test", true)
		second <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("first: %v", err)
	}
	if err := <-second; err != nil {
		t.Errorf("second: %v", err)
	}
	if q := d.Asked(); len(q) != 1 {
		t.Errorf("queries: %v", q)
	}
}

// TestDNSFormatErrorIgnored: nginx logs a FORMERR or an unknown code
// and waits on (the query is sent again), where SERVFAIL, REFUSED and
// NOTIMP fail the name.
func TestDNSFormatErrorIgnored(t *testing.T) {
	d := newTestDNS(t, table(map[string]map[dnsmessage.Type]reply{
		"fmt.test": {tA: {RCode: dnsmessage.RCodeFormatError}},
		"ref.test": {tA: {RCode: dnsmessage.RCodeRefused}},
		"imp.test": {tA: {RCode: dnsmessage.RCodeNotImplemented}},
		"unk.test": {tA: {RCode: dnsmessage.RCode(9)}},
	}))
	var mu sync.Mutex
	var logged []string
	c := newDNSClient([]string{d.Addr()}, 300*time.Millisecond, 0, false, func(s string) {
		mu.Lock()
		logged = append(logged, s)
		mu.Unlock()
	})
	ctx := context.Background()
	for name, want := range map[string]string{"fmt.test": "110: Operation timed out", "unk.test": "110: Operation timed out",
		"ref.test": "5: Operation refused", "imp.test": "4: Unimplemented"} {
		if _, err := c.resolve(ctx, name, true); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", name, err, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var fmtLogged, unkLogged bool
	for _, l := range logged {
		fmtLogged = fmtLogged || strings.HasPrefix(l, "DNS error (1: Format error), query id:") && strings.HasSuffix(l, `, name:"fmt.test"`)
		unkLogged = unkLogged || strings.HasPrefix(l, "DNS error (9: Unknown error), query id:")
	}
	if !fmtLogged || !unkLogged {
		t.Errorf("logged %q", logged)
	}
}

// TestDNSNegativeTTL: a TTL with the top bit set is 0, not 68 years.
func TestDNSNegativeTTL(t *testing.T) {
	qn := dnsmessage.MustNewName("neg.test.")
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 7, Response: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: qn, Type: tA, Class: dnsmessage.ClassINET})
	b.StartAnswers()
	b.AResource(dnsmessage.ResourceHeader{Name: qn, Class: dnsmessage.ClassINET, TTL: 1 << 31}, dnsmessage.AResource{A: [4]byte{10, 0, 0, 1}})
	b.AResource(dnsmessage.ResourceHeader{Name: qn, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: [4]byte{10, 0, 0, 2}})
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	a, err := parseAnswer(msg, "neg.test", &dnsQuery{qtype: tA, id: 7})
	if err != nil || a.ttl != 0 || len(a.addrs) != 2 {
		t.Errorf("%+v %v", a, err)
	}
}
