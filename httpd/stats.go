package httpd

// stats.go counts connections and requests the way nginx's stub_status
// reports them: accepted and handled connections, requests, and how many
// connections are reading a request head, writing a response, or waiting
// (idle keep-alive).

import "sync/atomic"

// Stats are a server's counters; all methods are safe for concurrent use.
type Stats struct {
	active, accepts, handled, requests atomic.Int64
	reading, writing                   atomic.Int64
}

// StatsSnapshot is one reading of the counters.
type StatsSnapshot struct {
	Active, Accepts, Handled, Requests int64
	Reading, Writing, Waiting          int64
}

// Snapshot reads the counters; Waiting is what is neither reading nor
// writing, as nginx computes it.
func (s *Stats) Snapshot() StatsSnapshot {
	st := StatsSnapshot{
		Active: s.active.Load(), Accepts: s.accepts.Load(), Handled: s.handled.Load(),
		Requests: s.requests.Load(), Reading: s.reading.Load(), Writing: s.writing.Load(),
	}
	st.Waiting = max(st.Active-st.Reading-st.Writing, 0)
	return st
}

// Accepted counts a new connection.
func (s *Stats) Accepted() {
	s.accepts.Add(1)
	s.handled.Add(1)
	s.active.Add(1)
}

// Refused counts a connection accepted and closed at once for want of a
// slot (worker_connections): accepted, not handled, as in nginx.
func (s *Stats) Refused() { s.accepts.Add(1) }

// Closed counts a connection gone.
func (s *Stats) Closed() { s.active.Add(-1) }

// RequestStarted counts a request whose head is being read.
func (s *Stats) RequestStarted() {
	s.requests.Add(1)
	s.reading.Add(1)
}

// HeadRead moves a request from reading its head to being answered.
func (s *Stats) HeadRead() {
	s.reading.Add(-1)
	s.writing.Add(1)
}

// RequestDone counts a request finished.
func (s *Stats) RequestDone() { s.writing.Add(-1) }
