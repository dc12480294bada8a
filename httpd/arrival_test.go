package httpd

import (
	"testing"
	"time"
)

// TestArrivalOrder: a request waits for the one that arrived just before
// it to settle, not for one that arrived long before, and not past the
// window.
func TestArrivalOrder(t *testing.T) {
	OrderArrivals()
	first, second := arrive(), arrive()
	done := make(chan struct{})
	go func() {
		second.AwaitEarlier(time.Minute)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("went ahead of the request that arrived before it")
	case <-time.After(50 * time.Millisecond):
	}
	first.Settle()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting once the earlier request settled")
	}
	second.Settle()

	old := arrive()
	time.Sleep(20 * time.Millisecond)
	late := arrive()
	// The earlier one is older than the window: no wait at all.
	late.AwaitEarlier(10 * time.Millisecond)
	// Within the window, the wait ends with it.
	next := arrive()
	start := time.Now()
	next.AwaitEarlier(30 * time.Millisecond)
	if time.Since(start) > 5*time.Second {
		t.Fatal("waited past the window")
	}
	for _, a := range []*Arrival{old, late, next} {
		a.Settle()
		if a.elem != nil {
			t.Fatal("settled, yet still in the ledger")
		}
	}
}
