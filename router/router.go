// Package router is the compiled, immutable form of a configuration and
// the request phases nginx runs on it: find the server, server rewrite,
// find the location, rewrite, access, try_files, content, log. A new
// Router is built for each configuration load and swapped atomically;
// requests in flight finish on the Router they started with.
package router

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"goproxy/acme"
	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
	"goproxy/limitreq"
)

// Content is a content handler factory: the router asks it for the
// handler of a location whose content it serves.
type Content interface {
	// Handler returns the http.Handler for a location, or nil.
	Handler(l *confparse.Loc) http.Handler
}

// Logger receives every finished request (the log phase).
type Logger interface {
	Log(rq *httpcore.Request)
}

// Router serves one configuration.
type Router struct {
	Cfg     *confparse.Config
	vars    *httpcore.VarTable
	servers []*server
	addrs   map[string]*addrTable // by configured listen address
	limits  map[string]httpd.Limits
	static  http.Handler
	proxy   Content
	log     Logger
	errlog  ErrorLogger
	errline func(level confparse.Level, msg string)
	zones   map[string]*limitreq.Zone
	handler map[*confparse.Loc]http.Handler
	stats   statsTable
	pool    sync.Pool
	acme    *acme.Set
}

// Options are the pieces the router does not build itself.
type Options struct {
	Static http.Handler // the static/index/autoindex content handler
	Proxy  Content      // proxy_pass handlers
	Log    Logger
	Errors ErrorLogger
	// ErrorLine writes a line to the main error log (what a server's
	// TLS side reports outside any request: OCSP fetches).
	ErrorLine func(level confparse.Level, msg string)
	// Zones are the live limit_req/limit_conn zones by name (limit_conn
	// ones prefixed "conn:").
	Zones map[string]*limitreq.Zone
	// Acme holds the acme_certificate certificates (nil: none running,
	// as for "-t").
	Acme *acme.Set
}

// New compiles a configuration.
func New(cfg *confparse.Config, o Options) (*Router, error) {
	rt := &Router{Cfg: cfg, addrs: map[string]*addrTable{}, limits: map[string]httpd.Limits{},
		static: o.Static, proxy: o.Proxy, log: o.Log, errlog: o.Errors, errline: o.ErrorLine, zones: o.Zones, acme: o.Acme,
		handler: map[*confparse.Loc]http.Handler{}}
	rt.vars = httpcore.NewVarTable(cfg.HTTP)
	if cfg.HTTP == nil {
		return rt, nil
	}
	for _, sc := range cfg.HTTP.Servers {
		s := &server{conf: sc, named: map[string]*loc{}}
		s.core = &httpcore.Server{Conf: sc, Name: primaryName(sc)}
		s.locs = buildLevel(sc.Locations, s.named)
		rt.servers = append(rt.servers, s)
		for _, l := range sc.Listens {
			t := rt.addrs[l.Key()]
			if t == nil {
				t = newAddrTable(l.Key())
				rt.addrs[l.Key()] = t
			}
			t.add(s, l)
		}
	}
	for addr, t := range rt.addrs {
		srv := t.def.conf.Srv
		rt.limits[addr] = httpd.Limits{
			HeaderTimeout:        *srv.ClientHeaderTimeout,
			HeaderBufferSize:     int(*srv.ClientHeaderBufferSize),
			LargeBufferSize:      int(srv.LargeClientHeaderBuffers.Size),
			LargeBuffers:         srv.LargeClientHeaderBuffers.Num,
			IgnoreInvalidHeaders: *srv.IgnoreInvalidHeaders,
			UnderscoresInHeaders: *srv.UnderscoresInHeaders,
			MaxHeaders:           *srv.MaxHeaders,
			ProxyProtocol:        t.proxyProtocol,
		}
	}
	rt.pool.New = func() any { return new(httpcore.Request) }
	if err := rt.buildSSL(); err != nil {
		return nil, err
	}
	if err := rt.buildHandlers(); err != nil {
		return nil, err
	}
	return rt, nil
}

// primaryName is $server_name: the first name (regexes included, as
// written).
func primaryName(s *confparse.Server) string {
	if len(s.Names) == 0 {
		return ""
	}
	n := s.Names[0]
	if n.Kind == confparse.NameRegex {
		return "~" + n.Name
	}
	if n.Kind == confparse.NameWildcardPrefix {
		if n.Dot {
			// nginx drops the leading dot of ".example.com" here.
			return n.Name
		}
		return "*." + n.Name
	}
	if n.Kind == confparse.NameWildcardSuffix {
		return n.Name + ".*"
	}
	return n.Name
}

// Addresses lists the listen addresses, for the process to bind. An
// IPv6 address whose port also has the IPv6 wildcard ("[::]:80") is left
// out, as nginx binds only the wildcard then; the connection's local
// address still selects its servers (table).
func (rt *Router) Addresses() []*confparse.Listen {
	var out []*confparse.Listen
	seen := map[string]bool{}
	if rt.Cfg.HTTP == nil {
		return nil
	}
	for _, s := range rt.Cfg.HTTP.Servers {
		for _, l := range s.Listens {
			if !seen[l.Key()] {
				seen[l.Key()] = true
				out = append(out, l)
			}
		}
	}
	kept := out[:0]
	for _, l := range out {
		wild := &confparse.Listen{Network: l.Network, Addr: "[::]:" + strconv.Itoa(l.Port)}
		if l.Network != "unix" && strings.HasPrefix(l.Addr, "[") && !isWildcard(l.Addr) && seen[wild.Key()] {
			continue
		}
		kept = append(kept, l)
	}
	return kept
}

// table finds the server table for a connection: its exact listen
// address, else the wildcard address of the same port.
func (rt *Router) table(c *httpd.Conn) *addrTable {
	if t, ok := rt.addrs[c.Listener]; ok && !isWildcard(c.Listener) {
		return t
	}
	if c.Local != nil && (c.Local.Network() == "tcp" || c.Local.Network() == "udp") {
		suffix := ""
		if c.Local.Network() == "udp" {
			suffix = " quic"
		}
		if t, ok := rt.addrs[c.Local.String()+suffix]; ok {
			return t
		}
		if ip, port, ok := addrIPPort(c.Local); ok && ip.To4() != nil {
			if t, ok := rt.addrs[ip.To4().String()+":"+strconv.Itoa(port)+suffix]; ok {
				return t
			}
		}
	}
	if t, ok := rt.addrs[c.Listener]; ok {
		return t
	}
	for _, t := range rt.addrs {
		return t
	}
	return nil
}

// addrIPPort reads a TCP or UDP address.
func addrIPPort(a net.Addr) (net.IP, int, bool) {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP, a.Port, true
	case *net.UDPAddr:
		return a.IP, a.Port, true
	}
	return nil, 0, false
}

func isWildcard(addr string) bool {
	return strings.HasPrefix(addr, "0.0.0.0:") || strings.HasPrefix(addr, "[::]:")
}

// Limits implements httpd.Handler.
func (rt *Router) Limits(c *httpd.Conn) httpd.Limits {
	if t := rt.table(c); t != nil {
		return rt.limits[t.addr]
	}
	return httpd.Limits{HeaderTimeout: 60 * time.Second, HeaderBufferSize: 1024, LargeBufferSize: 8192, LargeBuffers: 4, IgnoreInvalidHeaders: true}
}

// ServeHTTP implements http.Handler and httpd.Handler: one request
// through all phases, then the log phase.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := rt.begin(w, r)
	defer rt.end(rq)
	t := rt.table(rq.Conn)
	if t == nil {
		http.Error(w, "no server", 500)
		return
	}
	srv := rt.findServer(rq, t)
	if !rt.checkClientCert(rq, srv) {
		return
	}
	// nginx parses the URI before it reads the Host header: the
	// address' default server decides merge_slashes.
	uri, err := httpcore.NormalizeURI(r.URL.Path, *t.def.conf.Srv.MergeSlashes)
	if err != nil {
		rq.Error(400)
		return
	}
	rq.URI = uri
	rq.Args = r.URL.RawQuery
	if rq.Host == "" {
		rq.Host = srv.core.Name
	}
	rt.realIP(rq) // post-read, with the server's settings
	if r.TLS == nil && rt.acmeChallenge(rq) {
		return
	}
	rt.process(rq, srv, nil)
}

// findServer is the server-rewrite phase's choice of server: by the
// request's Host (validated as nginx does), among the address' servers.
func (rt *Router) findServer(rq *httpcore.Request, t *addrTable) *server {
	host := rq.R.Host
	if h, ok := httpd.ValidateHost(host); ok {
		host = h
	}
	rq.Host, rq.HostOK = host, host != ""
	srv := t.find(host, rq.SetCaptures)
	rt.enterServer(rq, srv)
	return srv
}

// ServeError implements httpd.Handler: a request the engine refused.
func (rt *Router) ServeError(w http.ResponseWriter, r *http.Request, se *httpd.StatusError) {
	if se.Status == 497 && r.URL != nil {
		rt.plainOnTLS(w, r)
		return
	}
	rq := rt.begin(w, r)
	defer rt.end(rq)
	if t := rt.table(rq.Conn); t != nil && t.def != nil {
		rt.enterServer(rq, t.def)
		rq.Host = t.def.core.Name
		// The handshake's verdict on the client certificate holds for
		// a refused request too ($ssl_client_verify in its log and
		// add_header ... always); nothing is rejected for it here.
		if s := t.def.ssl; s != nil && rq.R.TLS != nil && rq.Conn != nil && rq.Conn.SSLVerify == "" {
			rq.Conn.SSLVerify = s.Verify(rq.R.TLS)
		}
	}
	if r.URL != nil {
		rq.URI = r.URL.Path
	}
	rt.logf(rq, confparse.LevelInfo, se.Msg)
	rq.Error(se.Status)
}

func (rt *Router) enterServer(rq *httpcore.Request, s *server) {
	rq.Server = s.core
	rq.Loc = s.conf.Loc
	rq.Location = nil
	rq.LocName = ""
}

func (rt *Router) begin(w http.ResponseWriter, r *http.Request) *httpcore.Request {
	rq := rt.pool.Get().(*httpcore.Request)
	*rq = httpcore.Request{W: w, R: r, Cfg: rt.Cfg, Eng: rt, Vars: rt.vars, Start: time.Now()}
	if cw, ok := w.(httpd.ConnWriter); ok {
		rq.Conn = cw.Conn()
	}
	return rq
}

func (rt *Router) end(rq *httpcore.Request) {
	if !rq.WroteHeader() && !rq.Aborted {
		// A handler returned without answering: nginx would have sent
		// 500 for a request nobody finalised.
		rq.Error(500)
	}
	rq.CloseBody()
	rq.EndBackground()
	rt.postAction(rq)
	for _, f := range rq.Release {
		f()
	}
	if rt.log != nil {
		rt.log.Log(rq)
	}
	rt.measure(rq)
	*rq = httpcore.Request{}
	rt.pool.Put(rq)
}
