package httpd

// deadline.go keeps connection deadlines without touching the runtime's
// timers on every request: moving a deadline costs a timer update (and
// can wake the network poller), which at tens of thousands of requests a
// second is a measurable part of a small response. A deadline is moved
// only when the wanted one differs by more than a sixteenth of the
// timeout (at most a second), so timeouts fire within that margin; a
// loose one (the idle grace) only when it would fire too soon.

import "time"

// Deadline is one direction's deadline on a connection. It is kept as
// Unix nanoseconds (0: none) rather than a time.Time, a third of the
// size: every connection holds two, idle ones too.
type Deadline struct {
	cur int64
}

const maxSlack = time.Second

// Set arms the deadline timeout from now through set (a net.Conn's
// SetReadDeadline or SetWriteDeadline); timeout <= 0 clears it.
func (d *Deadline) Set(set func(time.Time) error, now time.Time, timeout time.Duration) {
	d.within(set, now, timeout, min(timeout/16, maxSlack))
}

// Loose arms a deadline that may fire up to one timeout late (between
// timeout and twice it): for a wait whose end only needs to come, not
// come on time, it moves a tenth as often as Set's.
func (d *Deadline) Loose(set func(time.Time) error, now time.Time, timeout time.Duration) {
	if left := time.Duration(d.cur - now.UnixNano()); d.cur != 0 && left >= timeout && left <= 2*timeout {
		return
	}
	d.within(set, now, 2*timeout, 0)
}

func (d *Deadline) within(set func(time.Time) error, now time.Time, timeout, slack time.Duration) {
	if timeout <= 0 {
		d.Clear(set)
		return
	}
	t := now.Add(timeout)
	tn := t.UnixNano()
	if d.cur != 0 {
		if diff := time.Duration(tn - d.cur); diff < slack && diff > -slack {
			return
		}
	}
	set(t)
	d.cur = tn
}

// Expire makes the deadline pass at once (to wake a blocked read).
func (d *Deadline) Expire(set func(time.Time) error) {
	now := time.Now()
	d.cur = now.UnixNano()
	set(now)
}

// Clear removes the deadline.
func (d *Deadline) Clear(set func(time.Time) error) {
	if d.cur != 0 {
		set(time.Time{})
		d.cur = 0
	}
}
