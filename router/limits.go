package router

// limits.go is the preaccess phase: limit_conn and limit_req, with
// nginx's statuses, dry-run mode, log lines and $limit_*_status.

import (
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/limitreq"
)

// limitVariables are set by the limit_conn and limit_req handlers below.
var limitVariables = []httpcore.Variable{
	{Name: "limit_conn_status", Get: httpcore.SetByModule},
	{Name: "limit_req_status", Get: httpcore.SetByModule},
}

func init() { httpcore.RegisterVariables(limitVariables) }

// ErrorLogger writes request-scoped error-log lines.
type ErrorLogger interface {
	Request(rq *httpcore.Request, level confparse.Level, msg string)
}

// limit reports whether the request may proceed.
func (rt *Router) limit(rq *httpcore.Request) bool {
	l := &rq.Loc.Limit
	conns, reqs := l.Conn, l.Req
	if rq.Parent != nil {
		// A subrequest is limited only if its main request was not
		// (nginx looks at r->main's limit statuses).
		if rq.Set["limit_conn_status"] != "" {
			conns = nil
		}
		if rq.Set["limit_req_status"] != "" {
			reqs = nil
		}
	}
	var acquired []func()
conns:
	for _, lc := range conns {
		z := rt.zones["conn:"+lc.Zone]
		if z == nil {
			continue
		}
		key := rq.Eval(z.Conf().Key)
		if key == "" {
			continue
		}
		switch a := z.Acquire(key, lc.Max); a {
		case limitreq.KeyTooLong:
			rt.logf(rq, confparse.LevelError, "the value of the \""+z.Conf().Key.Raw+"\" key is more than 255 bytes: \""+key+"\"")
			continue
		case limitreq.Limited, limitreq.NoMemory:
			if a == limitreq.Limited {
				dry := ""
				if *l.ConnDryRun {
					dry = ", dry run,"
				}
				rt.logf(rq, *l.ConnLogLevel, "limiting connections"+dry+" by zone \""+lc.Zone+"\"")
			}
			// Like nginx, the first zone over its limit ends the
			// checks and gives back what the earlier zones counted;
			// in dry-run mode the request then goes on unlimited.
			for _, rel := range acquired {
				rel()
			}
			if *l.ConnDryRun {
				rq.SetVar("limit_conn_status", "REJECTED_DRY_RUN")
				break conns
			}
			rq.SetVar("limit_conn_status", "REJECTED")
			rq.Error(*l.ConnStatus)
			return false
		}
		acquired = append(acquired, func() { z.Release(key) })
		rq.SetVar("limit_conn_status", "PASSED")
	}
	rq.Release = append(rq.Release, acquired...)
	if len(reqs) == 0 {
		return true
	}
	var delay time.Duration
	var delayZone string
	var delayExcess int64
	dryRejected := false
	now := time.Now()
	for _, lr := range reqs {
		z := rt.zones[lr.Zone]
		if z == nil {
			continue
		}
		key := rq.Eval(z.Conf().Key)
		if key == "" {
			continue
		}
		o := z.Take(key, lr, now)
		if o.Reject {
			dry := ""
			if *l.ReqDryRun {
				dry = ", dry run"
			}
			if !o.NoNode {
				rt.logf(rq, *l.ReqLogLevel, "limiting requests"+dry+", excess: "+limitreq.FormatExcess(o.Excess)+" by zone \""+lr.Zone+"\"")
			}
			if *l.ReqDryRun {
				// nginx stops at the first zone that rejects.
				dryRejected = true
				break
			}
			rq.SetVar("limit_req_status", "REJECTED")
			rq.Error(*l.ReqStatus)
			return false
		}
		if o.Delay > delay {
			delay, delayZone, delayExcess = o.Delay, lr.Zone, o.Excess
		}
	}
	if dryRejected {
		rq.SetVar("limit_req_status", "REJECTED_DRY_RUN")
		return true
	}
	if delay == 0 {
		rq.SetVar("limit_req_status", "PASSED")
		return true
	}
	// Delays are logged one level below rejections, as in nginx, dry
	// run or not.
	dry := ""
	if *l.ReqDryRun {
		dry = ", dry run"
	}
	rt.logf(rq, *l.ReqLogLevel+1, "delaying request"+dry+", excess: "+limitreq.FormatExcess(delayExcess)+", by zone \""+delayZone+"\"")
	if *l.ReqDryRun {
		rq.SetVar("limit_req_status", "DELAYED_DRY_RUN")
		return true
	}
	rq.SetVar("limit_req_status", "DELAYED")
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-rq.R.Context().Done():
		rq.Abort(499)
		return false
	}
}

func (rt *Router) logf(rq *httpcore.Request, level confparse.Level, msg string) {
	if rt.errlog != nil {
		rt.errlog.Request(rq, level, msg)
	}
}
