package confparse

// model.go is the typed configuration: what every other package consumes.
// It holds no nginx text that needs parsing again: addresses are split,
// sizes and times converted, regexes compiled, variables pre-split.
//
// Location-level settings live in Loc, one struct per nginx module, as in
// nginx's per-module location configurations. A Loc exists at the http,
// server, location, "if" and "limit_except" levels; after loading, each is
// merged with the one around it (merge.go), so consumers read the final
// value at the place the request ends up.

import (
	"time"
)

// Config is a loaded, validated configuration.
type Config struct {
	Path       string       // the main file, absolute
	Prefix     string       // nginx's -p prefix, with a trailing slash
	ConfPrefix string       // directory of Path, with a trailing slash
	Files      []SourceFile `json:"-"` // every file read, in order, for -T
	Main       *MainConf
	HTTP       *HTTPConf   `json:",omitempty"`
	Stream     *StreamConf `json:",omitempty"`
	Warnings   []*Diag     `json:",omitempty"`
	// Regexes lists every regex compiled at load, for "goproxy -T".
	Regexes []RegexSite `json:"-"`
}

// MainConf holds the top-level (core module) settings.
type MainConf struct {
	PID                   string // absolute path; "" means no pid file
	ErrorLogs             []*ErrorLog
	Daemon                *bool
	MasterProcess         *bool
	WorkerShutdownTimeout *time.Duration `json:",omitempty"`
	Env                   []string       `json:",omitempty"`
	LogJSON               bool           `json:",omitempty"` // goproxy_log_format json
	// User is who serves requests when started as root (user.go).
	User *User `json:"-"` // depends on who loads it, so not in the dump
	// WorkerProcesses is worker_processes (WorkerProcessesAuto for
	// "auto"); nil means 1. It only scales the connection cap.
	WorkerProcesses *int `json:",omitempty"`
	Events          *EventsConf
}

// EventsConf holds the events block: worker_connections and
// accept_mutex_delay are honoured (by package process), the rest
// validated and kept for the dump.
type EventsConf struct {
	WorkerConnections *int           `json:",omitempty"`
	AcceptMutexDelay  *time.Duration `json:",omitempty"`
	Use               string         `json:",omitempty"`
}

// ErrorLog is one error_log target.
type ErrorLog struct {
	Path  string // absolute path, "stderr", or the whole "syslog:..." target
	Level Level
	// Syslog is set for a "syslog:" target.
	Syslog *Syslog `json:",omitempty"`
}

// HTTPConf is the http block.
type HTTPConf struct {
	Srv         *SrvConf // server-level defaults (merged into each server)
	Loc         *Loc     // location-level defaults (merged downwards)
	Servers     []*Server
	Upstreams   []*Upstream           `json:",omitempty"`
	Maps        []*Map                `json:",omitempty"`
	Geos        []*Geo                `json:",omitempty"`
	Splits      []*SplitClients       `json:",omitempty"`
	LimitZones  []*LimitZone          `json:",omitempty"`
	CacheZones  []*CacheZone          `json:",omitempty"` // *_cache_path
	LogFormats  map[string]*LogFormat `json:",omitempty"`
	CharsetMaps []*CharsetMap         `json:",omitempty"`
	Acme        AcmeHTTP              `json:",omitempty"`
	// CharsetNames are the charsets named without variables, each in
	// the spelling first read: nginx sends that spelling.
	CharsetNames []string `json:",omitempty"`
	// Vars names every variable defined by set, map, geo, regex captures.
	Vars map[string]bool `json:"-"`
}

// SrvConf holds settings nginx keeps per server (NGX_HTTP_SRV_CONF),
// which may also be written at http level.
type SrvConf struct {
	ClientHeaderTimeout      *time.Duration `json:",omitempty"`
	ClientHeaderBufferSize   *int64         `json:",omitempty"`
	LargeClientHeaderBuffers *BufSpec       `json:",omitempty"`
	IgnoreInvalidHeaders     *bool          `json:",omitempty"`
	MergeSlashes             *bool          `json:",omitempty"`
	UnderscoresInHeaders     *bool          `json:",omitempty"`
	MaxHeaders               *int           `json:",omitempty"`
	SSL                      SSLSrv
	HTTP2                    HTTP2Srv
	HTTP3                    HTTP3Srv
	// Acme is acme_certificate, of the server itself (never inherited).
	Acme []*AcmeCert `json:",omitempty" merge:"-"`
}

// BufSpec is "number size", as in large_client_header_buffers 4 8k.
type BufSpec struct {
	Num  int
	Size int64
}

// Server is one server block.
type Server struct {
	File      string
	Line      int
	Listens   []*Listen
	Names     []*ServerName
	Srv       *SrvConf
	Loc       *Loc
	Locations []*Location
}

// Listen is one listen directive, address resolved.
type Listen struct {
	Network       string   // "tcp", "unix", or "udp" for "listen ... quic"
	Addr          string   // "0.0.0.0:80", "[::]:80", "127.0.0.1:8080", or a socket path
	Port          int      `json:",omitempty"`
	DefaultServer bool     `json:",omitempty"`
	SSL           bool     `json:",omitempty"`
	HTTP2         bool     `json:",omitempty"`
	ProxyProtocol bool     `json:",omitempty"`
	IPv6Only      bool     `json:",omitempty"`
	ReusePort     bool     `json:",omitempty"`
	Backlog       int      `json:",omitempty"`
	Sock          SockOpts `json:",omitempty"` // rcvbuf=, sndbuf=, so_keepalive=
	Implicit      bool     `json:",omitempty"` // no listen written: nginx's default
	File          string   `json:"-"`
	Line          int      `json:"-"`
}

// Key names the listen socket: a quic listen is a UDP socket beside the
// TCP one of the same address, with its own servers.
func (l *Listen) Key() string {
	if l.Network == "udp" {
		return l.Addr + " quic"
	}
	return l.Addr
}

// NameKind says how a server name matches.
type NameKind int

// Server name kinds, in nginx's matching order.
const (
	NameExact NameKind = iota
	NameWildcardPrefix
	NameWildcardSuffix
	NameRegex
)

// ServerName is one server_name entry.
type ServerName struct {
	Name  string // lower-cased; for wildcards without the "*." / ".*" part
	Kind  NameKind
	Regex *Regexp `json:",omitempty"`
	// Dot marks ".example.com", which is also the exact name.
	Dot bool `json:",omitempty"`
}

// Location is a location block.
type Location struct {
	Modifier  string // "", "=", "^~", "~", "~*" or "@"
	Pattern   string
	Regex     *Regexp `json:",omitempty"`
	File      string  `json:"-"`
	Line      int
	Conf      *Loc
	Locations []*Location `json:",omitempty"`
	Parent    *Location   `json:"-"`
}

// Name is the location as written, e.g. "~* \.png$" or "/static/".
func (l *Location) Name() string {
	if l.Modifier == "" || l.Modifier == "@" {
		return l.Modifier + l.Pattern
	}
	return l.Modifier + " " + l.Pattern
}

// Loc is every location-level setting, grouped by nginx module.
type Loc struct {
	Core        CoreLoc
	Index       IndexLoc
	Autoindex   AutoindexLoc
	Rewrite     RewriteLoc
	Headers     HeadersLoc
	Proxy       ProxyLoc
	Log         LogLoc
	Gzip        GzipLoc
	Charset     CharsetLoc
	Addition    AdditionLoc
	SSI         SSILoc
	Access      AccessLoc
	Limit       LimitLoc
	Goproxy     GoproxyLoc
	AuthBasic   AuthBasicLoc
	AuthReq     AuthRequestLoc
	RealIP      RealIPLoc
	Status      StatusLoc
	FastCGI     FastCGILoc
	SCGI        SCGILoc
	UWSGI       UWSGILoc
	Memcached   MemcachedLoc
	GRPC        GRPCLoc
	Referer     RefererLoc
	Flv         FlvLoc
	Mp4         Mp4Loc
	EmptyGif    EmptyGifLoc
	RandomIndex RandomIndexLoc
	Dav         DavLoc
	Sub         SubLoc
	SecureLink  SecureLinkLoc
	Userid      UseridLoc
	Mirror      MirrorLoc
	Browser     BrowserLoc
	Slice       SliceLoc
	HTTP2       HTTP2Loc
}

// HasUpstream says the location's content comes from an upstream:
// proxy_pass, or a FastCGI, SCGI, uwsgi, memcached or gRPC pass. nginx treats them
// alike (the redirect of a prefix location's URI without its slash).
func (l *Loc) HasUpstream() bool {
	return l.Proxy.Pass != nil || l.FastCGI.Pass != nil || l.SCGI.Pass != nil || l.UWSGI.Pass != nil ||
		l.Memcached.Pass != nil || l.GRPC.Pass != nil
}

// EachLoc visits every Loc of the http block, the one walker of the
// tree for the packages that build run-time state per location: the
// http and server levels, every location at any depth, and the blocks
// nginx gives their own configuration inside one (if, limit_except).
func (c *Config) EachLoc(visit func(*Loc)) {
	if c.HTTP == nil {
		return
	}
	var inLoc func(l *Loc)
	inLoc = func(l *Loc) {
		visit(l)
		for _, op := range l.Rewrite.Script {
			if op.Kind == "if" {
				inLoc(op.Conf)
			}
		}
		if le := l.Core.LimitExcept; le != nil {
			inLoc(le.Conf)
		}
	}
	var walk func(ls []*Location)
	walk = func(ls []*Location) {
		for _, l := range ls {
			inLoc(l.Conf)
			walk(l.Locations)
		}
	}
	inLoc(c.HTTP.Loc)
	for _, s := range c.HTTP.Servers {
		inLoc(s.Loc)
		walk(s.Locations)
	}
}
