package httpd

// arrival.go keeps the order requests arrived in, for the cache lock
// (proxy_cache_lock): nginx's single worker takes requests as their
// events come, so of requests sent at once for a key, the first one sent
// fetches it and the others wait. Here each connection has a goroutine,
// and the scheduler may run a later one first (a new goroutine runs
// before the ones made just before it), so a request's place is taken
// where the order is still known: at accept for a connection's first
// request, when its first byte is seen for the next ones. A request
// about to take a cache lock first waits, briefly, for the requests that
// arrived just before it to settle (take their own lock, or show they
// need none).

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"
)

// arrivals is the ledger of requests not settled yet, in arrival order.
var arrivals struct {
	on      atomic.Bool
	mu      sync.Mutex
	pending list.List // of *Arrival
	// settled is closed, and replaced, each time one settles.
	settled chan struct{}
}

// OrderArrivals starts keeping the ledger: a configuration has a cache
// lock. Without one, requests pay nothing for it.
func OrderArrivals() { arrivals.on.Store(true) }

// Arrival is a request's place in the arrival order.
type Arrival struct {
	at   time.Time
	elem *list.Element // nil once settled
}

// arrive takes the next place (nil when no ledger is kept).
func arrive() *Arrival {
	if !arrivals.on.Load() {
		return nil
	}
	arrivals.mu.Lock()
	a := &Arrival{at: time.Now()}
	a.elem = arrivals.pending.PushBack(a)
	arrivals.mu.Unlock()
	return a
}

// Settle says the request needs its place no more.
func (a *Arrival) Settle() {
	if a == nil {
		return
	}
	arrivals.mu.Lock()
	if a.elem != nil {
		arrivals.pending.Remove(a.elem)
		a.elem = nil
		if arrivals.settled != nil {
			close(arrivals.settled)
			arrivals.settled = nil
		}
	}
	arrivals.mu.Unlock()
}

// AwaitEarlier waits until the requests that arrived less than window
// before this one have settled, for at most window after it arrived.
func (a *Arrival) AwaitEarlier(window time.Duration) {
	if a == nil {
		return
	}
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		arrivals.mu.Lock()
		var wait chan struct{}
		if a.elem != nil {
			if p := a.elem.Prev(); p != nil && a.at.Sub(p.Value.(*Arrival).at) < window {
				if arrivals.settled == nil {
					arrivals.settled = make(chan struct{})
				}
				wait = arrivals.settled
			}
		}
		arrivals.mu.Unlock()
		left := time.Until(a.at.Add(window))
		if wait == nil || left <= 0 {
			return
		}
		if t == nil {
			t = time.NewTimer(left)
		}
		select {
		case <-wait:
		case <-t.C:
			return
		}
	}
}
