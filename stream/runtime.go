// Package stream is nginx's stream module at run time: TCP and UDP
// servers whose sessions pass through nginx's phases (post-accept,
// pre-access, access, preread, content, log), proxied to upstreams or
// answered by return.
package stream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"goproxy/confparse"
	"goproxy/internal/sockopt"
	"goproxy/logging"
	"goproxy/proxy"
	"goproxy/ssl"
)

// Runtime is one compiled stream configuration. A reload builds a new
// one; sessions keep the one they started with.
type Runtime struct {
	cfg       *confparse.StreamConf
	byListen  map[string]*server // listenKey -> server
	listens   map[string]*confparse.StreamListen
	upstreams map[string]*proxy.Balancer
	logs      map[*confparse.AccessLog]*logging.Sink // the constant targets
	logCaches map[*confparse.LogFileCache]*logging.FileCache
	errlog    func(level confparse.Level, msg string)
	funcs     map[string]func(*Session) string
	zones     map[string]*connZone
	errLogs   []*logging.ErrorLog
	// refs counts the holders of the runtime: the listeners while it is
	// in force, and each session begun on it. The last one to let go
	// closes its log files, as an old nginx worker keeps its files open
	// until its last session ends.
	refs atomic.Int64
	// applied says the listeners took it; one never applied (a reload
	// whose sockets failed) is the loader's to discard.
	applied atomic.Bool
	// ls are the listeners that put it in force (pass hands connections
	// to their sockets).
	ls *Listeners
}

// Discard releases a runtime the listeners never took: the listeners
// release those they did once their last session ends.
func (rt *Runtime) Discard() {
	if rt != nil && !rt.applied.Load() {
		rt.Release()
	}
}

// unref lets go of a reference; the last one releases the runtime.
func (rt *Runtime) unref() {
	if rt.refs.Add(-1) == 0 {
		rt.Release()
	}
}

type server struct {
	conf *confparse.StreamServer
	rt   *Runtime
	// resolver is the server's "resolver"; nil when it has none.
	resolver *proxy.Resolver
	ssl      *ssl.Server        // nil without a "listen ... ssl"
	upTLS    *proxy.UpstreamTLS // proxy_ssl on
	// errs is the server's error_log when it has its own.
	errs *logging.ErrorLog
}

// log writes to the server's error log.
func (srv *server) log(level confparse.Level, msg string) {
	if srv.errs != nil {
		srv.errs.Log(level, msg)
		return
	}
	srv.rt.errlog(level, msg)
}

// listenKey names a socket: its network and address.
func listenKey(l *confparse.StreamListen) string { return l.Network + " " + l.Addr }

// New compiles a stream configuration; prev (may be nil) lends its
// limit_conn zones (their counts) to the zones of the same name.
// Upstream state starts afresh, as in nginx's new workers.
func New(conf *confparse.Config, prev *Runtime, errlog func(confparse.Level, string)) (*Runtime, error) {
	cfg, dir := conf.Stream, conf.ConfPrefix
	rt := &Runtime{cfg: cfg, byListen: map[string]*server{}, listens: map[string]*confparse.StreamListen{},
		upstreams: map[string]*proxy.Balancer{}, logs: map[*confparse.AccessLog]*logging.Sink{},
		logCaches: map[*confparse.LogFileCache]*logging.FileCache{}, errlog: errlog}
	if rt.errlog == nil {
		rt.errlog = func(confparse.Level, string) {}
	}
	rt.compileVars()
	rt.compileZones(prev)
	// Every constant log path is created at load, used or not, as
	// nginx opens them when it reads the configuration.
	if err := rt.openLogs(cfg.Srv.AccessLogs); err != nil {
		return nil, err
	}
	for _, u := range cfg.Upstreams {
		rt.upstreams[u.Name] = proxy.NewBalancer(u)
	}
	for _, sc := range cfg.Servers {
		srv := &server{conf: sc, rt: rt}
		tc, err := newSSL(sc, dir, rt.errlog)
		if err != nil {
			rt.Release()
			return nil, &confparse.Diag{Level: confparse.LevelEmerg, Msg: err.Error()}
		}
		srv.ssl = tc
		if sc.Srv.ErrorLogs != nil {
			if srv.errs, err = logging.NewErrorLog(sc.Srv.ErrorLogs, conf.Main.LogJSON); err != nil {
				rt.Release()
				return nil, &confparse.Diag{Level: confparse.LevelEmerg, Msg: err.Error()}
			}
			rt.errLogs = append(rt.errLogs, srv.errs)
		}
		if sc.Srv.ProxySSL != nil && *sc.Srv.ProxySSL {
			if srv.upTLS, err = proxy.NewUpstreamTLS(&sc.Srv.ProxyTLS, dir); err != nil {
				rt.Release()
				return nil, &confparse.Diag{Level: confparse.LevelEmerg, Msg: err.Error()}
			}
		}
		if sc.Srv.Resolver != nil {
			r := proxy.NewResolver(sc.Srv.Resolver, durOr(sc.Srv.ResolverTimeout, 30*time.Second),
				func(msg string) { rt.errlog(confparse.LevelError, msg) })
			srv.resolver = &r
		}
		for _, l := range sc.Listens {
			k := listenKey(l)
			rt.byListen[k] = srv
			rt.listens[k] = l
		}
		if c := sc.Srv.LogFileCache; c != nil && c.Max > 0 && rt.logCaches[c] == nil {
			rt.logCaches[c] = logging.NewFileCache(c)
		}
		if err := rt.openLogs(sc.Srv.AccessLogs); err != nil {
			rt.Release()
			return nil, err
		}
	}
	return rt, nil
}

// Release closes the runtime's log files.
func (rt *Runtime) Release() {
	if rt != nil {
		for _, s := range rt.logs {
			s.Release()
		}
		rt.logs = nil
		for _, c := range rt.logCaches {
			c.Close()
		}
		for _, el := range rt.errLogs {
			el.Close()
		}
	}
}

// Listeners holds the stream sockets of the process: they survive
// reloads (an unchanged listen keeps its socket) and serve whatever
// runtime is in force when a session starts.
type Listeners struct {
	mu  sync.Mutex
	cur atomic.Pointer[Runtime]
	tcp map[string]net.Listener
	udp map[string]*udpListener
	// PassHTTP hands a connection to the http socket for addr (pass):
	// false when no http socket has it. The process sets it.
	PassHTTP func(c net.Conn, addr string) bool
	conns    sync.WaitGroup
	active   sync.Map // net.Conn -> struct{}
	counter  atomic.Uint64
	closed   atomic.Bool
}

// NewListeners returns an empty set.
func NewListeners() *Listeners {
	return &Listeners{tcp: map[string]net.Listener{}, udp: map[string]*udpListener{}}
}

// Apply puts rt in force: it opens the sockets rt needs that are not
// open yet, and closes those rt no longer lists. On error nothing
// changes. rt may be nil: no stream block.
func (ls *Listeners) Apply(rt *Runtime) error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	want := map[string]*confparse.StreamListen{}
	if rt != nil {
		want = rt.listens
	}
	openedTCP := map[string]net.Listener{}
	openedUDP := map[string]*udpListener{}
	fail := func(err error) error {
		for _, l := range openedTCP {
			l.Close()
		}
		for _, l := range openedUDP {
			l.pc.Close()
		}
		return err
	}
	for k, l := range want {
		if l.Network == "udp" {
			if _, ok := ls.udp[k]; ok {
				continue
			}
			pc, err := listenUDP(l)
			if err != nil {
				return fail(err)
			}
			openedUDP[k] = &udpListener{pc: pc, key: k, ls: ls, sessions: map[string]*udpSession{}}
			continue
		}
		if _, ok := ls.tcp[k]; ok {
			continue
		}
		ln, err := listenTCP(l)
		if err != nil {
			return fail(err)
		}
		openedTCP[k] = ln
	}
	if old := ls.cur.Load(); old != rt {
		if rt != nil {
			rt.ls = ls
			rt.applied.Store(true)
			rt.refs.Add(1)
		}
		ls.cur.Store(rt)
		if old != nil {
			old.unref()
		}
	}
	for k, ln := range openedTCP {
		ls.tcp[k] = ln
		go ls.serveTCP(ln, k)
	}
	for k, ul := range openedUDP {
		ls.udp[k] = ul
		go ul.serve()
	}
	for k, ln := range ls.tcp {
		if _, ok := want[k]; !ok {
			ln.Close()
			delete(ls.tcp, k)
		}
	}
	for k, ul := range ls.udp {
		if _, ok := want[k]; !ok {
			ul.pc.Close()
			delete(ls.udp, k)
		}
	}
	return nil
}

// acquire is the runtime in force for a new session, with a reference
// the session gives back when it ends; nil when none is.
func (ls *Listeners) acquire() *Runtime {
	for {
		rt := ls.cur.Load()
		if rt == nil {
			return nil
		}
		// A runtime at zero is released: a reload replaced it since
		// the load, and cur holds its successor.
		if n := rt.refs.Load(); n > 0 && rt.refs.CompareAndSwap(n, n+1) {
			return rt
		}
	}
}

// Close closes every socket; with graceful, sessions in progress go on
// until they end or ctx is done, else they are closed at once.
func (ls *Listeners) Close(ctx context.Context, graceful bool) {
	ls.closed.Store(true)
	ls.Apply(nil)
	if graceful {
		done := make(chan struct{})
		go func() { ls.conns.Wait(); close(done) }()
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
	}
	ls.active.Range(func(k, _ any) bool {
		k.(net.Conn).Close()
		return true
	})
}

func bindErr(l *confparse.StreamListen, err error) error {
	msg := err.Error()
	if se := (*os.SyscallError)(nil); errors.As(err, &se) {
		msg = confparse.ErrnoText(se.Err)
	}
	name := l.Addr
	if l.Network == "unix" {
		name = "unix:" + name
	}
	return fmt.Errorf("bind() to %s failed (%s)", name, msg)
}

func listenConfig(l *confparse.StreamListen) net.ListenConfig {
	return sockopt.ListenConfig(sockopt.Opts{ReusePort: l.ReusePort, SockOpts: l.Sock})
}

func listenTCP(l *confparse.StreamListen) (net.Listener, error) {
	lc := listenConfig(l)
	network := "tcp4"
	if l.Network == "unix" {
		network = "unix"
		if c, err := net.Dial("unix", l.Addr); err == nil {
			c.Close()
		} else {
			os.Remove(l.Addr)
		}
	} else if strings.HasPrefix(l.Addr, "[") {
		network = "tcp6"
	}
	ln, err := lc.Listen(context.Background(), network, l.Addr)
	if err != nil {
		return nil, bindErr(l, err)
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(true)
	}
	return ln, nil
}

func listenUDP(l *confparse.StreamListen) (net.PacketConn, error) {
	lc := listenConfig(l)
	network := "udp4"
	if strings.HasPrefix(l.Addr, "[") {
		network = "udp6"
	}
	pc, err := lc.ListenPacket(context.Background(), network, l.Addr)
	if err != nil {
		return nil, bindErr(l, err)
	}
	return pc, nil
}

func (ls *Listeners) serveTCP(ln net.Listener, key string) {
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else if delay < time.Second {
				delay *= 2
			}
			time.Sleep(delay)
			continue
		}
		delay = 0
		rt := ls.acquire()
		if rt == nil || rt.byListen[key] == nil {
			c.Close()
			if rt != nil {
				rt.unref()
			}
			continue
		}
		ls.start(rt, key, c)
	}
}

// start begins a TCP session on rt (acquired for it) for the socket key.
func (ls *Listeners) start(rt *Runtime, key string, c net.Conn) {
	ls.conns.Add(1)
	ls.active.Store(c, struct{}{})
	s := newSession(rt.byListen[key], rt.listens[key], ls.counter.Add(1))
	s.setAddrs(c.LocalAddr(), c.RemoteAddr())
	if !s.listen.ProxyProtocol {
		// Without a PROXY header to wait for, the pre-access phase
		// (set, limit_conn) runs in accept order, as nginx's event
		// loop runs it: a connection counts before the next is taken.
		s.early, s.earlyOK = true, s.preaccess()
	}
	go func() {
		defer ls.conns.Done()
		defer rt.unref()
		defer ls.active.Delete(c)
		s.serveTCP(c)
	}()
}
