package httpd

// ratelimit.go paces a response body for limit_rate, by nginx's
// reckoning (its write filter): by the end of the n-th second of the
// request, rate*(n+1) bytes past the first limit_rate_after may have
// been sent, header included; a write that would go past waits, in the
// request's own goroutine, until the budget allows at least a byte.

import (
	"errors"
	"time"
)

type rateLimit struct {
	rate, after int64
	start       int64 // the request's start, in Unix seconds
}

// SetRate makes the rest of the response go out at rate bytes per second
// once after bytes were sent (limit_rate, limit_rate_after, $limit_rate);
// a rate of 0 lifts the limit.
func (w *response) SetRate(rate, after int64, start time.Time) {
	w.rl = rateLimit{rate: rate, after: after, start: start.Unix()}
}

// allow returns how many of want bytes may be sent now, waiting first
// while none may; it flushes what is buffered before it waits, so the
// client has it. A client that hangs up while it waits ends the wait
// (errClientGone): nginx too sees the close, not only the next write.
func (w *response) allow(want int64) (int64, error) {
	if w.rl.rate <= 0 {
		return want, nil
	}
	for {
		sent := w.headerBytes + w.written
		limit := w.rl.rate*(time.Now().Unix()-w.rl.start+1) - (sent - w.rl.after)
		if limit > 0 {
			return min(want, limit), nil
		}
		if err := w.c.bw.Flush(); err != nil {
			return 0, err
		}
		if w.pause(time.Duration(-limit*1000/w.rl.rate+1) * time.Millisecond) {
			w.closeAfter = true
			return 0, errClientGone
		}
	}
}

var errClientGone = errors.New("client closed connection while waiting for limit_rate")

// pause sleeps for d and says whether the client hung up meanwhile. It
// takes the connection's hang-up watch for the time, passing a hang-up
// on to the watcher it replaced (a proxy waiting on its upstream).
func (w *response) pause(d time.Duration) bool {
	c := w.c
	if c.peerClosed.Load() {
		return true
	}
	p := thePoller()
	if p == nil || w.hijacked || !c.polled.Load() && !p.arm(c, false) {
		time.Sleep(d)
		return false
	}
	pw := &pauseWatch{gone: make(chan struct{})}
	c.watchMu.Lock()
	pw.prev, c.watcher = c.watcher, pw
	c.watchMu.Unlock()
	t := time.NewTimer(d)
	gone := false
	select {
	case <-t.C:
	case <-pw.gone:
		gone = true
	}
	t.Stop()
	c.watchMu.Lock()
	if c.watcher == pw {
		c.watcher = pw.prev
	}
	c.watchMu.Unlock()
	return gone || c.peerClosed.Load()
}

type pauseWatch struct {
	gone chan struct{}
	prev ClientWatcher
}

func (pw *pauseWatch) ClientClosed(err error) {
	close(pw.gone)
	if pw.prev != nil {
		pw.prev.ClientClosed(err)
	}
}
