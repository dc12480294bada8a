package stream

import (
	"hash/crc32"
	"math/rand/v2"
	"sync"
	"time"

	"goproxy/confparse"
)

// upstream is a stream upstream block's live state: nginx's round
// robin peers, with failures counted against max_fails in fail_timeout.
type upstream struct {
	conf    *confparse.Upstream
	mu      sync.Mutex
	primary []*peer
	backup  []*peer
}

type peer struct {
	addr        string
	weight      int
	current     int
	maxFails    int
	failTimeout time.Duration
	maxConns    int
	down        bool
	fails       int
	checked     time.Time
	conns       int
}

func newUpstream(u *confparse.Upstream) *upstream {
	up := &upstream{conf: u}
	for _, s := range u.Servers {
		p := &peer{addr: s.Addr, weight: s.Weight, maxFails: s.MaxFails, failTimeout: s.FailTimeout,
			maxConns: s.MaxConns, down: s.Down}
		if s.Backup {
			up.backup = append(up.backup, p)
		} else {
			up.primary = append(up.primary, p)
		}
	}
	return up
}

// adhocUpstream is proxy_pass to addresses: every address once, no
// failure accounting across sessions.
func adhocUpstream(addrs []string) *upstream {
	up := &upstream{}
	for _, a := range addrs {
		up.primary = append(up.primary, &peer{addr: a, weight: 1})
	}
	return up
}

// pickState is one session's walk through the peers.
type pickState struct {
	up    *upstream
	s     *Session
	tried map[*peer]bool
	cur   *peer
}

func (u *upstream) newState(s *Session) *pickState {
	return &pickState{up: u, s: s, tried: map[*peer]bool{}}
}

func (p *peer) usable(now time.Time) bool {
	if p.down {
		return false
	}
	if p.maxFails > 0 && p.fails >= p.maxFails && now.Sub(p.checked) <= p.failTimeout {
		return false
	}
	if p.maxConns > 0 && p.conns >= p.maxConns {
		return false
	}
	return true
}

func (st *pickState) pick() *peer {
	u := st.up
	u.mu.Lock()
	defer u.mu.Unlock()
	now := time.Now()
	p := st.pickFrom(u.primary, now)
	if p == nil {
		p = st.pickFrom(u.backup, now)
	}
	if p == nil {
		return nil
	}
	st.tried[p] = true
	p.conns++
	st.cur = p
	if p.maxFails > 0 && now.Sub(p.checked) > p.failTimeout {
		p.checked = now
	}
	return p
}

func (st *pickState) pickFrom(peers []*peer, now time.Time) *peer {
	var live []*peer
	for _, p := range peers {
		if !st.tried[p] && p.usable(now) {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		return nil
	}
	method := ""
	if st.up.conf != nil {
		method = st.up.conf.Balance
	}
	switch method {
	case "least_conn":
		var best []*peer
		for _, p := range live {
			if len(best) == 0 || p.conns*best[0].weight < best[0].conns*p.weight {
				best = []*peer{p}
			} else if p.conns*best[0].weight == best[0].conns*p.weight {
				best = append(best, p)
			}
		}
		return smooth(best)
	case "hash":
		key := st.s.eval(st.up.conf.HashKey)
		h := crc32.ChecksumIEEE([]byte(key))
		total := 0
		for _, p := range peers {
			total += p.weight
		}
		// Rehash until an untried live peer comes up, as nginx does
		// (20 tries), then round robin.
		for i := 0; i < 20; i++ {
			w := int(h % uint32(total))
			for _, p := range peers {
				w -= p.weight
				if w < 0 {
					if !st.tried[p] && p.usable(now) {
						return p
					}
					break
				}
			}
			h = crc32.ChecksumIEEE([]byte(key + string(rune('0'+i))))
		}
		return smooth(live)
	case "random":
		total := 0
		for _, p := range live {
			total += p.weight
		}
		pick := func() *peer {
			w := rand.IntN(total)
			for _, p := range live {
				w -= p.weight
				if w < 0 {
					return p
				}
			}
			return live[0]
		}
		a := pick()
		if st.up.conf.RandomTwo && len(live) > 1 {
			// Two different peers, as nginx draws them.
			b := pick()
			for b == a {
				b = pick()
			}
			if b.conns*a.weight < a.conns*b.weight {
				return b
			}
		}
		return a
	}
	return smooth(live)
}

// smooth is nginx's smooth weighted round robin.
func smooth(peers []*peer) *peer {
	total := 0
	var best *peer
	for _, p := range peers {
		p.current += p.weight
		total += p.weight
		if best == nil || p.current > best.current {
			best = p
		}
	}
	best.current -= total
	return best
}

func (st *pickState) failed(p *peer) {
	u := st.up
	u.mu.Lock()
	defer u.mu.Unlock()
	p.conns--
	p.fails++
	p.checked = time.Now()
}

// connected clears the peer's failures, as a success does in nginx.
func (st *pickState) connected(p *peer) {
	st.up.mu.Lock()
	p.fails = 0
	st.up.mu.Unlock()
}

// done ends the session's use of the peer it connected to.
func (st *pickState) done() {
	u := st.up
	u.mu.Lock()
	if st.cur == nil {
		u.mu.Unlock()
		return
	}
	st.cur.conns--
	if st.cur.fails > 0 && time.Since(st.cur.checked) > st.cur.failTimeout {
		st.cur.fails = 0
	}
	u.mu.Unlock()
	st.cur = nil
}
