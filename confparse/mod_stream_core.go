package confparse

// mod_stream_core.go: ngx_stream_core_module — the stream block, its
// servers and listens, and the settings every stream module inherits
// from stream to server. Stream has its own variables (a namespace apart
// from http's: see DeclareStreamVariable) and its own upstream blocks.

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// StreamConf is the stream block.
type StreamConf struct {
	Servers    []*StreamServer
	Upstreams  []*Upstream           `json:",omitempty"`
	LogFormats map[string]*LogFormat `json:",omitempty"`
	LimitZones []*LimitZone          `json:",omitempty"`
	Maps       []*Map                `json:",omitempty"`
	Geos       []*Geo                `json:",omitempty"`
	Splits     []*SplitClients       `json:",omitempty"`
	// Srv holds the stream-level values of the inherited settings.
	Srv StreamSrv
}

// StreamSrv is the per-server settings that stream-level directives
// give every server that does not set its own (nil: not written here).
type StreamSrv struct {
	PrereadBufferSize    *int64         `json:",omitempty"`
	PrereadTimeout       *time.Duration `json:",omitempty"`
	ProxyProtocolTimeout *time.Duration `json:",omitempty"`
	TCPNodelay           *bool          `json:",omitempty"`
	ResolverTimeout      *time.Duration `json:",omitempty"`
	Resolver             *Resolver      `json:",omitempty"`

	ProxyConnectTimeout      *time.Duration `json:",omitempty"`
	ProxyTimeout             *time.Duration `json:",omitempty"`
	ProxyNextUpstream        *bool          `json:",omitempty"`
	ProxyNextUpstreamTries   *int           `json:",omitempty"`
	ProxyNextUpstreamTimeout *time.Duration `json:",omitempty"`
	ProxyProtocol            *bool          `json:",omitempty"`
	ProxyDownloadRate        *Template      `json:",omitempty"` // a size, may have variables
	ProxyUploadRate          *Template      `json:",omitempty"`
	ProxyResponses           *int           `json:",omitempty"`
	ProxyRequests            *int           `json:",omitempty"`
	ProxyHalfClose           *bool          `json:",omitempty"`
	ProxyBufferSize          *int64         `json:",omitempty"`
	ProxySSL                 *bool          `json:",omitempty"`
	ProxyBind                *Bind          `json:",omitempty"` // upstreamconf.go's, as http's proxy_bind
	ProxySocketKeepalive     *bool          `json:",omitempty"`
	// ProxyTLS holds proxy_ssl_* in http's model; only its SSL fields
	// are written.
	ProxyTLS ProxyLoc

	SSLPreread *bool `json:",omitempty"`
	// SSL is ngx_stream_ssl_module's (the http module's model).
	SSL                 SSLSrv
	SSLHandshakeTimeout *time.Duration `json:",omitempty"`
	SSLALPN             []string       `json:",omitempty"`
	// LimitConn are limit_conn; nil means none written at this level.
	LimitConn         []*LimitConn `json:",omitempty"`
	LimitConnLogLevel *Level       `json:",omitempty"`
	LimitConnDryRun   *bool        `json:",omitempty"`
	// Access is allow/deny; nil means none written at this level.
	Access []*AccessRule `json:",omitempty"`
	// AccessLogs nil: not written; empty: access_log off.
	AccessLogs []*AccessLog `json:",omitempty"`
	ErrorLogs  []*ErrorLog  `json:",omitempty"`
	// LogFileCache is open_log_file_cache (Max 0: off), for the access
	// logs whose paths have variables.
	LogFileCache *LogFileCache `json:",omitempty"`
}

// StreamServer is one server block of stream.
type StreamServer struct {
	File    string `json:"-"`
	Line    int
	Listens []*StreamListen
	Srv     StreamSrv
	// Content: at most one of ProxyPass, Return and Pass.
	ProxyPass *Template `json:",omitempty"`
	Return    *Template `json:",omitempty"`
	// Pass is ngx_stream_pass_module's address (host:port or unix:path).
	Pass *Template `json:",omitempty"`
	// RealIPFrom are set_real_ip_from (ngx_stream_realip_module).
	RealIPFrom []*AccessRule `json:",omitempty"`
	// Sets are the set directives, in order (ngx_stream_set_module).
	Sets []*StreamSet `json:",omitempty"`
}

// StreamSet is "set $name value".
type StreamSet struct {
	Name  string
	Value *Template
}

// StreamListen is one listen of a stream server.
type StreamListen struct {
	Addr          string   // host:port, or the unix path
	Network       string   // tcp, udp, unix
	SSL           bool     `json:",omitempty"`
	ProxyProtocol bool     `json:",omitempty"`
	ReusePort     bool     `json:",omitempty"`
	Backlog       int      `json:",omitempty"`
	Sock          SockOpts `json:",omitempty"` // rcvbuf=, sndbuf=, so_keepalive=
	File          string   `json:"-"`
	Line          int
}

const (
	// CtxStreamServer and CtxStreamUpstream are the blocks inside
	// stream; CtxStream alone is the stream block itself.
	ctxStreamMS = CtxStream | CtxStreamServer
)

// streamSrv picks a field of the frame's stream-level or server-level
// settings.
func streamSrv[T any](get func(*StreamSrv) **T) func(*frame) **T {
	return func(f *frame) **T { return get(f.streamSrv) }
}

func init() {
	register("ngx_stream_core_module",
		&Directive{Name: "stream", Ctx: CtxMain, Args: Args0, Block: true, set: setStream},
		&Directive{Name: "server", Ctx: CtxStream, Args: Args0, Block: true, set: setStreamServer},
		&Directive{Name: "listen", Ctx: CtxStreamServer, Args: Args1More, set: setStreamListen},
		&Directive{Name: "preread_buffer_size", Ctx: ctxStreamMS, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **int64 { return &c.PrereadBufferSize }), sizeArg)},
		&Directive{Name: "preread_timeout", Ctx: ctxStreamMS, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **time.Duration { return &c.PrereadTimeout }), msecArg)},
		&Directive{Name: "proxy_protocol_timeout", Ctx: ctxStreamMS, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **time.Duration { return &c.ProxyProtocolTimeout }), msecArg)},
		&Directive{Name: "tcp_nodelay", Ctx: ctxStreamMS, Args: ArgsFlag, set: slot(streamSrv(func(c *StreamSrv) **bool { return &c.TCPNodelay }), flagArg)},
		&Directive{Name: "resolver_timeout", Ctx: ctxStreamMS, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **time.Duration { return &c.ResolverTimeout }), secArg)},
		&Directive{Name: "resolver", Ctx: ctxStreamMS, Args: Args1More, set: setStreamResolver},
		&Directive{Name: "variables_hash_max_size", Ctx: CtxStream, Args: Args1, Status: NoOp, set: numCheck,
			Note: "goproxy's variable table is not a hash of fixed size"},
		&Directive{Name: "variables_hash_bucket_size", Ctx: CtxStream, Args: Args1, Status: NoOp, set: numCheck,
			Note: "goproxy's variable table is not a hash of fixed size"},
		&Directive{Name: "error_log", Ctx: ctxStreamMS, Args: Args1More, set: setStreamErrorLog},
	)
	builtinModules["ngx_stream_module.so"] = true
}

// numCheck validates a number argument that goproxy has no use for.
func numCheck(b *builder, f *frame, s *Stmt) error {
	if n, err := strconv.Atoi(s.Args[0]); err != nil || n < 0 {
		return invalidValue(s)
	}
	return nil
}

func setStream(b *builder, f *frame, s *Stmt) error {
	if b.cfg.Stream != nil {
		return dupErr(s)
	}
	sc := &StreamConf{LogFormats: map[string]*LogFormat{}}
	b.streamDefined = map[string]bool{}
	b.cfg.Stream = sc
	b.inStream = true
	streamBuilding.Store(true)
	defer func() { b.inStream = false; streamBuilding.Store(false) }()
	// The ssl directives are http's: they write the SSL of a server
	// configuration, here one standing for the stream level.
	holder := &SrvConf{}
	lholder := &Loc{}
	nf := &frame{ctx: CtxStream, main: f.main, stream: sc, streamSrv: &sc.Srv, srvConf: holder, loc: lholder}
	err := b.walk(nf, s.Block)
	sc.Srv.SSL, sc.Srv.ProxyTLS = holder.SSL, lholder.Proxy
	return err
}

func setStreamServer(b *builder, f *frame, s *Stmt) error {
	srv := &StreamServer{File: s.File, Line: s.Line}
	f.stream.Servers = append(f.stream.Servers, srv)
	nf := *f
	holder := &SrvConf{}
	lholder := &Loc{}
	nf.ctx, nf.streamServer, nf.streamSrv, nf.srvConf, nf.loc = CtxStreamServer, srv, &srv.Srv, holder, lholder
	err := b.walk(&nf, s.Block)
	srv.Srv.SSL, srv.Srv.ProxyTLS = holder.SSL, lholder.Proxy
	if err != nil {
		return err
	}
	if srv.ProxyPass == nil && srv.Return == nil && srv.Pass == nil {
		return &Diag{Level: LevelEmerg, Msg: "no handler for server in " + shortPos(s), File: s.File, Line: s.Line}
	}
	return nil
}

// shortPos is nginx's "file:line" for messages that name a block.
func shortPos(s *Stmt) string { return s.File + ":" + strconv.Itoa(s.Line) }

func setStreamListen(b *builder, f *frame, s *Stmt) error {
	v := s.Args[0]
	l := &StreamListen{Network: "tcp", File: s.File, Line: s.Line}
	var addrs []string
	if strings.HasPrefix(v, "unix:") {
		if v == "unix:" {
			return errf(s, "no path in the unix domain socket in %q of the \"listen\" directive", v)
		}
		addrs, l.Network = []string{v[5:]}, "unix"
	} else {
		var err error
		addrs, _, _, err = parseListenAddr(v)
		if err != nil {
			return errf(s, "%s", err.Error())
		}
	}
	for _, a := range s.Args[1:] {
		name, val, hasVal := strings.Cut(a, "=")
		switch {
		case a == "udp":
			if l.Network == "tcp" {
				l.Network = "udp"
			}
		case a == "ssl":
			l.SSL = true
		case a == "proxy_protocol":
			l.ProxyProtocol = true
		case a == "reuseport":
			l.ReusePort = true
		case a == "bind":
		case name == "backlog" && hasVal:
			n, err := strconv.Atoi(val)
			if err != nil || n == 0 {
				return errf(s, "invalid backlog %q", a)
			}
			l.Backlog = n
		case (name == "rcvbuf" || name == "sndbuf" || name == "so_keepalive") && hasVal:
			if err := l.Sock.set(name, val); err != nil {
				return errf(s, "%s", err.Error())
			}
		case name == "ipv6only" && hasVal:
			if val != "on" && val != "off" {
				return errf(s, "invalid ipv6only flags %q", a)
			}
		case name == "fastopen" && hasVal:
		default:
			return errf(s, "the invalid %q parameter", a)
		}
	}
	if l.Network == "udp" && l.SSL {
		return errf(s, "\"ssl\" parameter is incompatible with \"udp\"")
	}
	for _, a := range addrs {
		nl := *l
		nl.Addr = a
		for _, srv := range f.stream.Servers {
			for _, o := range srv.Listens {
				if o.Addr == nl.Addr && (o.Network == "udp") == (nl.Network == "udp") {
					return errf(s, "duplicate \"%s\" address and port pair", v)
				}
			}
		}
		f.streamServer.Listens = append(f.streamServer.Listens, &nl)
	}
	return nil
}

func setStreamResolver(b *builder, f *frame, s *Stmt) error {
	if f.streamSrv.Resolver != nil {
		return dupErr(s)
	}
	r, err := parseResolver(s)
	if err != nil {
		return err
	}
	f.streamSrv.Resolver = r
	return nil
}

func setStreamErrorLog(b *builder, f *frame, s *Stmt) error {
	// The level checks are error_log's own; the file is opened by the
	// main level's log when it is the same, else by the stream runtime.
	el, err := parseErrorLog(b, s)
	if err != nil {
		return err
	}
	f.streamSrv.ErrorLogs = append(f.streamSrv.ErrorLogs, el)
	return nil
}

// finishStream merges the stream-level settings into each server and
// checks what nginx checks once the stream block is read.
func (b *builder) finishStream() error {
	sc := b.cfg.Stream
	for _, srv := range sc.Servers {
		mergeStreamSrv(&srv.Srv, &sc.Srv)
		for _, l := range srv.Listens {
			if l.SSL && len(srv.Srv.SSL.Certificates) == 0 {
				return &Diag{Level: LevelEmerg, Msg: "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive", File: l.File, Line: l.Line}
			}
		}
		if len(srv.Listens) == 0 {
			return &Diag{Level: LevelEmerg, Msg: "no \"listen\" is defined for server in " + srv.File + ":" + strconv.Itoa(srv.Line)}
		}
	}
	for _, srv := range sc.Servers {
		for _, lc := range srv.Srv.LimitConn {
			if !slices.ContainsFunc(sc.LimitZones, func(z *LimitZone) bool { return z.Name == lc.Zone }) {
				return &Diag{Level: LevelEmerg, Msg: nginxf("zero size shared memory zone %q", lc.Zone)}
			}
		}
	}
	if err := checkUpstreamServers(sc.Upstreams); err != nil {
		return err
	}
	return checkZonesSized(sc.Upstreams)
}

// mergeStreamSrv fills each setting a server left unset from the
// stream level, then from nginx's defaults for the ssl ones.
func mergeStreamSrv(c, p *StreamSrv) {
	mergeInto(c, p)
	mergeInto(&c.SSL, &defaultSrv().SSL)
	d := upstreamSSLDefaults()
	mergeInto(&c.ProxyTLS.UpstreamSSL, &d)
}

// Stream variables: a namespace of their own, declared by package stream.
var (
	streamVars        = map[string]bool{}
	streamVarPrefixes []string
)

// DeclareStreamVariable records that the stream runtime evaluates the
// variable name (a family when it ends in "_"). Only init functions call it.
func DeclareStreamVariable(name string) {
	if strings.HasSuffix(name, "_") {
		streamVarPrefixes = append(streamVarPrefixes, name)
		return
	}
	streamVars[name] = true
}

// checkStreamVars refuses stream variables nobody defines, as nginx does
// at the end of its stream block.
func (b *builder) checkStreamVars() error {
	names := make([]string, 0, len(b.streamUsed))
	for n := range b.streamUsed {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if streamVars[n] || b.streamDefined[n] {
			continue
		}
		if slices.ContainsFunc(streamVarPrefixes, func(p string) bool { return strings.HasPrefix(n, p) }) {
			continue
		}
		if streamOnlyNginx[n] {
			return errf(b.streamUsed[n], "variable \"$%s\" is not supported by goproxy", n)
		}
		return &Diag{Level: LevelEmerg, Msg: nginxf("unknown %q variable", n)}
	}
	return nil
}

// streamOnlyNginx are nginx's stream variables of modules goproxy lacks.
var streamOnlyNginx = map[string]bool{
	"ssl_protocol": true, "ssl_cipher": true, "ssl_ciphers": true, "ssl_server_name": true,
	"ssl_session_id": true, "ssl_session_reused": true, "ssl_client_verify": true,
	"ssl_client_s_dn": true, "ssl_client_i_dn": true, "ssl_client_cert": true,
	"ssl_alpn_protocol": true, "geoip_country_code": true,
}
