package proxy

// clock.go reads the time as nginx reads its cached clock: once per
// event (the request sent, the response head in, the body's end), each
// reading shared by the deadlines, the pool's idle times and the
// $upstream_*_time of that moment. A request's first reading is
// time.Now; later ones come from the monotonic clock alone, one clock
// read where time.Now makes two.

import "time"

// later is the time now, from t (which carries a monotonic reading)
// and the monotonic time since it.
func later(t time.Time) time.Time { return t.Add(time.Since(t)) }
