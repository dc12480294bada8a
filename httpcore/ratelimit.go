package httpcore

// ratelimit.go chooses a response's limit_rate: "set $limit_rate" wins,
// else limit_rate is evaluated when the response starts, as nginx's write
// filter does; the writer paces the body (httpd.SetRate).

import (
	"time"

	"goproxy/confparse"
)

// rateSetter is the engine writer's limit_rate hook.
type rateSetter interface {
	SetRate(rate, after int64, start time.Time)
}

// setLimitRate is "set $limit_rate value": a bad size is logged and
// changes nothing, as in nginx.
func (rq *Request) setLimitRate(v string) {
	n, ok := confparse.ParseSize(v)
	if !ok {
		if l, ok := rq.Eng.(RequestLogger); ok {
			l.LogRequest(rq, confparse.LevelError, `invalid size "`+v+`"`)
		}
		return
	}
	rq.LimitRate, rq.limitRateSet = n, true
}

// SetLimitRate is an upstream's X-Accel-Limit-Rate: it wins over
// limit_rate, like "set $limit_rate".
func (rq *Request) SetLimitRate(n int64) { rq.LimitRate, rq.limitRateSet = n, true }

// startRateLimit hands the rate in force to the writer.
func (rq *Request) startRateLimit() {
	if rq.Loc == nil {
		return
	}
	core := &rq.Loc.Core
	if !rq.limitRateSet && core.LimitRate == nil {
		return
	}
	if !rq.limitRateSet {
		rq.LimitRate = rq.evalSize(core.LimitRate)
		rq.limitRateSet = true
	}
	if rq.LimitRate <= 0 {
		return
	}
	if s, ok := rq.W.(rateSetter); ok {
		s.SetRate(rq.LimitRate, rq.evalSize(core.LimitRateAfter), rq.Start)
	}
}

// evalSize is a size directive's value; what is not a size is 0.
func (rq *Request) evalSize(t *confparse.Template) int64 {
	if t == nil {
		return 0
	}
	n, _ := confparse.ParseSize(rq.Eval(t))
	return n
}
