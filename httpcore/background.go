package httpcore

// background.go runs nginx's background subrequests (the mirror
// module's): they start during the main request and run beside it, its
// response going on meanwhile. Each works on a snapshot of the main
// request, so neither writes what the other reads; the main request
// ends — is logged, leaves its connection to the next request — only
// once they are done, as nginx holds the connection for them.

import (
	"maps"
	"slices"
)

// Background runs f beside the request with a snapshot of it, which f
// may hand to the engine as a subrequest's parent.
func (rq *Request) Background(f func(snap *Request)) {
	snap := rq.snapshot()
	rq.backgrounds++
	rq.background.Add(1)
	go func() {
		defer rq.background.Done()
		f(snap)
	}()
}

// WaitBackground finishes the response to the client, when background
// subrequests still run, and waits for them.
func (rq *Request) WaitBackground() {
	if rq.backgrounds == 0 {
		return
	}
	if f, ok := rq.W.(interface{ Finish() }); ok {
		f.Finish()
	}
	rq.background.Wait()
}

// snapshot copies what a subrequest reads of its main request: the
// client's request (its header too), the connection, the variables and
// captures so far, the request id it shares.
func (rq *Request) snapshot() *Request {
	r := *rq.R
	r.Header = rq.R.Header.Clone()
	s := &Request{R: &r, Cfg: rq.Cfg, Eng: rq.Eng, Vars: rq.Vars, Server: rq.Server, Loc: rq.Loc,
		Location: rq.Location, LocName: rq.LocName, URI: rq.URI, Args: rq.Args, Internal: rq.Internal,
		Start: rq.Start, LimitRate: rq.LimitRate, Host: rq.Host, HostOK: rq.HostOK,
		CapSrc: rq.CapSrc, Caps: slices.Clone(rq.Caps), Named: maps.Clone(rq.Named),
		Set: maps.Clone(rq.Set), DocRoot: rq.DocRoot, Filename: rq.Filename, RealIPFrom: rq.RealIPFrom,
		ReadBodyLength: rq.ReadBodyLength, BodyRead: rq.BodyRead}
	if s.Set == nil {
		s.Set = map[string]string{}
	}
	if rq.Conn != nil {
		c := *rq.Conn
		s.Conn = &c
	}
	// $request_id is the main request's: made now, so it is the same.
	s.requestID, _ = exactVars["request_id"](rq, "request_id")
	s.requestBody.Store(rq.requestBody.Load())
	s.requestBodyFile.Store(rq.requestBodyFile.Load())
	return s
}
