package metrics

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// series counts what a collector exports.
func series(c prometheus.Collector) int {
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	n := 0
	for range ch {
		n++
	}
	return n
}

// TestMethodsStayBounded records 10,000 invented methods (curl -X
// AAAA...) and nginx's known ones: the request counter gains at most a
// series per known method and "other", per status class.
func TestMethodsStayBounded(t *testing.T) {
	s := NewLocStats("bounded.example", "/")
	before := series(requests)
	for i := 0; i < 10000; i++ {
		s.Observe(fmt.Sprintf("M%d", i), 200, time.Millisecond, 0, 0)
		Request("bounded.example", "/", fmt.Sprintf("X%d", i), 404, time.Millisecond, 0, 0)
	}
	for m := range knownMethods {
		s.Observe(m, 500, time.Millisecond, 0, 0)
	}
	grown := series(requests) - before
	// GET, HEAD and POST are resolved ahead for all five classes.
	if max := len(knownMethods) + 1 + len(commonMethods)*len(classes); grown > max {
		t.Errorf("%d new series for 10,000 methods, want at most %d", grown, max)
	}
	if MethodLabel("AAAA") != "other" || MethodLabel("PROPFIND") != "PROPFIND" {
		t.Errorf("labels: AAAA %q, PROPFIND %q", MethodLabel("AAAA"), MethodLabel("PROPFIND"))
	}
}
