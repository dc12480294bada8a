package router

// measure.go feeds the request metrics at the end of each request. The
// series of each (server, location) are resolved on first use and kept
// with the router.

import (
	"sync"
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
	"goproxy/metrics"
)

type statsKey struct {
	s *httpcore.Server
	l *confparse.Location
}

type statsTable struct {
	mu sync.RWMutex
	m  map[statsKey]*metrics.LocStats
}

func (t *statsTable) get(rq *httpcore.Request) *metrics.LocStats {
	k := statsKey{rq.Server, rq.Location}
	t.mu.RLock()
	s := t.m[k]
	t.mu.RUnlock()
	if s != nil {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if s = t.m[k]; s == nil {
		name := ""
		if rq.Server != nil {
			name = rq.Server.Name
		}
		if t.m == nil {
			t.m = map[statsKey]*metrics.LocStats{}
		}
		s = metrics.NewLocStats(name, rq.LocName)
		t.m[k] = s
	}
	return s
}

func (rt *Router) measure(rq *httpcore.Request) {
	status := rq.Status()
	if rq.Aborted && status == 0 {
		status = 499
	}
	var in, out int64
	if cw, ok := rq.W.(httpd.ConnWriter); ok {
		out = cw.HeaderBytes()
		in = cw.BodyBytesRead()
	}
	out += rq.BodyBytesSent()
	rt.stats.get(rq).Observe(rq.R.Method, status, time.Since(rq.Start), in, out)
	if u := rq.Upstream; u != nil && u.Timer != nil && u.Elapsed > 0 {
		u.Timer.Observe(u.Elapsed)
	}
}
