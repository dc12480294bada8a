package httpd

// deadline.go keeps connection deadlines without touching the runtime's
// timers on every request: moving a deadline costs a timer update (and
// can wake the network poller), which at tens of thousands of requests a
// second is a measurable part of a small response. A deadline is moved
// only when the wanted one differs by more than a sixteenth of the
// timeout (at most a second), so timeouts fire within that margin; a
// loose one (the idle grace) only when it would fire too soon.

import "time"

// Deadline is one direction's deadline on a connection.
type Deadline struct {
	cur time.Time
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
	if left := d.cur.Sub(now); !d.cur.IsZero() && left >= timeout && left <= 2*timeout {
		return
	}
	d.within(set, now, 2*timeout, 0)
}

func (d *Deadline) within(set func(time.Time) error, now time.Time, timeout, slack time.Duration) {
	if timeout <= 0 {
		if !d.cur.IsZero() {
			set(time.Time{})
			d.cur = time.Time{}
		}
		return
	}
	t := now.Add(timeout)
	if !d.cur.IsZero() {
		if diff := t.Sub(d.cur); diff < slack && diff > -slack {
			return
		}
	}
	set(t)
	d.cur = t
}

// Expire makes the deadline pass at once (to wake a blocked read).
func (d *Deadline) Expire(set func(time.Time) error) {
	d.cur = time.Now()
	set(d.cur)
}

// Clear removes the deadline.
func (d *Deadline) Clear(set func(time.Time) error) {
	if !d.cur.IsZero() {
		set(time.Time{})
		d.cur = time.Time{}
	}
}
