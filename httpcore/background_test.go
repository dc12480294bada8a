package httpcore

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// finishWriter is an HTTP/1 response writer that can end the response
// before its handler returns; it records the order of events.
type finishWriter struct {
	*httptest.ResponseRecorder
	mu     sync.Mutex
	events []string
}

func (w *finishWriter) Finish() { w.event("finish") }

func (w *finishWriter) event(e string) {
	w.mu.Lock()
	w.events = append(w.events, e)
	w.mu.Unlock()
}

// TestBackgroundOrder: work beside the request starts at once and is
// waited for; work after the response runs once the response is
// finished, on a copy with its own context and writer; EndBackground
// returns only when both are done.
func TestBackgroundOrder(t *testing.T) {
	w := &finishWriter{ResponseRecorder: httptest.NewRecorder()}
	rq := &Request{W: w, R: httptest.NewRequest("GET", "/a?x=1", nil), URI: "/a", Args: "x=1"}
	started := make(chan struct{})
	release := make(chan struct{})
	rq.Background(Beside, func(snap *Request) {
		close(started)
		<-release
		if snap == rq || snap.URI != "/a" {
			t.Errorf("beside: not a snapshot of the request: %p %q", snap, snap.URI)
		}
		w.event("beside")
	})
	<-started // at once, before the handler returns
	sub := &Request{Parent: rq, W: w, R: rq.R, URI: "/sub"}
	sub.Background(AfterResponse, func(c *Request) {
		if c.URI != "/sub" || c.W == w || c.R.Body != http.NoBody {
			t.Errorf("after: not a copy of the subrequest: %q %T %v", c.URI, c.W, c.R.Body)
		}
		if c.R.Context().Done() != nil {
			t.Error("after: the copy's context is cancelled with the client's")
		}
		w.event("after")
	})
	if len(rq.afterResponse) != 1 || len(sub.afterResponse) != 0 {
		t.Fatal("after-response work is not the main request's")
	}
	close(release)
	rq.EndBackground()
	got := w.events
	// Beside runs on its own: before or after the rest, but before
	// EndBackground returns.
	var order []string
	seen := map[string]bool{}
	for _, e := range got {
		seen[e] = true
		if e != "beside" {
			order = append(order, e)
		}
	}
	if !seen["beside"] || len(order) != 2 || order[0] != "finish" || order[1] != "after" {
		t.Errorf("events %v, want finish before after, and beside", got)
	}
	rq.EndBackground() // nothing left: no second finish
	if len(w.events) != 3 {
		t.Errorf("a second EndBackground did something: %v", w.events)
	}
}

// TestBackgroundNone: a request without background work is not finished
// early (its writer still decides keep-alive and trailers).
func TestBackgroundNone(t *testing.T) {
	w := &finishWriter{ResponseRecorder: httptest.NewRecorder()}
	rq := &Request{W: w, R: httptest.NewRequest("GET", "/", nil)}
	rq.EndBackground()
	if len(w.events) != 0 {
		t.Errorf("events %v", w.events)
	}
}
