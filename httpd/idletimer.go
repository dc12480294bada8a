package httpd

// idletimer.go closes parked connections when their wait runs out
// (keepalive_timeout, or client_header_timeout before the first
// request). A time.Timer per connection cost 112 bytes of heap and a
// slot in the runtime's timer heap for each of 10,000 idle clients; one
// heap of parked connections ordered by deadline, with one runtime
// timer set to the earliest, costs a slice slot and an index, as
// nginx's timer tree costs a node in the connection.

import (
	"sync"
	"time"
)

type idleTimers struct {
	mu    sync.Mutex
	heap  []*conn // by idleUntil; conn.timerAt is the place + 1, 0 when out
	timer *time.Timer
	at    int64 // when timer fires (Unix ns), 0 when it is not armed
}

var parkedTimers idleTimers

// add puts c in the heap to be closed at until (Unix ns).
func (t *idleTimers) add(c *conn, until int64) {
	t.mu.Lock()
	c.idleUntil = until
	t.heap = append(t.heap, c)
	c.timerAt = int32(len(t.heap))
	t.up(len(t.heap) - 1)
	if t.at == 0 || until < t.at {
		t.arm(until)
	}
	t.mu.Unlock()
}

// remove takes c out of the heap if it is there. The runtime timer is
// left alone: if it fires early it finds nothing due and is set again.
func (t *idleTimers) remove(c *conn) {
	t.mu.Lock()
	if i := int(c.timerAt) - 1; i >= 0 {
		t.removeAt(i)
	}
	t.mu.Unlock()
}

// fire closes the connections whose wait is over.
func (t *idleTimers) fire() {
	now := time.Now().UnixNano()
	var due []*conn
	t.mu.Lock()
	for len(t.heap) > 0 && t.heap[0].idleUntil <= now {
		due = append(due, t.heap[0])
		t.removeAt(0)
	}
	t.at = 0
	if len(t.heap) > 0 {
		t.arm(t.heap[0].idleUntil)
	}
	if len(t.heap) == 0 && cap(t.heap) > 1024 {
		t.heap = nil // after a crowd of idle clients has gone
	}
	t.mu.Unlock()
	for _, c := range due {
		c.idleExpired()
	}
}

func (t *idleTimers) arm(at int64) {
	t.at = at
	d := time.Duration(at - time.Now().UnixNano())
	if t.timer == nil {
		t.timer = time.AfterFunc(d, t.fire)
		return
	}
	t.timer.Reset(d)
}

func (t *idleTimers) removeAt(i int) {
	h := t.heap
	last := len(h) - 1
	h[i].timerAt = 0
	if i != last {
		h[i] = h[last]
		h[i].timerAt = int32(i + 1)
	}
	h[last] = nil
	t.heap = h[:last]
	if i != last {
		t.down(i)
		t.up(i)
	}
}

func (t *idleTimers) up(i int) {
	h := t.heap
	for i > 0 {
		p := (i - 1) / 2
		if h[p].idleUntil <= h[i].idleUntil {
			return
		}
		t.swap(i, p)
		i = p
	}
}

func (t *idleTimers) down(i int) {
	h := t.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].idleUntil < h[l].idleUntil {
			m = r
		}
		if h[i].idleUntil <= h[m].idleUntil {
			return
		}
		t.swap(i, m)
		i = m
	}
}

func (t *idleTimers) swap(i, j int) {
	h := t.heap
	h[i], h[j] = h[j], h[i]
	h[i].timerAt = int32(i + 1)
	h[j].timerAt = int32(j + 1)
}
