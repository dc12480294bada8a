package httpd

import (
	"math/rand"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIdleTimersHeap: connections leave the heap in deadline order
// whatever was added and taken out before, and each knows its place.
func TestIdleTimersHeap(t *testing.T) {
	var tm idleTimers
	tm.timer = time.AfterFunc(time.Hour, func() {}) // never fires here
	defer tm.timer.Stop()
	rng := rand.New(rand.NewSource(1))
	base := time.Now().Add(time.Hour).UnixNano()
	var in []*conn
	for i := 0; i < 300; i++ {
		c := &conn{}
		tm.add(c, base+rng.Int63n(1e9))
		in = append(in, c)
	}
	for _, i := range rng.Perm(len(in))[:150] {
		tm.remove(in[i])
		if in[i].timerAt != 0 {
			t.Fatalf("removed connection still has place %d", in[i].timerAt)
		}
		tm.remove(in[i]) // twice is harmless
	}
	for i, c := range tm.heap {
		if int(c.timerAt) != i+1 {
			t.Fatalf("heap[%d] has place %d", i, c.timerAt)
		}
	}
	if len(tm.heap) != 150 {
		t.Fatalf("%d left, want 150", len(tm.heap))
	}
	last := int64(0)
	for len(tm.heap) > 0 {
		c := tm.heap[0]
		if c.idleUntil < last {
			t.Fatalf("deadline %d after %d", c.idleUntil, last)
		}
		last = c.idleUntil
		tm.removeAt(0)
	}
}

// TestParkedConnectionsCloseInTurn: parked connections with different
// keepalive_timeouts each close at their own, and one that is woken by
// a request starts its timeout again after the response.
func TestParkedConnectionsCloseInTurn(t *testing.T) {
	if thePoller() == nil {
		t.Skip("no idle poller on this system")
	}
	h := &faultHandler{}
	h.serve = func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.(ConnWriter).Conn().IdleTimeout = time.Duration(ms) * time.Millisecond
		w.Header()["Content-Length"] = []string{"3"}
		w.Write([]byte("ok\n"))
	}
	_, addr, _ := startFault(t, h)
	timeouts := []int{900, 300, 600, 500}
	type result struct {
		after  time.Duration // from the last response to the close
		closed bool
	}
	results := make([]result, len(timeouts))
	var wg sync.WaitGroup
	for i, ms := range timeouts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, br := dial(t, addr)
			path := "/" + strconv.Itoa(ms)
			get(t, c, br, path)
			last := time.Now()
			if i == 3 { // woken halfway, then parked again
				time.Sleep(time.Duration(ms/2) * time.Millisecond)
				get(t, c, br, path)
				last = time.Now()
			}
			closed := closedByServer(c, br, 3*time.Second)
			results[i] = result{time.Since(last), closed}
		}()
	}
	wg.Wait()
	for i, ms := range timeouts {
		want := time.Duration(ms) * time.Millisecond
		r := results[i]
		if !r.closed || r.after < want-50*time.Millisecond || r.after > want+400*time.Millisecond {
			t.Errorf("keepalive_timeout %v: closed=%v %v after the last response", want, r.closed, r.after)
		}
	}
}
