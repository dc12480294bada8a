package proxy

// balancer.go lends the http proxy's upstream groups to the stream
// module: nginx's stream round-robin, least_conn, hash and random
// balancers are the http ones, so one implementation of peers, passive
// health (max_fails, fail_timeout, max_conns, backup, down) and
// balancing serves both.

import (
	"context"
	"strings"
	"sync"
	"time"

	"goproxy/confparse"
)

// Balancer is an upstream group as a stream server uses it.
type Balancer struct{ g *group }

// NewBalancer is a stream upstream block. Its host names are looked up
// with the system resolver, and again when the answer is old, as http's
// upstream blocks are.
func NewBalancer(conf *confparse.Upstream) *Balancer {
	return &Balancer{newGroup(conf.Name, conf, newResolver(nil, 0, nil))}
}

// AddrBalancer is nginx's implicit upstream of a proxy_pass address
// already resolved: each address a peer of weight 1, max_fails=1,
// fail_timeout=10s, for one session.
func AddrBalancer(addrs []string) *Balancer {
	u := &confparse.Upstream{Name: strings.Join(addrs, " ")}
	for _, a := range addrs {
		u.Servers = append(u.Servers, &confparse.UpstreamServer{Addr: a, Name: a, Weight: 1, MaxFails: 1,
			FailTimeout: 10 * time.Second})
	}
	return &Balancer{newGroup(u.Name, u, nil)}
}

// Pick is one session's walk through the peers: each is tried once at
// most, the hash state carries from try to try, and the peer connected
// to is held (max_conns, least_conn) until Done. Done may come from
// either direction's goroutine, so the held peer is guarded.
type Pick struct {
	g     *group
	tried map[*peer]bool
	hs    *hashState
	mu    sync.Mutex
	cur   *peer
}

// Start begins a session's walk; key is the evaluated "hash" key (unused
// by the other methods).
func (b *Balancer) Start(ctx context.Context, key string) *Pick {
	if b.g.resolver != nil {
		b.g.refresh(ctx, false)
	}
	pk := &Pick{g: b.g, tried: map[*peer]bool{}}
	if b.g.conf.Balance == "hash" {
		pk.hs = &hashState{key: key}
	}
	return pk
}

// Next chooses the next peer and holds it: its address as nginx names
// it ("ip:port", "unix:/path"), or "" when no peer is left to try.
func (pk *Pick) Next() string {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	pk.release()
	p := pk.g.pick(pk.tried, pk.hs, time.Now())
	if p == nil {
		return ""
	}
	pk.tried[p] = true
	p.conns.Add(1)
	pk.cur = p
	if p.network == "unix" {
		return "unix:" + p.addr
	}
	return p.addr
}

// Failed counts the held peer's failure and lets it go; it reports
// whether the peer is now disabled for fail_timeout (nginx warns then).
func (pk *Pick) Failed() bool {
	pk.mu.Lock()
	p := pk.cur
	pk.release()
	pk.mu.Unlock()
	return p != nil && pk.g.failed(p)
}

// Connected records the held peer's success as soon as the connection
// is made, as nginx's stream proxy does: the failures of a peer chosen
// after its fail window are cleared, so sessions that follow in that
// window may use it while the first still runs.
func (pk *Pick) Connected() {
	pk.mu.Lock()
	p := pk.cur
	pk.mu.Unlock()
	if p != nil {
		pk.g.succeeded(p)
	}
}

// Done ends the session's use of the held peer.
func (pk *Pick) Done() {
	pk.mu.Lock()
	pk.release()
	pk.mu.Unlock()
}

// release lets the held peer go; pk.mu is held.
func (pk *Pick) release() {
	if pk.cur != nil {
		pk.cur.conns.Add(-1)
		pk.cur = nil
	}
}

// HashKey is the "hash" key to evaluate for Start; nil for the other
// methods.
func (b *Balancer) HashKey() *confparse.Template {
	if b.g.conf.Balance != "hash" {
		return nil
	}
	return b.g.conf.HashKey
}
