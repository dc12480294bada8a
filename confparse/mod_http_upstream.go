package confparse

// mod_http_upstream.go: ngx_http_upstream_module and its balancers
// (hash, ip_hash, least_conn, random, keepalive, zone).

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Upstream is an upstream block.
type Upstream struct {
	Name       string
	File       string `json:"-"`
	Line       int
	Servers    []*UpstreamServer
	Balance    string    `json:",omitempty"` // "" (weighted round robin), least_conn, ip_hash, hash, random
	HashKey    *Template `json:",omitempty"`
	Consistent bool      `json:",omitempty"`
	RandomTwo  bool      `json:",omitempty"`
	// Keepalive is the number of idle connections kept per upstream.
	Keepalive         int            `json:",omitempty"`
	KeepaliveRequests *int           `json:",omitempty"`
	KeepaliveTimeout  *time.Duration `json:",omitempty"`
	KeepaliveTime     *time.Duration `json:",omitempty"`
	Zone              string         `json:",omitempty"`
	ZoneSize          int64          `json:",omitempty"`
}

// UpstreamServer is one server in an upstream block.
type UpstreamServer struct {
	Addr string // host:port as written (port added if missing), or "unix:/path"
	// Name is the address exactly as written: "hash ... consistent"
	// places a server on its ring by it, as nginx does.
	Name        string `json:",omitempty"`
	Weight      int
	MaxFails    int
	FailTimeout time.Duration
	MaxConns    int  `json:",omitempty"`
	Backup      bool `json:",omitempty"`
	Down        bool `json:",omitempty"`
}

func init() {
	register("ngx_http_upstream_module",
		&Directive{Name: "upstream", Ctx: CtxHTTP, Args: Args1, Block: true, set: setUpstream},
		&Directive{Name: "server", Ctx: CtxUpstream, Args: Args1More, set: setUpstreamServer},
		&Directive{Name: "hash", Ctx: CtxUpstream, Args: Args12, set: setBalance},
		&Directive{Name: "ip_hash", Ctx: CtxUpstream, Args: Args0, set: setBalance},
		&Directive{Name: "least_conn", Ctx: CtxUpstream, Args: Args0, set: setBalance},
		&Directive{Name: "random", Ctx: CtxUpstream, Args: Args0 | Args12, set: setBalance},
		&Directive{Name: "keepalive", Ctx: CtxUpstream, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			if f.ups.Keepalive != 0 {
				return dupErr(s)
			}
			n, err := strconv.Atoi(s.Args[0])
			if err != nil || n <= 0 {
				return errf(s, "invalid value %q in %q directive", s.Args[0], s.Name)
			}
			f.ups.Keepalive = n
			return nil
		}},
		&Directive{Name: "keepalive_requests", Ctx: CtxUpstream, Args: Args1, set: slot(func(f *frame) **int { return &f.ups.KeepaliveRequests }, numArg)},
		&Directive{Name: "keepalive_timeout", Ctx: CtxUpstream, Args: Args1, set: slot(func(f *frame) **time.Duration { return &f.ups.KeepaliveTimeout }, msecArg)},
		&Directive{Name: "keepalive_time", Ctx: CtxUpstream, Args: Args1, set: slot(func(f *frame) **time.Duration { return &f.ups.KeepaliveTime }, msecArg)},
		&Directive{Name: "zone", Ctx: CtxUpstream, Args: Args12, Status: NoOp, set: setUpstreamZone,
			Note: "goproxy is one process: upstream state is always shared"},
	)
}

func setUpstream(b *builder, f *frame, s *Stmt) error {
	return upstreamBlock(b, f, s, &f.http.Upstreams, CtxUpstream)
}

// upstreamBlock reads an upstream block of http or stream into list,
// with nginx's checks on the block: a unique name, at least a server.
func upstreamBlock(b *builder, f *frame, s *Stmt, list *[]*Upstream, ctx Ctx) error {
	name := s.Args[0]
	for _, u := range *list {
		if u.Name == name {
			return errf(s, "duplicate upstream %q", name)
		}
	}
	u := &Upstream{Name: name, File: s.File, Line: s.Line}
	*list = append(*list, u)
	nf := *f
	nf.ctx, nf.ups = ctx, u
	if err := b.walk(&nf, s.Block); err != nil {
		return err
	}
	if len(u.Servers) == 0 {
		// nginx checks when the block is read: the line of its "}".
		end := *s
		if end.EndLine != 0 {
			end.Line = end.EndLine
		}
		return errf(&end, "no servers are inside upstream")
	}
	return nil
}

func setUpstreamServer(b *builder, f *frame, s *Stmt) error {
	us := &UpstreamServer{Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}
	addr := s.Args[0]
	if !strings.HasPrefix(addr, "unix:") {
		if _, port, ok := splitHostPort(addr); !ok {
			addr += ":80"
		} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return errf(s, "invalid port in upstream %q", s.Args[0])
		}
	}
	if addr == "unix:" {
		return errf(s, "no path in the unix domain socket in upstream %q", addr)
	}
	us.Addr, us.Name = addr, s.Args[0]
	for _, a := range s.Args[1:] {
		k, v, _ := strings.Cut(a, "=")
		var err error
		switch k {
		case "weight":
			us.Weight, err = strconv.Atoi(v)
			if us.Weight <= 0 {
				err = strconv.ErrRange
			}
		case "max_fails":
			us.MaxFails, err = strconv.Atoi(v)
		case "max_conns":
			us.MaxConns, err = strconv.Atoi(v)
		case "fail_timeout":
			d, ok := ParseTime(v, false)
			if !ok {
				err = strconv.ErrSyntax
			}
			us.FailTimeout = d
		case "backup":
			us.Backup = true
		case "down":
			us.Down = true
		default:
			return errf(s, "invalid parameter %q", a)
		}
		if err != nil {
			return errf(s, "invalid parameter %q", a)
		}
	}
	if us.Backup && !backupBalance(f.ups.Balance) {
		return errf(s, "balancing method does not support parameter \"backup\"")
	}
	f.ups.Servers = append(f.ups.Servers, us)
	return nil
}

// backupBalance says whether a balancing method has backup servers.
func backupBalance(method string) bool { return method == "" || method == "least_conn" }

// setBalance sets the balancing method. Only the servers that follow are
// checked against it: backup servers written before a method without
// backups are never used, as in nginx, and are dropped when the block
// ends.
func setBalance(b *builder, f *frame, s *Stmt) error {
	if f.ups.Balance != "" {
		b.warn(s, "load balancing method redefined")
	}
	f.ups.Balance, f.ups.HashKey, f.ups.Consistent, f.ups.RandomTwo = s.Name, nil, false, false
	switch s.Name {
	case "hash":
		t, err := b.tmpl(s, s.Args[0])
		if err != nil {
			return err
		}
		f.ups.HashKey = t
		if len(s.Args) == 2 {
			if s.Args[1] != "consistent" {
				return errf(s, "invalid parameter %q", s.Args[1])
			}
			f.ups.Consistent = true
		}
	case "random":
		if len(s.Args) > 0 {
			if s.Args[0] != "two" {
				return errf(s, "invalid parameter %q", s.Args[0])
			}
			f.ups.RandomTwo = true
			if len(s.Args) == 2 && s.Args[1] != "least_conn" {
				return errf(s, "invalid parameter %q", s.Args[1])
			}
		}
	}
	return nil
}

// minZoneSize is nginx's smallest shared memory zone: eight pages.
var minZoneSize = int64(8 * os.Getpagesize())

func setUpstreamZone(b *builder, f *frame, s *Stmt) error {
	var other []*Upstream
	if b.cfg.Stream != nil {
		other = b.cfg.Stream.Upstreams
	}
	return upstreamZone(f.ups, f.http.Upstreams, other, s)
}

// upstreamZone is the zone line of an http or stream upstream: nginx's
// shared memory zones are one namespace, so a name the other module's
// upstreams use is refused, and one sized twice must be sized alike.
func upstreamZone(u *Upstream, same, other []*Upstream, s *Stmt) error {
	u.Zone, u.ZoneSize = s.Args[0], 0
	for _, o := range other {
		if o.Zone == s.Args[0] {
			return errf(s, "the shared memory zone %q is already declared for a different use", s.Args[0])
		}
	}
	if len(s.Args) == 1 {
		return nil
	}
	n, ok := ParseSize(s.Args[1])
	if !ok {
		return errf(s, "invalid zone size %q", s.Args[1])
	}
	if n < minZoneSize {
		return errf(s, "zone %q is too small", s.Args[0])
	}
	for _, o := range same {
		if o != u && o.Zone == s.Args[0] && o.ZoneSize != 0 && o.ZoneSize != n {
			return errf(s, "the size %d of shared memory zone %q conflicts with already declared size %d", n, s.Args[0], o.ZoneSize)
		}
	}
	u.ZoneSize = n
	return nil
}

// checkUpstreams makes the checks nginx makes once the http block is
// read: every upstream needs a server that is not a backup, and every
// zone a size somewhere.
func (b *builder) checkUpstreams() error {
	if err := checkUpstreamServers(b.cfg.HTTP.Upstreams); err != nil {
		return err
	}
	for _, p := range b.portless {
		if !slices.ContainsFunc(b.cfg.HTTP.Upstreams, func(u *Upstream) bool { return strings.EqualFold(u.Name, p.host) }) {
			return errf(p.s, "no port in upstream %q", p.host)
		}
	}
	return checkZonesSized(b.cfg.HTTP.Upstreams)
}

// checkUpstreamServers drops backups where the balancer has none and
// wants a server that is not a backup in every upstream, http or stream.
func checkUpstreamServers(ups []*Upstream) error {
	for _, u := range ups {
		if !backupBalance(u.Balance) {
			u.Servers = slices.DeleteFunc(u.Servers, func(us *UpstreamServer) bool { return us.Backup })
		}
		if !slices.ContainsFunc(u.Servers, func(us *UpstreamServer) bool { return !us.Backup }) {
			return &Diag{Level: LevelEmerg, Msg: nginxf("no servers in upstream %q", u.Name), File: u.File, Line: u.Line}
		}
	}
	return nil
}

// checkZonesSized is nginx's check when it creates the zones: a zone
// no upstream gave a size has none.
func checkZonesSized(ups []*Upstream) error {
	sized := map[string]bool{}
	for _, u := range ups {
		if u.ZoneSize != 0 {
			sized[u.Zone] = true
		}
	}
	for _, u := range ups {
		if u.Zone != "" && !sized[u.Zone] {
			return &Diag{Level: LevelEmerg, Msg: nginxf("zero size shared memory zone %q", u.Zone)}
		}
	}
	return nil
}
