package confparse

// mod_http_limit_req.go: ngx_http_limit_req_module and
// ngx_http_limit_conn_module.

import (
	"strconv"
	"strings"
)

// LimitZone is a limit_req_zone or limit_conn_zone.
type LimitZone struct {
	Name string
	Key  *Template
	Size int64
	// Rate is requests per second times 1000 (nginx keeps milli-requests);
	// 0 for limit_conn zones.
	Rate int64
	// PerMinute says the rate was written in r/m, for the dump.
	PerMinute bool `json:",omitempty"`
	Conn      bool `json:",omitempty"`
	File      string
	Line      int
}

// LimitReq is one limit_req.
type LimitReq struct {
	Zone    string
	Burst   int
	NoDelay bool `json:",omitempty"`
	Delay   int  `json:",omitempty"`
}

// LimitConn is one limit_conn.
type LimitConn struct {
	Zone string
	Max  int
}

// LimitLoc is the limit modules' location-level configuration.
type LimitLoc struct {
	Req          []*LimitReq  `json:",omitempty"`
	ReqStatus    *int         `json:",omitempty"`
	ReqLogLevel  *Level       `json:",omitempty"`
	ReqDryRun    *bool        `json:",omitempty"`
	Conn         []*LimitConn `json:",omitempty"`
	ConnStatus   *int         `json:",omitempty"`
	ConnLogLevel *Level       `json:",omitempty"`
	ConnDryRun   *bool        `json:",omitempty"`
}

func limitLoc[T any](get func(*LimitLoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.Limit) })
}

func init() {
	register("ngx_http_limit_req_module",
		&Directive{Name: "limit_req_zone", Ctx: CtxHTTP, Args: Args3 | Args4, set: setLimitZone},
		&Directive{Name: "limit_req", Ctx: httpMSL, Args: Args123, set: setLimitReq},
		&Directive{Name: "limit_req_status", Ctx: httpMSL, Args: Args1, set: slot(limitLoc(func(l *LimitLoc) **int { return &l.ReqStatus }), limitStatusArg)},
		&Directive{Name: "limit_req_log_level", Ctx: httpMSL, Args: Args1, set: slot(limitLoc(func(l *LimitLoc) **Level { return &l.ReqLogLevel }), limitLevelArg)},
		&Directive{Name: "limit_req_dry_run", Ctx: httpMSL, Args: ArgsFlag, set: slot(limitLoc(func(l *LimitLoc) **bool { return &l.ReqDryRun }), flagArg)},
	)
	register("ngx_http_limit_conn_module",
		&Directive{Name: "limit_conn_zone", Ctx: CtxHTTP, Args: Args2, set: setLimitZone},
		&Directive{Name: "limit_conn", Ctx: httpMSL, Args: Args2, set: setLimitConn},
		&Directive{Name: "limit_conn_status", Ctx: httpMSL, Args: Args1, set: slot(limitLoc(func(l *LimitLoc) **int { return &l.ConnStatus }), limitStatusArg)},
		&Directive{Name: "limit_conn_log_level", Ctx: httpMSL, Args: Args1, set: slot(limitLoc(func(l *LimitLoc) **Level { return &l.ConnLogLevel }), limitLevelArg)},
		&Directive{Name: "limit_conn_dry_run", Ctx: httpMSL, Args: ArgsFlag, set: slot(limitLoc(func(l *LimitLoc) **bool { return &l.ConnDryRun }), flagArg)},
	)
}

func limitStatusArg(b *builder, s *Stmt) (int, error) {
	n, err := strconv.Atoi(s.Args[0])
	if err != nil {
		return 0, errf(s, "invalid value %q", s.Args[0])
	}
	if n < 400 || n > 599 {
		return 0, errf(s, "value must be between 400 and 599")
	}
	return n, nil
}

func limitLevelArg(b *builder, s *Stmt) (Level, error) {
	switch s.Args[0] {
	case "info":
		return LevelInfo, nil
	case "notice":
		return LevelNotice, nil
	case "warn":
		return LevelWarn, nil
	case "error":
		return LevelError, nil
	}
	return 0, errf(s, "invalid value %q", s.Args[0])
}

func setLimitZone(b *builder, f *frame, s *Stmt) error {
	z, err := parseLimitZone(b, s)
	if err != nil {
		return err
	}
	for _, o := range f.http.LimitZones {
		if o.Name == z.Name && o.Conn == z.Conn {
			return errf(s, "duplicate zone %q", z.Name)
		}
	}
	f.http.LimitZones = append(f.http.LimitZones, z)
	return nil
}

// parseLimitZone reads limit_req_zone / limit_conn_zone, in http or stream.
func parseLimitZone(b *builder, s *Stmt) (*LimitZone, error) {
	z := &LimitZone{Conn: s.Name == "limit_conn_zone", File: s.File, Line: s.Line}
	key, err := b.tmpl(s, s.Args[0])
	if err != nil {
		return nil, err
	}
	z.Key = key
	for _, a := range s.Args[1:] {
		switch {
		case strings.HasPrefix(a, "zone="):
			name, size, ok := strings.Cut(a[5:], ":")
			n, sok := ParseSize(size)
			if !ok || name == "" || !sok {
				return nil, errf(s, "invalid zone size %q", a)
			}
			if n < 8192 {
				return nil, errf(s, "zone %q is too small", a)
			}
			z.Name, z.Size = name, n
		case strings.HasPrefix(a, "rate=") && !z.Conn:
			v := a[5:]
			unit := int64(1)
			switch {
			case strings.HasSuffix(v, "r/s"):
				v = v[:len(v)-3]
			case strings.HasSuffix(v, "r/m"):
				v, unit, z.PerMinute = v[:len(v)-3], 60, true
			default:
				return nil, errf(s, "invalid rate %q", a)
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return nil, errf(s, "invalid rate %q", a)
			}
			z.Rate = n * 1000 / unit
		case a == "sync" && !z.Conn:
			return nil, errf(s, "the \"sync\" parameter is not supported by goproxy")
		default:
			return nil, errf(s, "invalid parameter %q", a)
		}
	}
	if z.Name == "" {
		return nil, errf(s, "%q must have \"zone\" parameter", s.Name)
	}
	if !z.Conn && z.Rate == 0 {
		z.Rate = 1000
	}
	return z, nil
}

func setLimitReq(b *builder, f *frame, s *Stmt) error {
	lr := &LimitReq{}
	for _, a := range s.Args {
		switch {
		case strings.HasPrefix(a, "zone="):
			lr.Zone = a[5:]
		case strings.HasPrefix(a, "burst="):
			n, err := strconv.Atoi(a[6:])
			if err != nil || n <= 0 {
				return errf(s, "invalid burst value %q", a)
			}
			lr.Burst = n
		case strings.HasPrefix(a, "delay="):
			n, err := strconv.Atoi(a[6:])
			if err != nil || n <= 0 {
				return errf(s, "invalid delay value %q", a)
			}
			lr.Delay = n
		case a == "nodelay":
			lr.NoDelay = true
		default:
			return errf(s, "invalid parameter %q", a)
		}
	}
	if lr.Zone == "" {
		return errf(s, "\"%s\" must have \"zone\" parameter", s.Name)
	}
	for _, o := range f.loc.Limit.Req {
		if o.Zone == lr.Zone {
			return dupErr(s)
		}
	}
	b.limitRefs = append(b.limitRefs, limitRef{s, lr.Zone, false})
	f.loc.Limit.Req = append(f.loc.Limit.Req, lr)
	return nil
}

func setLimitConn(b *builder, f *frame, s *Stmt) error {
	n, err := strconv.Atoi(s.Args[1])
	if err != nil || n <= 0 || n > 65535 {
		return errf(s, "invalid number of connections %q", s.Args[1])
	}
	for _, o := range f.loc.Limit.Conn {
		if o.Zone == s.Args[0] {
			return dupErr(s)
		}
	}
	b.limitRefs = append(b.limitRefs, limitRef{s, s.Args[0], true})
	f.loc.Limit.Conn = append(f.loc.Limit.Conn, &LimitConn{Zone: s.Args[0], Max: n})
	return nil
}

// limitRef is a use of a zone, checked once all zones are known (a zone
// may be declared after its use, as in nginx).
type limitRef struct {
	s    *Stmt
	zone string
	conn bool
}

func (b *builder) checkLimitRefs() error {
	for _, r := range b.limitRefs {
		found := false
		for _, z := range b.cfg.HTTP.LimitZones {
			if z.Name == r.zone && z.Conn == r.conn {
				found = true
			}
		}
		if !found {
			// nginx's words: the zone exists only as a use, with no size.
			return &Diag{Level: LevelEmerg, Msg: "zero size shared memory zone \"" + r.zone + "\""}
		}
	}
	return nil
}
