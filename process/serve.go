package process

// serve.go is the running process: it loads the configuration, binds
// every listen address, writes the pid file, and reacts to nginx's
// signals — HUP reload, QUIT graceful stop, TERM/INT fast stop, USR1
// reopen logs. A reload swaps the compiled configuration under live
// connections: keep-alive clients stay connected and their next request
// sees the new configuration.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "goproxy/addition" // registers its filter
	_ "goproxy/browser"  // registers $msie, $modern_browser, $ancient_browser
	_ "goproxy/charset"  // registers its filter
	"goproxy/confparse"
	_ "goproxy/gzipfilter" // registers its header filter
	"goproxy/httpcore"
	"goproxy/httpd"
	"goproxy/internal/sockopt"
	"goproxy/limitreq"
	"goproxy/logging"
	"goproxy/metrics"
	"goproxy/proxy"
	_ "goproxy/referer" // registers $invalid_referer
	"goproxy/router"
	_ "goproxy/securelink" // registers $secure_link, $secure_link_expires
	_ "goproxy/ssi"        // registers its filter and variables
	"goproxy/staticfs"
	"goproxy/stream"

	_ "goproxy/sub"    // registers its filter
	_ "goproxy/userid" // registers its header filter and variables
)

// Process is the long-lived state that survives reloads.
type Process struct {
	opts confparse.Options
	// live is the runtime in force; current is its router (for what
	// needs no runtime: TLS and connection settings).
	live    atomic.Pointer[runtime]
	current atomic.Pointer[router.Router]
	errlog  atomic.Pointer[logging.ErrorLog]
	srv     *httpd.Server
	static  *staticfs.Handler
	proxy   *proxy.Manager
	zones   *limitreq.Zones
	mu      sync.Mutex
	lns     map[string]net.Listener // by bind address
	quic    map[string]*httpd.QUICListener
	streams *stream.Listeners
	// reloading makes reloads one at a time.
	reloading sync.Mutex
	pidPath   string
	// serving is closed once requests may be served: Run opens the
	// sockets as root and serves only after dropping to "user", as
	// nginx's workers do, so no request is ever answered as root.
	serving chan struct{}
}

// dispatch hands each request to the configuration in force.
type dispatch struct{ p *Process }

func (d dispatch) Limits(c *httpd.Conn) httpd.Limits { return d.p.current.Load().Limits(c) }
func (d dispatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	<-d.p.serving
	rt := d.p.enter()
	defer rt.exit()
	rt.router.ServeHTTP(w, r)
}
func (d dispatch) ServeError(w http.ResponseWriter, r *http.Request, e *httpd.StatusError) {
	<-d.p.serving
	rt := d.p.enter()
	defer rt.exit()
	rt.router.ServeError(w, r, e)
}

// errLogger forwards to the error log in force.
type errLogger struct{ p *Process }

func (e errLogger) FileError(rq *httpcore.Request, level, msg string) {
	e.p.errlog.Load().FileError(rq, level, msg)
}

// LogDiag prints a diagnostic to standard error as nginx does.
func LogDiag(err error) {
	var d *confparse.Diag
	if errors.As(err, &d) {
		os.Stderr.Write(logging.Line(d.Level, d.Error()))
		return
	}
	os.Stderr.Write(logging.Line(confparse.LevelEmerg, err.Error()))
}

// CheckRuntime does what "nginx -t" checks beyond syntax: the log files
// can be opened and the certificates loaded. What it opened is closed.
func CheckRuntime(cfg *confparse.Config) error {
	r := &runtime{}
	defer r.release()
	var err error
	if r.errs, err = logging.NewErrorLog(cfg.Main.ErrorLogs, cfg.Main.LogJSON); err == nil {
		if err = r.errs.OpenLocations(cfg); err == nil {
			r.access, err = logging.NewAccessLog(cfg, r.errs)
		}
	}
	if err != nil {
		return &confparse.Diag{Level: confparse.LevelEmerg, Msg: err.Error()}
	}
	// Compiling the router loads certificates, as nginx -t does.
	if _, err := router.New(cfg, router.Options{}); err != nil {
		return &confparse.Diag{Level: confparse.LevelEmerg, Msg: err.Error()}
	}
	return nil
}

// swap puts a built runtime in force and retires the previous one.
func (p *Process) swap(r *runtime) {
	r.proxy.Activate()
	old := p.live.Swap(r)
	p.current.Store(r.router)
	p.errlog.Store(r.errs)
	if old != nil {
		old.retire()
	}
}

// Prog is the name the binary was started as ("goproxy" or "nginx").
var Prog = "goproxy"

// Run loads the configuration and serves it until told to stop; it
// returns the exit status.
func Run(lo confparse.Options) int {
	if os.Getenv("GOGC") == "" {
		// goproxy's live heap is small (a few MB), so the default GOGC
		// of 100 collects very often under load; 400 trades a few MB
		// for fewer collections and steadier tail latency.
		debug.SetGCPercent(400)
	}
	cfg, err := confparse.Load(lo)
	if err != nil {
		LogDiag(err)
		return 1
	}
	for _, w := range cfg.Warnings {
		LogDiag(w)
	}
	if daemonize(cfg) {
		return 0
	}
	p, err := start(lo, cfg, true)
	if err != nil {
		LogDiag(err)
		daemonReady(err)
		return 1
	}
	// Signals are caught before the pid file says where to send them.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGWINCH)
	if err := writePID(p.pidPath); err != nil {
		p.errlog.Load().Log(confparse.LevelEmerg, err.Error())
		daemonReady(err)
		return 1
	}
	if err := dropPrivileges(cfg.Main.User); err != nil {
		p.errlog.Load().Log(confparse.LevelEmerg, err.Error())
		daemonReady(err)
		return 1
	}
	close(p.serving)
	defer asRoot(func() error { return os.Remove(p.pidPath) })
	daemonReady(nil)
	// GOPROXY_CPUPROFILE=file profiles the whole run, for bench/ work.
	if f := os.Getenv("GOPROXY_CPUPROFILE"); f != "" {
		if out, err := os.Create(f); err == nil {
			pprof.StartCPUProfile(out)
			defer pprof.StopCPUProfile()
		}
	}
	return p.signals(sigs)
}

// Start compiles cfg and starts serving it.
func Start(lo confparse.Options, cfg *confparse.Config) (*Process, error) {
	return start(lo, cfg, false)
}

// start opens cfg's sockets; hold leaves requests waiting until
// p.serving is closed.
func start(lo confparse.Options, cfg *confparse.Config, hold bool) (*Process, error) {
	metricsOnce.Do(func() { metrics.Init(httpcore.Version) })
	p := &Process{opts: lo, lns: map[string]net.Listener{}, quic: map[string]*httpd.QUICListener{},
		streams: stream.NewListeners(), serving: make(chan struct{})}
	if !hold {
		close(p.serving)
	}
	p.streams.PassHTTP = p.passHTTP
	p.static = staticfs.New(errLogger{p})
	p.proxy = proxy.NewManager()
	metrics.Register(p.static.Cache)
	metrics.Register(p.proxy)
	p.zones = limitreq.NewZones()
	r, err := p.build(cfg)
	if err != nil {
		p.unregister()
		return nil, err
	}
	p.swap(r)
	p.srv = &httpd.Server{Handler: dispatch{p}, ConnState: connState, ErrorLog: p.engineLog}
	p.applyEvents(cfg, r.router)
	metrics.Reload(true)
	if err := p.listenAll(r); err != nil {
		if !r.errs.IsStderr() {
			r.errs.Log(confparse.LevelEmerg, err.Error())
		}
		p.unregister()
		return nil, err
	}
	p.pidPath = cfg.Main.PID
	return p, nil
}

// Router is the configuration in force.
func (p *Process) Router() *router.Router { return p.current.Load() }

var metricsOnce sync.Once

// connState feeds the connection gauges.
func connState(c *httpd.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		metrics.ConnState("", "idle")
	case http.StateActive:
		metrics.ConnState("idle", "active")
	case http.StateIdle:
		metrics.ConnState("active", "idle")
	case http.StateClosed:
		// A connection closes from idle, or from active when the
		// response ended it.
		if c.Value == connActive {
			metrics.ConnState("active", "")
		} else {
			metrics.ConnState("idle", "")
		}
	}
	switch st {
	case http.StateActive:
		c.Value = connActive
	case http.StateIdle, http.StateNew:
		c.Value = nil
	}
}

// connActive marks a connection in the middle of a request.
var connActive = new(int)

// bindAddrs decides which sockets to open: a wildcard address of a port
// covers every specific address of that port, as in nginx.
func bindAddrs(rt *router.Router) []*confparse.Listen {
	return confparse.BoundListens(rt.Addresses())
}

// listen opens the sockets a router needs, keeping those already open,
// and closes those no longer listed.
func (p *Process) listen(rt *router.Router) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	want := map[string]*confparse.Listen{}
	for _, l := range bindAddrs(rt) {
		want[listenKey(l)] = l
	}
	opened := map[string]net.Listener{}
	udp := map[string]net.PacketConn{}
	fail := func(err error) error {
		for _, o := range opened {
			o.Close()
		}
		for _, o := range udp {
			o.Close()
		}
		return err
	}
	for addr, l := range want {
		if l.Network == "udp" {
			if _, ok := p.quic[addr]; !ok {
				pc, err := openQUIC(l)
				if err != nil {
					return fail(err)
				}
				udp[addr] = pc
			}
			continue
		}
		if _, ok := p.lns[addr]; ok {
			continue
		}
		ln, err := openListener(l)
		if err != nil {
			return fail(err)
		}
		opened[addr] = ln
	}
	for key, pc := range udp {
		q, err := p.srv.ServeQUIC(pc, key, rt.HTTP3(key))
		if err != nil {
			delete(udp, key)
			pc.Close()
			return fail(err)
		}
		p.quic[key] = q
	}
	for key, ln := range opened {
		p.lns[key] = ln
		l := want[key]
		if l.SSL {
			go p.srv.ServeTLS(ln, l.Addr, p.tlsConfig(l.Addr))
			continue
		}
		go p.srv.Serve(ln, l.Addr)
	}
	for addr, ln := range p.lns {
		if _, ok := want[addr]; !ok {
			ln.Close()
			delete(p.lns, addr)
		}
	}
	for key, q := range p.quic {
		if _, ok := want[key]; !ok {
			// The old socket serves its connections until they end, as
			// nginx's old workers do; no new ones come to it.
			delete(p.quic, key)
			go q.Shutdown(p.drainContext())
		}
	}
	return nil
}

// tlsConfig is the TLS configuration of the "listen ... ssl" address
// addr: the certificate of the server the client names, in the
// configuration in force at its handshake.
func (p *Process) tlsConfig(addr string) *tls.Config {
	return &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		return p.current.Load().TLSConfig(addr, h)
	}}
}

// passHTTP is the stream pass to an http socket: the connection is
// served as if accepted there.
func (p *Process) passHTTP(c net.Conn, addr string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for key, ln := range p.lns {
		network := "tcp"
		if ln.Addr().Network() == "unix" {
			network = "unix"
		}
		if !stream.PassMatches(network, ln.Addr().String(), addr) {
			continue
		}
		if name, ssl := strings.CutSuffix(key, " ssl"); ssl {
			p.srv.ServeConnTLS(c, name, p.tlsConfig(name))
		} else {
			p.srv.ServeConn(c, key)
		}
		return true
	}
	return false
}

// listenAll opens the http and the stream sockets of a runtime.
func (p *Process) listenAll(r *runtime) error {
	if err := p.listen(r.router); err != nil {
		return err
	}
	return p.streams.Apply(r.stream)
}

// listenKey names a socket: its address, and whether it speaks TLS (a
// reload that adds "ssl" to a listen reopens it).
func listenKey(l *confparse.Listen) string {
	if l.SSL {
		return l.Addr + " ssl"
	}
	return l.Key()
}

func openListener(l *confparse.Listen) (net.Listener, error) {
	lc := sockopt.ListenConfig(listenOpts(l))
	network := "tcp"
	addr := l.Addr
	if l.Network == "unix" {
		network = "unix"
		if c, err := net.Dial("unix", addr); err == nil {
			c.Close()
		} else {
			os.Remove(addr) // a stale socket from an earlier run
		}
	} else if strings.HasPrefix(addr, "[") {
		network = "tcp6"
	} else {
		network = "tcp4"
	}
	ln, err := lc.Listen(context.Background(), network, addr)
	if err != nil {
		msg := err.Error()
		if se := (*os.SyscallError)(nil); errors.As(err, &se) {
			msg = confparse.ErrnoText(se.Err)
		}
		name := addr
		if l.Network == "unix" {
			name = "unix:" + addr
		}
		return nil, fmt.Errorf("bind() to %s failed (%s)", name, msg)
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(true)
	}
	return ln, nil
}

// listenOpts are the socket options a listen asks for: ipv6only on
// IPv6 addresses, reuseport on quic ones (a TCP reload keeps its
// sockets, so only the UDP side has use for it: a second goproxy may
// share the port while the first drains), and the buffer sizes and
// so_keepalive as written.
func listenOpts(l *confparse.Listen) sockopt.Opts {
	return sockopt.Opts{V6Only: l.IPv6Only && strings.HasPrefix(l.Addr, "["),
		ReusePort: l.ReusePort && l.Network == "udp", SockOpts: l.Sock}
}

func writePID(path string) error {
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0644); err != nil {
		return fmt.Errorf("open() %q failed (%v)", path, err)
	}
	return nil
}

// Reload reads the configuration again; on any error the running one
// stays in service and the error is returned.
func (p *Process) Reload() error {
	el := p.errlog.Load()
	el.Log(confparse.LevelNotice, "signal 1 (SIGHUP) received, reconfiguring")
	err := asRoot(func() error { return p.reload(el) })
	metrics.Reload(err == nil)
	return err
}

func (p *Process) reload(el *logging.ErrorLog) error {
	p.reloading.Lock()
	defer p.reloading.Unlock()
	cfg, err := confparse.Load(p.opts)
	if err != nil {
		el.Log(confparse.LevelEmerg, err.Error())
		return err
	}
	for _, w := range cfg.Warnings {
		el.Log(w.Level, w.Error())
	}
	r, err := p.build(cfg)
	if err != nil {
		el.Log(confparse.LevelEmerg, err.Error())
		return err
	}
	if err := p.listenAll(r); err != nil {
		el.Log(confparse.LevelEmerg, err.Error())
		r.release()
		return err
	}
	reloaded := time.Now()
	oldCfg := p.current.Load().Cfg
	p.swap(r)
	p.applyEvents(cfg, r.router)
	if t := oldCfg.Main.WorkerShutdownTimeout; t != nil {
		// Connections survive a reload here (keep-alive clients see the
		// new configuration), where nginx leaves them on the old
		// workers; the old configuration's worker_shutdown_timeout
		// still bounds how long they live, as it bounds those workers.
		time.AfterFunc(*t, func() { p.srv.CloseAcceptedBefore(reloaded) })
	}
	nel := r.errs
	if cfg.Main.PID != p.pidPath {
		if err := writePID(cfg.Main.PID); err == nil {
			os.Remove(p.pidPath)
			p.pidPath = cfg.Main.PID
		}
	}
	nel.Log(confparse.LevelNotice, "reconfiguring done")
	return nil
}

// signals waits for signals until the process is told to stop.
func (p *Process) signals(ch chan os.Signal) int {
	for s := range ch {
		switch s {
		case syscall.SIGHUP:
			p.Reload()
		case syscall.SIGUSR1:
			p.errlog.Load().Log(confparse.LevelNotice, "reopening logs")
			if err := asRoot(logging.Reopen); err != nil {
				p.errlog.Load().Log(confparse.LevelAlert, err.Error())
			}
		case syscall.SIGWINCH:
			// nginx stops its workers here; goproxy has none.
		case syscall.SIGQUIT:
			p.Quit()
			return 0
		case syscall.SIGTERM, syscall.SIGINT:
			p.Stop()
			return 0
		}
	}
	return 0
}

// Quit stops gracefully: no new connections, requests in flight finish
// (within worker_shutdown_timeout, if set).
func (p *Process) Quit() {
	defer p.unregister()
	p.errlog.Load().Log(confparse.LevelNotice, "gracefully shutting down")
	asRoot(p.closeListeners)
	ctx := p.drainContext()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); p.streams.Close(ctx, true) }()
	for _, q := range p.takeQUIC() {
		wg.Add(1)
		go func() { defer wg.Done(); q.Shutdown(ctx) }()
	}
	p.srv.Shutdown(ctx)
	wg.Wait()
	logging.Flush()
	p.errlog.Load().Log(confparse.LevelNotice, "exit")
}

// drainContext bounds a graceful end by worker_shutdown_timeout, if set.
func (p *Process) drainContext() context.Context {
	if t := p.current.Load().Cfg.Main.WorkerShutdownTimeout; t != nil {
		ctx, cancel := context.WithTimeout(context.Background(), *t)
		time.AfterFunc(*t, cancel) // the timer's end releases it
		return ctx
	}
	return context.Background()
}

// takeQUIC hands over the QUIC sockets for closing.
func (p *Process) takeQUIC() []*httpd.QUICListener {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*httpd.QUICListener
	for k, q := range p.quic {
		out = append(out, q)
		delete(p.quic, k)
	}
	return out
}

// Stop stops at once, closing every connection.
func (p *Process) Stop() {
	defer p.unregister()
	p.errlog.Load().Log(confparse.LevelNotice, "exiting")
	asRoot(p.closeListeners)
	p.srv.Close()
	for _, q := range p.takeQUIC() {
		q.Close()
	}
	p.streams.Close(context.Background(), false)
	logging.Flush()
	p.errlog.Load().Log(confparse.LevelNotice, "exit")
}

// unregister takes the process' live state out of the metrics and
// releases the runtime in force (buffered logs written, files closed).
func (p *Process) unregister() {
	metrics.Unregister(p.static.Cache)
	metrics.Unregister(p.proxy)
	if r := p.live.Load(); r != nil {
		r.retire()
	}
	p.proxy.Close()
}

// closeListeners closes every listener (removing unix sockets, which
// may take root: see asRoot).
func (p *Process) closeListeners() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for addr, ln := range p.lns {
		ln.Close()
		delete(p.lns, addr)
	}
	return nil
}

// Signal is "-s stop|quit|reopen|reload": the signal goes to the
// process in the configuration's pid file.
func Signal(lo confparse.Options, name string) int {
	cfg, err := confparse.Load(lo)
	if err != nil {
		LogDiag(err)
		return 1
	}
	path := cfg.Main.PID
	b, err := os.ReadFile(path)
	if err != nil {
		os.Stderr.Write(logging.Line(confparse.LevelError, fmt.Sprintf("open() %q failed (%s)", path, confparse.ErrnoText(err))))
		return 1
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		os.Stderr.Write(logging.Line(confparse.LevelError, fmt.Sprintf("invalid PID number %q in %q", strings.TrimSpace(string(b)), path)))
		return 1
	}
	sig := map[string]syscall.Signal{"stop": syscall.SIGTERM, "quit": syscall.SIGQUIT,
		"reopen": syscall.SIGUSR1, "reload": syscall.SIGHUP}[name]
	if err := syscall.Kill(pid, sig); err != nil {
		os.Stderr.Write(logging.Line(confparse.LevelAlert, fmt.Sprintf("kill(%d, %d) failed (%s)", pid, int(sig), confparse.ErrnoText(err))))
		return 1
	}
	return 0
}
