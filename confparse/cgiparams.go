package confparse

// cgiparams.go is what ngx_http_fastcgi_module, ngx_http_scgi_module and
// ngx_http_uwsgi_module share: nginx gives each the same upstream
// settings (its ngx_http_upstream_conf_t) under the module's prefix, and
// the same list of parameters sent to the application in place of HTTP
// headers. One table builder serves the three, so that fastcgi_*,
// scgi_* and uwsgi_* cannot drift apart.

import (
	"strconv"
	"strings"
	"time"
)

// CGIUpstream is the configuration a FastCGI, SCGI or uwsgi location
// shares with the others: where to send, the parameters, and the
// upstream settings of the proxy module under the module's own names.
type CGIUpstream struct {
	// Pass is *_pass, on its own level only (if blocks inherit it).
	Pass *ProxyPass `json:",omitempty" merge:"-"`
	// Params is the level's *_param list; a level with any replaces the
	// outer list entirely.
	Params              []*Param       `json:",omitempty"`
	ConnectTimeout      *time.Duration `json:",omitempty"`
	ReadTimeout         *time.Duration `json:",omitempty"`
	SendTimeout         *time.Duration `json:",omitempty"`
	Buffering           *bool          `json:",omitempty"`
	RequestBuffering    *bool          `json:",omitempty"`
	HideHeaders         []string       `json:",omitempty"`
	PassHeaders         []string       `json:",omitempty"`
	IgnoreHeaders       []string       `json:",omitempty"`
	NextUpstream        []string       `json:",omitempty"` // empty, not nil: "off"
	NextUpstreamTries   *int           `json:",omitempty"`
	NextUpstreamTimeout *time.Duration `json:",omitempty"`
	InterceptErrors     *bool          `json:",omitempty"`
	PassRequestHeaders  *bool          `json:",omitempty"`
	PassRequestBody     *bool          `json:",omitempty"`
	IgnoreClientAbort   *bool          `json:",omitempty"`
	BufferSize          *int64         `json:",omitempty"`
	// Cache is the module's *_cache_* set (mod_http_proxy_cache.go).
	Cache CacheLoc
	// UpstreamConn is *_bind, *_force_ranges, *_limit_rate, *_store...
	UpstreamConn
}

// Param is one *_param: a name, its value, and if_not_empty (the
// parameter is not sent when its value is empty).
type Param struct {
	Name       string
	Value      *Template
	IfNotEmpty bool `json:",omitempty"`
}

// cgiDefaults are nginx's defaults for the shared settings.
func cgiDefaults() CGIUpstream {
	return CGIUpstream{
		ConnectTimeout:      ptr(60 * time.Second),
		ReadTimeout:         ptr(60 * time.Second),
		SendTimeout:         ptr(60 * time.Second),
		Buffering:           ptr(true),
		RequestBuffering:    ptr(true),
		NextUpstream:        []string{"error", "timeout"},
		NextUpstreamTries:   ptr(0),
		NextUpstreamTimeout: ptr(time.Duration(0)),
		InterceptErrors:     ptr(false),
		PassRequestHeaders:  ptr(true),
		PassRequestBody:     ptr(true),
		IgnoreClientAbort:   ptr(false),
		Cache:               defaultCacheLoc(""),
		UpstreamConn:        upstreamConnDefaults(),
	}
}

// cgiDirectives is the table of the settings every one of the three
// modules has, named with its prefix ("fastcgi", "scgi", "uwsgi");
// scheme names the protocol in logs ("fastcgi://127.0.0.1:9000").
func cgiDirectives(prefix, scheme string, get func(*Loc) *CGIUpstream) []*Directive {
	dur := func(pick func(*CGIUpstream) **time.Duration) setFunc {
		return slot(loc(func(l *Loc) **time.Duration { return pick(get(l)) }), msecArg)
	}
	flag := func(pick func(*CGIUpstream) **bool) setFunc {
		return slot(loc(func(l *Loc) **bool { return pick(get(l)) }), flagArg)
	}
	list := func(pick func(*CGIUpstream) *[]string) setFunc {
		return func(b *builder, f *frame, s *Stmt) error {
			p := pick(get(f.loc))
			*p = append(*p, s.Args[0])
			return nil
		}
	}
	n := func(s string) string { return prefix + "_" + s }
	return append([]*Directive{
		{Name: n("pass"), Ctx: CtxLocation | CtxIfLocation, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			return setCGIPass(b, get(f.loc), s, scheme)
		}},
		{Name: n("param"), Ctx: httpMSL, Args: Args23, set: func(b *builder, f *frame, s *Stmt) error {
			return setCGIParam(b, get(f.loc), s)
		}},
		{Name: n("connect_timeout"), Ctx: httpMSL, Args: Args1, set: dur(func(u *CGIUpstream) **time.Duration { return &u.ConnectTimeout })},
		{Name: n("read_timeout"), Ctx: httpMSL, Args: Args1, set: dur(func(u *CGIUpstream) **time.Duration { return &u.ReadTimeout })},
		{Name: n("send_timeout"), Ctx: httpMSL, Args: Args1, set: dur(func(u *CGIUpstream) **time.Duration { return &u.SendTimeout })},
		{Name: n("buffering"), Ctx: httpMSL, Args: ArgsFlag, set: flag(func(u *CGIUpstream) **bool { return &u.Buffering })},
		{Name: n("request_buffering"), Ctx: httpMSL, Args: ArgsFlag, set: flag(func(u *CGIUpstream) **bool { return &u.RequestBuffering })},
		{Name: n("intercept_errors"), Ctx: httpMSL, Args: ArgsFlag, set: flag(func(u *CGIUpstream) **bool { return &u.InterceptErrors })},
		{Name: n("pass_request_headers"), Ctx: httpMSL, Args: ArgsFlag, set: flag(func(u *CGIUpstream) **bool { return &u.PassRequestHeaders })},
		{Name: n("pass_request_body"), Ctx: httpMSL, Args: ArgsFlag, set: flag(func(u *CGIUpstream) **bool { return &u.PassRequestBody })},
		{Name: n("ignore_client_abort"), Ctx: httpMSL, Args: ArgsFlag, set: flag(func(u *CGIUpstream) **bool { return &u.IgnoreClientAbort })},
		{Name: n("hide_header"), Ctx: httpMSL, Args: Args1, set: list(func(u *CGIUpstream) *[]string { return &u.HideHeaders })},
		{Name: n("pass_header"), Ctx: httpMSL, Args: Args1, set: list(func(u *CGIUpstream) *[]string { return &u.PassHeaders })},
		{Name: n("ignore_headers"), Ctx: httpMSL, Args: Args1More, set: func(b *builder, f *frame, s *Stmt) error {
			u := get(f.loc)
			if u.IgnoreHeaders != nil {
				return dupErr(s)
			}
			if err := checkIgnoreHeaders(s); err != nil {
				return err
			}
			u.IgnoreHeaders = s.Args
			return nil
		}},
		{Name: n("next_upstream"), Ctx: httpMSL, Args: Args1More, set: func(b *builder, f *frame, s *Stmt) error {
			u := get(f.loc)
			if u.NextUpstream != nil {
				return dupErr(s)
			}
			out, err := nextUpstreamList(s)
			u.NextUpstream = out
			return err
		}},
		{Name: n("next_upstream_tries"), Ctx: httpMSL, Args: Args1, set: slot(loc(func(l *Loc) **int { return &get(l).NextUpstreamTries }), numArg)},
		{Name: n("next_upstream_timeout"), Ctx: httpMSL, Args: Args1, set: dur(func(u *CGIUpstream) **time.Duration { return &u.NextUpstreamTimeout })},
		{Name: n("buffer_size"), Ctx: httpMSL, Args: Args1, set: slot(loc(func(l *Loc) **int64 { return &get(l).BufferSize }), sizeArg),
			Note: "limits the response head (\"upstream sent too big header\" beyond it); default 4k"},
		{Name: n("buffers"), Ctx: httpMSL, Args: Args2, Status: NoOp, Note: noopBuffers, set: validateBufs},
		{Name: n("busy_buffers_size"), Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopBuffers},
		{Name: n("max_temp_file_size"), Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopBuffers},
		{Name: n("temp_file_write_size"), Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopBuffers},
		{Name: n("temp_path"), Ctx: httpMSL, Args: Args1234, Status: NoOp, Note: "goproxy does not spool responses to disk", set: validateTempPath},
		{Name: n("send_lowat"), Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopIO},
	}, upstreamConnDirectives(prefix)...)
}

// setCGIPass reads *_pass: host:port, unix:/path, an upstream block's
// name, or any of them from variables.
func setCGIPass(b *builder, u *CGIUpstream, s *Stmt, scheme string) error {
	if u.Pass != nil {
		return dupErr(s)
	}
	t, err := b.tmpl(s, s.Args[0])
	if err != nil {
		return err
	}
	p := &ProxyPass{URL: t, Scheme: scheme}
	if !t.IsConst() {
		p.Vars = true
		u.Pass = p
		return nil
	}
	addr := s.Args[0]
	if scheme == "uwsgi" {
		// uwsgi_pass takes an optional scheme.
		switch {
		case strings.HasPrefix(lower(addr), "uwsgi://"):
			addr = addr[8:]
		case strings.HasPrefix(lower(addr), "suwsgi://"):
			addr, p.Scheme = addr[9:], "suwsgi"
		}
	}
	if strings.HasPrefix(addr, "unix:") {
		if len(addr) == 5 {
			return errf(s, "no path in the unix domain socket in upstream %q", addr)
		}
		p.Unix, p.Host = addr[5:], addr
		u.Pass = p
		return nil
	}
	if addr == "" || strings.ContainsAny(addr, "/?") {
		return errf(s, "invalid host in upstream %q", addr)
	}
	h, port, hasPort := splitHostPort(addr)
	if hasPort {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return errf(s, "invalid port in upstream %q", addr)
		}
		p.Port, p.ExplicitPort = n, true
	}
	if h == "" {
		return errf(s, "no host in upstream %q", addr)
	}
	if !hasPort {
		b.portless = append(b.portless, portless{s, addr})
	}
	p.Host = addr
	u.Pass = p
	return nil
}

// setCGIParam reads "*_param NAME VALUE [if_not_empty]".
func setCGIParam(b *builder, u *CGIUpstream, s *Stmt) error {
	v, err := b.tmpl(s, s.Args[1])
	if err != nil {
		return err
	}
	p := &Param{Name: s.Args[0], Value: v}
	if len(s.Args) == 3 {
		if s.Args[2] != "if_not_empty" {
			return errf(s, "invalid parameter %q", s.Args[2])
		}
		p.IfNotEmpty = true
	}
	u.Params = append(u.Params, p)
	return nil
}

// checkIgnoreHeaders accepts the response headers nginx may be told to
// ignore.
func checkIgnoreHeaders(s *Stmt) error {
	for _, h := range s.Args {
		switch lower(h) {
		case "x-accel-redirect", "x-accel-expires", "x-accel-limit-rate", "x-accel-buffering",
			"x-accel-charset", "expires", "cache-control", "set-cookie", "vary":
		default:
			return errf(s, "invalid value %q", h)
		}
	}
	return nil
}

// nextUpstreamList reads a *_next_upstream list; "off" is an empty one.
func nextUpstreamList(s *Stmt) ([]string, error) {
	out := []string{}
	for _, a := range s.Args {
		switch a {
		case "off":
			if len(s.Args) != 1 {
				return nil, errf(s, "invalid value %q", a)
			}
		case "error", "timeout", "invalid_header", "http_500", "http_503", "http_403", "http_404",
			"http_429", "non_idempotent", "denied", "updating":
			out = append(out, a)
		default:
			return nil, errf(s, "invalid value %q", a)
		}
	}
	return out, nil
}
