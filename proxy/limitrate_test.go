package proxy

import (
	"testing"
	"time"
)

// TestPace checks proxy_limit_rate's allowance: rate bytes at once for
// the second the response began in, the rest waiting for later seconds.
func TestPace(t *testing.T) {
	b := &respBody{rate: 100, startSec: time.Now().Unix()}
	p := make([]byte, 1000)
	start := time.Now()
	if n := len(b.pace(p)); n != 100 {
		t.Fatalf("first read allowed %d bytes, want 100", n)
	}
	if time.Since(start) > 100*time.Millisecond {
		t.Errorf("first read waited %v", time.Since(start))
	}
	b.n = 100
	q := b.pace(p)
	if time.Now().Unix() <= b.startSec {
		t.Errorf("second read did not wait for the next second")
	}
	if len(q) == 0 || len(q) > 100 {
		t.Errorf("second read allowed %d bytes", len(q))
	}
}
