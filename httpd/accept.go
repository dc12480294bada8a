package httpd

// accept.go is what nginx's ngx_event_accept and ngx_get_connection do
// beyond accept(2): an accept that fails for want of descriptors is
// logged and retried after accept_mutex_delay (the listener never gives
// up), and the number of open client connections is capped by
// worker_connections, reusing the longest-idle keep-alive connections
// when the cap nears, as ngx_drain_connections does.

import (
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"syscall"
	"time"

	"goproxy/confparse"
)

// ConnLimits are the events block's settings for the whole server.
type ConnLimits struct {
	// WorkerConnections is worker_connections as configured: the log
	// lines name it.
	WorkerConnections int
	// Max is how many client connections may be open at once; 0 means
	// no cap.
	Max int
	// AcceptDelay (accept_mutex_delay) is the pause after an accept
	// failed for want of descriptors.
	AcceptDelay time.Duration
}

// SetConnLimits puts limits in force (at start and on reload).
func (s *Server) SetConnLimits(l ConnLimits) { s.limits.Store(&l) }

const defaultAcceptDelay = 500 * time.Millisecond // nginx's accept_mutex_delay

// logf writes one of the engine's own lines to the error log.
func (s *Server) logf(level confparse.Level, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if s.ErrorLog != nil {
		s.ErrorLog(level, msg)
		return
	}
	log.Printf("[%s] %s", level, msg)
}

// acceptFailed deals with an Accept error and reports whether to accept
// again: always, unless the listener was closed. EMFILE and ENFILE are
// [crit] as in nginx; the pause lets closing connections free
// descriptors instead of spinning on an accept that cannot succeed.
func (s *Server) acceptFailed(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		time.Sleep(5 * time.Millisecond)
		return true
	}
	call := "accept"
	var se *os.SyscallError
	if errors.As(err, &se) {
		call = se.Syscall
	}
	level := confparse.LevelAlert
	var no syscall.Errno
	if errors.As(err, &no) && (no == syscall.EMFILE || no == syscall.ENFILE) {
		level = confparse.LevelCrit
	}
	s.logf(level, "%s() failed (%s)", call, confparse.ErrnoText(err))
	delay := defaultAcceptDelay
	if l := s.limits.Load(); l != nil && l.AcceptDelay > 0 {
		delay = l.AcceptDelay
	}
	time.Sleep(delay)
	return true
}

// checkCap applies the connection cap to a new connection (s.mu held).
// When at most a sixteenth of the slots are free, the longest-idle
// connections are taken out of the server, to be closed by capReached:
// max(min(32, idle/8), 1) of them, as nginx reuses them. full says no
// slot is left even so.
func (s *Server) checkCap() (reused []*conn, full bool) {
	l := s.limits.Load()
	if l == nil || l.Max <= 0 {
		return nil, false
	}
	free := l.Max - len(s.conns)
	if free > l.Max/16 {
		return nil, false
	}
	idle := 0
	for c := range s.conns {
		if c.reusable() {
			idle++
		}
	}
	if idle > 0 {
		n := max(min(32, idle/8), 1)
		for c := range s.conns {
			if !c.reusable() {
				continue
			}
			t := c.idleSince.Load()
			if len(reused) == n && t >= reused[n-1].idleSince.Load() {
				continue
			}
			if len(reused) < n {
				reused = append(reused, c)
			} else {
				reused[n-1] = c
			}
			for i := len(reused) - 1; i > 0 && reused[i].idleSince.Load() < reused[i-1].idleSince.Load(); i-- {
				reused[i], reused[i-1] = reused[i-1], reused[i]
			}
		}
		for _, c := range reused {
			delete(s.conns, c)
		}
	}
	return reused, len(s.conns) >= l.Max
}

// reusable says whether c waits for a request (nginx's reusable
// connections: idle keep-alive, and new ones before their first byte).
func (c *conn) reusable() bool { return c.state.Load() == stateIdle && c.h2.Load() == nil }

// capReached closes the reused connections and logs nginx's lines: the
// warning at most once a second, the alert for a refused connection.
func (s *Server) capReached(reused []*conn, refused bool) {
	for _, c := range reused {
		c.shutdown()
	}
	wc := 0
	if l := s.limits.Load(); l != nil {
		wc = l.WorkerConnections
	}
	if len(reused) > 0 {
		now := time.Now().Unix()
		if last := s.reuseWarned.Load(); last != now && s.reuseWarned.CompareAndSwap(last, now) {
			s.logf(confparse.LevelWarn, "%d worker_connections are not enough, reusing connections", wc)
		}
	}
	if refused {
		s.logf(confparse.LevelAlert, "%d worker_connections are not enough", wc)
	}
}
