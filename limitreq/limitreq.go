// Package limitreq is ngx_http_limit_req_module and
// ngx_http_limit_conn_module at run time: shared zones of per-key state
// (a leaky bucket for requests, a counter for connections), kept across
// reloads while a zone's definition is unchanged.
package limitreq

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"goproxy/confparse"
)

// Zones holds every zone of the process.
type Zones struct {
	mu    sync.Mutex
	zones map[string]*zone
}

// NewZones makes an empty set.
func NewZones() *Zones { return &Zones{zones: map[string]*zone{}} }

type zone struct {
	conf  *confparse.LimitZone
	mu    sync.Mutex
	state map[string]*bucket
	conns map[string]int
	max   int // entries the zone's size would hold in nginx
	last  time.Time
}

type bucket struct {
	excess int64 // milli-requests
	last   time.Time
}

func zoneKey(z *confparse.LimitZone) string {
	return fmt.Sprintf("%s|%v|%s|%d|%d", z.Name, z.Conn, z.Key.Raw, z.Size, z.Rate)
}

// Configure returns the zones of a configuration, reusing live ones.
func (zs *Zones) Configure(cfg *confparse.Config) map[string]*Zone {
	out := map[string]*Zone{}
	if cfg.HTTP == nil {
		return out
	}
	zs.mu.Lock()
	defer zs.mu.Unlock()
	for _, zc := range cfg.HTTP.LimitZones {
		k := zoneKey(zc)
		z := zs.zones[k]
		if z == nil {
			// nginx fits about 128 bytes of state per key.
			z = &zone{conf: zc, state: map[string]*bucket{}, conns: map[string]int{}, max: int(zc.Size / 128)}
			zs.zones[k] = z
		}
		z.conf = zc
		name := zc.Name
		if zc.Conn {
			name = "conn:" + name
		}
		out[name] = &Zone{z: z}
	}
	return out
}

// Zone is a configured zone.
type Zone struct{ z *zone }

// Conf is the zone's definition.
func (z *Zone) Conf() *confparse.LimitZone { return z.z.conf }

// Outcome is one limit_req check.
type Outcome struct {
	Reject bool
	Delay  time.Duration
	Excess int64 // milli-requests, for the log
}

// Take accounts one request for key under a limit_req with burst and
// delay settings (nginx's leaky bucket in milli-requests).
func (z *Zone) Take(key string, lr *confparse.LimitReq, now time.Time) Outcome {
	zz := z.z
	zz.mu.Lock()
	defer zz.mu.Unlock()
	rate := zz.conf.Rate
	b := zz.state[key]
	excess := int64(0)
	if b != nil {
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
		if len(zz.state) >= zz.max {
			zz.evict(now)
		}
		b = &bucket{}
		zz.state[key] = b
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

// evict drops idle entries, as nginx drops the oldest ones when its zone
// is full.
func (zz *zone) evict(now time.Time) {
	for k, b := range zz.state {
		idle := now.Sub(b.last).Milliseconds()
		if b.excess-zz.conf.Rate*idle/1000 <= 0 {
			delete(zz.state, k)
		}
	}
	if len(zz.state) >= zz.max {
		for k := range zz.state {
			delete(zz.state, k)
			break
		}
	}
}

// Acquire counts one connection (request in progress) for key; it
// reports false when max are already in use.
func (z *Zone) Acquire(key string, max int) bool {
	zz := z.z
	zz.mu.Lock()
	defer zz.mu.Unlock()
	if zz.conns[key] >= max {
		return false
	}
	zz.conns[key]++
	return true
}

// Release ends what Acquire counted.
func (z *Zone) Release(key string) {
	zz := z.z
	zz.mu.Lock()
	if zz.conns[key]--; zz.conns[key] <= 0 {
		delete(zz.conns, key)
	}
	zz.mu.Unlock()
}

// FormatExcess renders milli-requests as nginx logs them ("1.000").
func FormatExcess(e int64) string {
	return strconv.FormatInt(e/1000, 10) + "." + fmt.Sprintf("%03d", e%1000)
}
