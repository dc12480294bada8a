package process

// runtime.go is one compiled configuration with everything it opened:
// router, upstream groups, limit zones, error and access logs. A reload
// builds the new runtime beside the running one, so that a failure at
// any step (logs, certificates, zones, listen) leaves the running one
// untouched, and releases what the new one opened. The running one is
// swapped out whole, and released once its last request has ended, as
// an old nginx worker exits when its requests are done.

import (
	"sync/atomic"

	"goproxy/acme"
	"goproxy/confparse"
	"goproxy/limitreq"
	"goproxy/logging"
	"goproxy/proxy"
	"goproxy/router"
	"goproxy/stream"
)

type runtime struct {
	router *router.Router
	errs   *logging.ErrorLog
	access *logging.AccessLog
	proxy  *proxy.Config
	zones  *limitreq.Set
	stream *stream.Runtime // nil: no stream block
	acme   *acme.Set
	// inflight counts the requests running on this runtime; retired
	// says another one is in force, released that it was let go.
	inflight atomic.Int64
	retired  atomic.Bool
	released atomic.Bool
}

// build compiles a configuration into a runtime; nothing in service
// changes.
func (p *Process) build(cfg *confparse.Config) (*runtime, error) {
	r := &runtime{}
	var err error
	if r.errs, err = logging.NewErrorLog(cfg.Main.ErrorLogs, cfg.Main.LogJSON); err != nil {
		return nil, &confparse.Diag{Level: confparse.LevelEmerg, Msg: err.Error()}
	}
	fail := func(err error) (*runtime, error) {
		r.release()
		return nil, err
	}
	if err := ownPaths(cfg); err != nil {
		return fail(err)
	}
	if err := r.errs.OpenLocations(cfg); err != nil {
		return fail(&confparse.Diag{Level: confparse.LevelEmerg, Msg: err.Error()})
	}
	if r.access, err = logging.NewAccessLog(cfg, r.errs); err != nil {
		return fail(&confparse.Diag{Level: confparse.LevelEmerg, Msg: err.Error()})
	}
	if r.zones, err = p.zones.Configure(cfg, r.errs); err != nil {
		return fail(&confparse.Diag{Level: confparse.LevelEmerg, Msg: err.Error()})
	}
	r.proxy = p.proxy.Configure(cfg, r.errs)
	if cfg.Stream != nil {
		var prev *stream.Runtime
		if old := p.live.Load(); old != nil {
			prev = old.stream
		}
		errs := r.errs
		logf := func(l confparse.Level, msg string) { errs.Log(l, msg) }
		if r.stream, err = stream.New(cfg, prev, logf); err != nil {
			return fail(err)
		}
	}
	errs := r.errs
	r.acme = acme.Configure(cfg.HTTP, func(l confparse.Level, msg string) { errs.Log(l, msg) })
	r.router, err = router.New(cfg, router.Options{Static: p.static, Proxy: r.proxy, Log: r.access,
		Errors: r.errs, ErrorLine: func(l confparse.Level, msg string) { errs.Log(l, msg) }, Zones: r.zones.Zones, Acme: r.acme})
	if err != nil {
		return fail(err)
	}
	return r, nil
}

// enter counts a request on the runtime in force and returns it; exit
// must follow. A runtime retired between the load and the count is not
// used: its release may already have begun.
func (p *Process) enter() *runtime {
	for {
		r := p.live.Load()
		r.inflight.Add(1)
		if p.live.Load() == r {
			return r
		}
		r.exit()
	}
}

func (r *runtime) exit() {
	if r.inflight.Add(-1) == 0 && r.retired.Load() {
		r.release()
	}
}

// retire takes the runtime out of service: it is released now if no
// request runs on it, else when the last one ends.
func (r *runtime) retire() {
	r.retired.Store(true)
	if r.inflight.Load() == 0 {
		r.release()
	}
}

// release closes what the runtime alone holds; what the next one shares
// (unchanged upstreams, zones, log files) stays open.
func (r *runtime) release() {
	if !r.released.CompareAndSwap(false, true) {
		return
	}
	if r.proxy != nil {
		r.proxy.Release()
	}
	if r.zones != nil {
		r.zones.Release()
	}
	r.acme.Release()
	// r.stream's logs are closed by the stream listeners once its last
	// session ends; here only if they never took it.
	r.stream.Discard()
	if r.access != nil {
		r.access.Close()
	}
	if r.errs != nil {
		r.errs.Close()
	}
}
