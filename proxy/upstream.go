package proxy

// upstream.go holds upstream groups and their peers: nginx's weighted
// round robin (the smooth algorithm), passive health (max_fails within
// fail_timeout), backup and down peers. A peer that is a host name is
// resolved at run time and again periodically, so a name that does not
// resolve yet (a container still starting) only fails its requests with
// 502 until it does, and a container that comes back with a new address
// is followed.

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"goproxy/confparse"
	"goproxy/metrics"
)

// group is an upstream block, or the implicit one-server group of a
// proxy_pass to host:port. Its definition never changes after newGroup:
// a configuration with another definition gets another group.
type group struct {
	name string
	key  string // the whole definition, identity across reloads
	// label names the group in the metrics: its name, or for a host
	// from variables the proxy_pass URL as written.
	label   string
	timer   atomic.Pointer[metrics.UpstreamTimer] // label's series, once used
	conf    *confparse.Upstream
	servers []*serverEntry
	mu      sync.Mutex
	// rr state lives on peers; mu guards it.
	keepalive int
	pool      *pool
	resolver  *resolver
	// request says the group lives for one request (a host from
	// variables): its names are looked up through the resolver's cache.
	request bool
	// refs counts the configurations holding the group and gen orders
	// groups by creation; the Manager's mutex guards both.
	refs int
	gen  int64
	// tries counts selections, for metrics.
	selected atomic.Int64
	// ring is the "hash ... consistent" ring, from the configuration.
	ring []ringPoint
}

// serverEntry is one "server" line, which may resolve to several peers.
type serverEntry struct {
	conf  *confparse.UpstreamServer
	host  string // host part, for resolving
	port  string
	unix  string
	mu    sync.Mutex
	peers []*peer
	// resolved says when the name was last looked up; err is the last
	// lookup error.
	resolved time.Time
	err      error
	isIP     bool
}

// peer is one address of a server.
type peer struct {
	addr        string // ip:port or unix path
	server      string // the server's address as written
	network     string
	weight      int
	current     int
	effective   int
	maxFails    int
	failTimeout time.Duration
	fails       int
	checked     time.Time // start of the fail window
	accessed    time.Time // last failure
	backup      bool
	down        bool
	maxConns    int
	conns       atomic.Int64
	// selected and failures count for metrics.
	selected atomic.Int64
	failures atomic.Int64
}

func newGroup(name string, conf *confparse.Upstream, res *resolver) *group {
	g := &group{name: name, label: name, conf: conf, resolver: res, keepalive: conf.Keepalive, pool: unpooled}
	if conf.Keepalive > 0 {
		g.pool = newPool()
	}
	for _, s := range conf.Servers {
		e := &serverEntry{conf: s}
		if strings.HasPrefix(s.Addr, "unix:") {
			e.unix = s.Addr[5:]
			e.peers = []*peer{e.newPeer("unix", e.unix)}
			e.isIP = true
		} else {
			h, p, _ := net.SplitHostPort(s.Addr)
			e.host, e.port = h, p
			if net.ParseIP(h) != nil {
				e.isIP = true
				e.peers = []*peer{e.newPeer("tcp", s.Addr)}
			}
		}
		g.servers = append(g.servers, e)
	}
	if conf.Balance == "hash" && conf.Consistent {
		g.ring = buildRing(conf.Servers)
	}
	g.key = groupKey(name, conf)
	return g
}

// metricsTimer is the group's response-time series, resolved on the
// first response so that an upstream never used has none.
func (g *group) metricsTimer() *metrics.UpstreamTimer {
	if t := g.timer.Load(); t != nil {
		return t
	}
	t := metrics.NewUpstreamTimer(g.label)
	g.timer.Store(t)
	return t
}

// unpooled is the pool of groups without "keepalive": nothing is ever
// put in it.
var unpooled = newPool()

// newRequestGroup is nginx's implicit upstream for a proxy_pass host
// that comes from variables: one server, no keep-alive, failures counted
// for this request only. It is held by no configuration.
func newRequestGroup(host string, defaultPort int, res *resolver, label string) *group {
	g := newGroup(host, implicitUpstream(host, defaultPort), res)
	g.label, g.request = label, true
	return g
}

// close ends a group no configuration holds any more: its idle
// keep-alive connections are closed, and so are those that requests
// still running give back.
func (g *group) close() {
	if g.pool != unpooled {
		g.pool.close()
	}
}

// groupKey is a group's whole definition: two configurations share a
// group, with its peers' state and connections, only when every setting
// that a request reads is the same.
func groupKey(name string, c *confparse.Upstream) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteString("|" + c.Balance + "|" + strconv.FormatBool(c.Consistent) + "|" + strconv.FormatBool(c.RandomTwo))
	if c.HashKey != nil {
		b.WriteString("|hash=" + c.HashKey.Raw)
	}
	b.WriteString("|ka=" + strconv.Itoa(c.Keepalive))
	if c.KeepaliveRequests != nil {
		b.WriteString(",req=" + strconv.Itoa(*c.KeepaliveRequests))
	}
	if c.KeepaliveTimeout != nil {
		b.WriteString(",timeout=" + c.KeepaliveTimeout.String())
	}
	if c.KeepaliveTime != nil {
		b.WriteString(",time=" + c.KeepaliveTime.String())
	}
	for _, s := range c.Servers {
		b.WriteString("|" + s.Name + "=" + s.Addr + "," + strconv.Itoa(s.Weight) + "," + strconv.Itoa(s.MaxFails) + "," +
			s.FailTimeout.String() + "," + strconv.Itoa(s.MaxConns) + "," + strconv.FormatBool(s.Backup) + "," +
			strconv.FormatBool(s.Down))
	}
	return b.String()
}

func (e *serverEntry) newPeer(network, addr string) *peer {
	s := e.conf
	return &peer{addr: addr, server: s.Name, network: network, weight: s.Weight, effective: s.Weight,
		maxFails: s.MaxFails, failTimeout: s.FailTimeout, backup: s.Backup, down: s.Down, maxConns: s.MaxConns}
}

// refresh resolves host names whose answer is older than the resolver's
// validity, keeping the previous peers (and their state) when the answer
// is unchanged.
func (g *group) refresh(ctx context.Context, force bool) {
	lookup := g.resolver.lookup
	if g.request {
		// nginx looks a variable's host up through its resolver cache,
		// once per request.
		lookup, force = g.resolver.cached, false
	}
	for _, e := range g.servers {
		if e.isIP {
			continue
		}
		e.mu.Lock()
		stale := force || time.Since(e.resolved) > g.resolver.valid || (e.err != nil && time.Since(e.resolved) > time.Second)
		e.mu.Unlock()
		if !stale {
			continue
		}
		ips, err := lookup(ctx, e.host)
		e.mu.Lock()
		e.resolved = time.Now()
		e.err = err
		if err == nil {
			old := map[string]*peer{}
			for _, p := range e.peers {
				old[p.addr] = p
			}
			var peers []*peer
			for _, ip := range ips {
				addr := net.JoinHostPort(ip, e.port)
				if p, ok := old[addr]; ok {
					peers = append(peers, p)
				} else {
					peers = append(peers, e.newPeer("tcp", addr))
				}
			}
			e.peers = peers
		}
		e.mu.Unlock()
	}
}

// lookupErr returns a resolution error if no server has any peer.
func (g *group) lookupErr() error {
	for _, e := range g.servers {
		e.mu.Lock()
		n, err := len(e.peers), e.err
		e.mu.Unlock()
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// allPeers lists the current peers, primary or backup.
func (g *group) allPeers(backup bool) []*peer {
	var out []*peer
	for _, e := range g.servers {
		e.mu.Lock()
		for _, p := range e.peers {
			if p.backup == backup {
				out = append(out, p)
			}
		}
		e.mu.Unlock()
	}
	return out
}

// usable says whether a peer may take a request now.
func (p *peer) usable(now time.Time) bool {
	if p.down {
		return false
	}
	if p.maxFails > 0 && p.fails >= p.maxFails && now.Sub(p.checked) <= p.failTimeout {
		return false
	}
	if p.maxConns > 0 && p.conns.Load() >= int64(p.maxConns) {
		return false
	}
	return true
}

// single returns the group's peer when it has exactly one and no backup:
// nginx then ignores max_fails and always tries it.
func (g *group) single() *peer {
	var only *peer
	for _, e := range g.servers {
		e.mu.Lock()
		for _, p := range e.peers {
			if only != nil || p.backup {
				e.mu.Unlock()
				return nil
			}
			only = p
		}
		e.mu.Unlock()
	}
	return only
}

// tries is how many peers a request may try: all of them, backups
// included (nginx's peer.tries).
func (g *group) tries() int {
	n := 0
	for _, e := range g.servers {
		e.mu.Lock()
		n += len(e.peers)
		e.mu.Unlock()
	}
	return n
}

// pick selects a peer with nginx's smooth weighted round robin, skipping
// those tried already; backups are used when no primary can be. now
// is the time of the choice.
func (g *group) pick(tried map[*peer]bool, hs *hashState, now time.Time) *peer {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.single(); p != nil {
		if tried[p] || p.down || (p.maxConns > 0 && p.conns.Load() >= int64(p.maxConns)) {
			return nil
		}
		g.selected.Add(1)
		p.selected.Add(1)
		return p
	}
	for _, backup := range []bool{false, true} {
		peers := g.allPeers(backup)
		if len(peers) == 0 {
			continue
		}
		var p *peer
		switch g.conf.Balance {
		case "least_conn":
			p = leastConn(peers, tried, now)
		case "hash":
			switch {
			case hs.key == "" || hs.tries > maxHashTries:
				// nginx balances an empty key round-robin.
				p = smoothRR(peers, tried, now)
			case g.conf.Consistent:
				p = ringPick(g.ring, peers, tried, now, hs)
			default:
				p = hashPick(peers, tried, now, hs)
			}
		case "ip_hash":
			p = ipHashPick(peers, tried, now, hs)
		case "random":
			p = randomPick(peers, tried, now, g.conf.RandomTwo)
		default:
			p = smoothRR(peers, tried, now)
		}
		if p != nil {
			g.selected.Add(1)
			p.selected.Add(1)
			return p
		}
	}
	return nil
}

func smoothRR(peers []*peer, tried map[*peer]bool, now time.Time) *peer {
	var best *peer
	total := 0
	for _, p := range peers {
		if tried[p] || !p.usable(now) {
			continue
		}
		p.current += p.effective
		total += p.effective
		if p.effective < p.weight {
			p.effective++
		}
		if best == nil || p.current > best.current {
			best = p
		}
	}
	if best != nil {
		best.current -= total
		// A peer chosen after its fail window starts a new one.
		if now.Sub(best.checked) > best.failTimeout {
			best.checked = now
		}
	}
	return best
}

func leastConn(peers []*peer, tried map[*peer]bool, now time.Time) *peer {
	// The counts are read once: other requests change them meanwhile.
	conns := make([]int64, len(peers))
	best, many := -1, false
	for i, p := range peers {
		if tried[p] || !p.usable(now) {
			continue
		}
		conns[i] = p.conns.Load()
		if best < 0 {
			best = i
			continue
		}
		// Compare conns/weight without division.
		l, r := conns[i]*int64(peers[best].weight), conns[best]*int64(p.weight)
		switch {
		case l < r:
			best, many = i, false
		case l == r:
			many = true
		}
	}
	if best < 0 {
		return nil
	}
	if many {
		// Several peers have as few: nginx picks among them by smooth
		// weighted round-robin, from the first of them on.
		first := best
		total := 0
		for i := first; i < len(peers); i++ {
			p := peers[i]
			if tried[p] || !p.usable(now) || conns[i]*int64(peers[first].weight) != conns[first]*int64(p.weight) {
				continue
			}
			p.current += p.effective
			total += p.effective
			if p.effective < p.weight {
				p.effective++
			}
			if p.current > peers[best].current {
				best = i
			}
		}
		peers[best].current -= total
	}
	p := peers[best]
	// A peer chosen after its fail window starts a new one.
	if now.Sub(p.checked) > p.failTimeout {
		p.checked = now
	}
	return p
}

// failed records a failure (passive health check) as nginx does; it
// reports whether the peer is now disabled for fail_timeout. A group's
// only peer keeps no count.
func (g *group) failed(p *peer) bool {
	p.failures.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.single() != nil {
		return false
	}
	now := time.Now()
	p.fails++
	p.accessed, p.checked = now, now
	disabled := false
	if p.maxFails > 0 {
		p.effective -= p.weight / p.maxFails
		disabled = p.fails >= p.maxFails
	}
	if p.effective < 0 {
		p.effective = 0
	}
	return disabled
}

// succeeded clears a peer's failures once it has been chosen again after
// its last failure's window.
func (g *group) succeeded(p *peer) {
	g.mu.Lock()
	if p.accessed.Before(p.checked) {
		p.fails = 0
	}
	g.mu.Unlock()
}
