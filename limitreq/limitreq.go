// Package limitreq is ngx_http_limit_req_module and
// ngx_http_limit_conn_module at run time: shared zones of per-key state
// (a leaky bucket for requests, a counter for connections). As nginx
// keeps a shared memory zone whose name and size are unchanged, a
// zone's contents survive a reload while its kind, name and size stay;
// its rate is the configuration's own.
package limitreq

import (
	"container/list"
	"fmt"
	"strconv"
	"sync"
	"time"

	"goproxy/confparse"
	"goproxy/logging"
)

// Zones holds the zones of the configurations not yet released.
type Zones struct {
	mu    sync.Mutex
	zones map[string]*state // by kind, name and size
}

// NewZones makes an empty set.
func NewZones() *Zones { return &Zones{zones: map[string]*state{}} }

// state is one zone's memory: what nginx keeps in shared memory.
type state struct {
	ident string
	key   string // the key it was made for
	conn  bool
	refs  int // configurations holding it; Zones.mu guards it
	mu    sync.Mutex
	slab  *slab
	// buckets are the limit_req entries, the most recently used first.
	buckets map[string]*list.Element // of *bucket
	order   list.List
	conns   map[string]int
}

type bucket struct {
	key    string
	excess int64 // milli-requests
	last   time.Time
}

// Node sizes are nginx's on 64-bit systems: the red-black tree node up
// to its color field (32 bytes), the module's node up to its key (48
// for limit_req, 4 for limit_conn), then the key.
func reqNode(key string) int  { return 32 + 48 + len(key) }
func connNode(key string) int { return 32 + 4 + len(key) }

// Set is the zones of one configuration.
type Set struct {
	// Zones are by name, limit_conn ones prefixed "conn:".
	Zones    map[string]*Zone
	zs       *Zones
	held     []*state
	released bool
}

// Configure returns the zones of a configuration, sharing the memory of
// live ones with the same kind, name and size. A shared zone whose key
// changed fails the load, as in nginx.
func (zs *Zones) Configure(cfg *confparse.Config, log *logging.ErrorLog) (*Set, error) {
	set := &Set{Zones: map[string]*Zone{}, zs: zs}
	if cfg.HTTP == nil {
		return set, nil
	}
	zs.mu.Lock()
	defer zs.mu.Unlock()
	for _, zc := range cfg.HTTP.LimitZones {
		ident := fmt.Sprintf("%v|%s|%d", zc.Conn, zc.Name, zc.Size)
		st := zs.zones[ident]
		if st != nil && st.key != zc.Key.Raw {
			what := "limit_req"
			if zc.Conn {
				what = "limit_conn_zone"
			}
			set.releaseLocked()
			return nil, fmt.Errorf("%s %q uses the %q key while previously it used the %q key", what, zc.Name, zc.Key.Raw, st.key)
		}
		if st == nil {
			st = newState(ident, zc)
			zs.zones[ident] = st
		}
		st.refs++
		set.held = append(set.held, st)
		name := zc.Name
		if zc.Conn {
			name = "conn:" + name
		}
		set.Zones[name] = &Zone{st: st, conf: zc, log: log, logCtx: logContext(zc)}
	}
	return set, nil
}

func newState(ident string, zc *confparse.LimitZone) *state {
	st := &state{ident: ident, key: zc.Key.Raw, conn: zc.Conn, slab: newSlab(zc.Size),
		buckets: map[string]*list.Element{}, conns: map[string]int{}}
	// What the modules allocate in the zone for themselves: the tree
	// (and the LRU queue), and the name used in its log lines.
	if zc.Conn {
		st.slab.alloc(24)
		st.slab.alloc(40)
	} else {
		st.slab.alloc(80)
	}
	st.slab.alloc(len(logContext(zc)) + 1)
	return st
}

// logContext is what nginx appends to a zone's allocation failures.
func logContext(zc *confparse.LimitZone) string {
	if zc.Conn {
		return ` in limit_conn_zone "` + zc.Name + `"`
	}
	return ` in limit_req zone "` + zc.Name + `"`
}

// Release gives back the configuration's zones; memory no configuration
// holds any more is freed.
func (s *Set) Release() {
	s.zs.mu.Lock()
	defer s.zs.mu.Unlock()
	s.releaseLocked()
}

func (s *Set) releaseLocked() {
	if s.released {
		return
	}
	s.released = true
	for _, st := range s.held {
		if st.refs--; st.refs == 0 {
			delete(s.zs.zones, st.ident)
		}
	}
}

// Zone is a configured zone: shared memory and this configuration's
// definition.
type Zone struct {
	st     *state
	conf   *confparse.LimitZone
	log    *logging.ErrorLog // the main one, as nginx logs zone alerts
	logCtx string
}

// Conf is the zone's definition.
func (z *Zone) Conf() *confparse.LimitZone { return z.conf }

// Outcome is one limit_req check.
type Outcome struct {
	Reject bool
	// NoNode says the zone had no room for a new key even after
	// dropping its oldest: rejected without "limiting requests".
	NoNode bool
	Delay  time.Duration
	Excess int64 // milli-requests, for the log
}

// Take accounts one request for key under a limit_req with burst and
// delay settings (nginx's leaky bucket in milli-requests).
func (z *Zone) Take(key string, lr *confparse.LimitReq, now time.Time) Outcome {
	st := z.st
	st.mu.Lock()
	defer st.mu.Unlock()
	rate := z.conf.Rate
	var b *bucket
	excess := int64(0)
	if el, ok := st.buckets[key]; ok {
		// nginx moves an entry to the front whenever it is looked up.
		st.order.MoveToFront(el)
		b = el.Value.(*bucket)
		ms := now.Sub(b.last).Milliseconds()
		if ms < 0 {
			ms = 0
		}
		excess = b.excess - rate*ms/1000 + 1000
		if excess < 0 {
			excess = 0
		}
	}
	if excess > int64(lr.Burst)*1000 {
		return Outcome{Reject: true, Excess: excess}
	}
	if b == nil {
		if b = z.insert(key, now); b == nil {
			return Outcome{Reject: true, NoNode: true}
		}
	}
	b.excess, b.last = excess, now
	o := Outcome{Excess: excess}
	delayFrom := int64(0)
	switch {
	case lr.NoDelay:
		delayFrom = int64(lr.Burst) * 1000
	case lr.Delay > 0:
		delayFrom = int64(lr.Delay) * 1000
	}
	if excess > delayFrom {
		o.Delay = time.Duration((excess-delayFrom)*1000/rate) * time.Millisecond
	}
	return o
}

// insert makes room for a new key as nginx does: first up to two
// entries idle for a minute with nothing left in their bucket, from the
// least recently used; if that is not enough, the least recently used
// one whatever its state, and up to two more idle ones. It logs nginx's
// alert and returns nil when even that leaves no room.
func (z *Zone) insert(key string, now time.Time) *bucket {
	st := z.st
	size := reqNode(key)
	z.expire(now, 1)
	if !st.slab.alloc(size) {
		z.expire(now, 0)
		if !st.slab.alloc(size) {
			if z.log != nil {
				z.log.Log(confparse.LevelAlert, "could not allocate node"+z.logCtx)
			}
			return nil
		}
	}
	b := &bucket{key: key}
	st.buckets[key] = st.order.PushFront(b)
	return b
}

// expire frees entries from the least recently used: with n = 0 the
// first unconditionally, then (or with n = 1 from the start) up to two
// that have been idle for a minute and whose bucket has drained.
func (z *Zone) expire(now time.Time, n int) {
	st := z.st
	for ; n < 3; n++ {
		el := st.order.Back()
		if el == nil {
			return
		}
		b := el.Value.(*bucket)
		if n != 0 {
			ms := now.Sub(b.last).Milliseconds()
			if ms < 0 {
				ms = -ms
			}
			if ms < 60000 || b.excess-z.conf.Rate*ms/1000 > 0 {
				return
			}
		}
		st.order.Remove(el)
		delete(st.buckets, b.key)
		st.slab.free(reqNode(b.key))
	}
}

// Admission is the result of a limit_conn check.
type Admission int

const (
	Admitted   Admission = iota
	Limited              // max connections for the key already in use
	NoMemory             // no room in the zone for a new key
	KeyTooLong           // nginx skips keys over 255 bytes
)

// maxConnKey is the longest limit_conn key nginx accounts.
const maxConnKey = 255

// Acquire counts one connection (request in progress) for key; Release
// ends what an admitted Acquire counted.
func (z *Zone) Acquire(key string, max int) Admission {
	if len(key) > maxConnKey {
		return KeyTooLong
	}
	st := z.st
	st.mu.Lock()
	defer st.mu.Unlock()
	n, ok := st.conns[key]
	if n >= max {
		return Limited
	}
	if !ok && !st.slab.alloc(connNode(key)) {
		if z.log != nil {
			z.log.Log(confparse.LevelCrit, "ngx_slab_alloc() failed: no memory"+z.logCtx)
		}
		return NoMemory
	}
	st.conns[key] = n + 1
	return Admitted
}

// Release ends what Acquire counted.
func (z *Zone) Release(key string) {
	st := z.st
	st.mu.Lock()
	if st.conns[key]--; st.conns[key] <= 0 {
		delete(st.conns, key)
		st.slab.free(connNode(key))
	}
	st.mu.Unlock()
}

// FormatExcess renders milli-requests as nginx logs them ("1.000").
func FormatExcess(e int64) string {
	return strconv.FormatInt(e/1000, 10) + "." + fmt.Sprintf("%03d", e%1000)
}
