package metrics

// locstats.go keeps the request metrics of one server and location with
// their series resolved, so that recording a request costs a few atomic
// adds rather than label hashing.

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var commonMethods = [...]string{"GET", "HEAD", "POST"}

// knownMethods are the methods nginx knows; any other is counted as
// "other", so that a client cannot add series by inventing methods.
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true,
	"MKCOL": true, "COPY": true, "MOVE": true, "OPTIONS": true, "PROPFIND": true, "PROPPATCH": true,
	"LOCK": true, "UNLOCK": true, "PATCH": true, "TRACE": true, "CONNECT": true}

// MethodLabel is a request method as the metrics name it.
func MethodLabel(m string) string {
	if knownMethods[m] {
		return m
	}
	return "other"
}

// LocStats are the series of one (server, location).
type LocStats struct {
	server, location string
	byMethod         [len(commonMethods)][len(classes)]prometheus.Counter
	duration         prometheus.Observer
	in, out          prometheus.Counter
}

// NewLocStats resolves the series of a server and location.
func NewLocStats(server, location string) *LocStats {
	s := &LocStats{server: server, location: location}
	for i, m := range commonMethods {
		for j, c := range classes {
			s.byMethod[i][j] = requests.WithLabelValues(server, location, m, c)
		}
	}
	s.duration = duration.WithLabelValues(server, location)
	s.in = bytesIn.WithLabelValues(server)
	s.out = bytesOut.WithLabelValues(server)
	return s
}

// Observe records one finished request.
func (s *LocStats) Observe(method string, status int, d time.Duration, in, out int64) {
	c := 4
	if status >= 100 && status <= 599 {
		c = status/100 - 1
	}
	m := -1
	for i, cm := range commonMethods {
		if cm == method {
			m = i
			break
		}
	}
	if m >= 0 {
		s.byMethod[m][c].Inc()
	} else {
		requests.WithLabelValues(s.server, s.location, MethodLabel(method), classes[c]).Inc()
	}
	s.duration.Observe(d.Seconds())
	s.in.Add(float64(in))
	s.out.Add(float64(out))
}
