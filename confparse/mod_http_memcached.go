package confparse

// mod_http_memcached.go: ngx_http_memcached_module. nginx gives it a
// subset of the upstream settings the CGI-like modules share
// (cgiparams.go), so its configuration is a CGIUpstream too, filled by
// its own, shorter table: no params, no buffering settings (nginx never
// buffers a memcached response), no headers to hide or pass.

import "time"

// MemcachedLoc is ngx_http_memcached_module's configuration.
type MemcachedLoc struct {
	CGIUpstream
	// GzipFlag is memcached_gzip_flag: a value whose flags have any of
	// these bits goes out with "Content-Encoding: gzip".
	GzipFlag *int `json:",omitempty"`
}

// memcachedKey is the variable nginx reads the key from. nginx does not
// define it: memcached_pass only looks it up, so a configuration must
// define it (set, map, ...), else "unknown variable" at load.
const memcachedKey = "memcached_key"

// memcachedDefaults are nginx's defaults: unbuffered, no request body,
// a buffer of one page for the response line.
func memcachedDefaults() MemcachedLoc {
	u := cgiDefaults()
	u.Buffering, u.RequestBuffering = ptr(false), ptr(true)
	u.PassRequestBody, u.PassRequestHeaders = ptr(false), ptr(false)
	return MemcachedLoc{CGIUpstream: u, GzipFlag: ptr(0)}
}

func init() {
	get := func(l *Loc) *CGIUpstream { return &l.Memcached.CGIUpstream }
	dur := func(pick func(*CGIUpstream) **time.Duration) setFunc {
		return slot(loc(func(l *Loc) **time.Duration { return pick(get(l)) }), msecArg)
	}
	register("ngx_http_memcached_module",
		&Directive{Name: "memcached_pass", Ctx: CtxLocation | CtxIfLocation, Args: Args1, set: setMemcachedPass},
		&Directive{Name: "memcached_connect_timeout", Ctx: httpMSL, Args: Args1, set: dur(func(u *CGIUpstream) **time.Duration { return &u.ConnectTimeout })},
		&Directive{Name: "memcached_send_timeout", Ctx: httpMSL, Args: Args1, set: dur(func(u *CGIUpstream) **time.Duration { return &u.SendTimeout })},
		&Directive{Name: "memcached_read_timeout", Ctx: httpMSL, Args: Args1, set: dur(func(u *CGIUpstream) **time.Duration { return &u.ReadTimeout })},
		&Directive{Name: "memcached_buffer_size", Ctx: httpMSL, Args: Args1, set: slot(loc(func(l *Loc) **int64 { return &l.Memcached.BufferSize }), sizeArg),
			Note: "limits the response line (\"upstream sent too big header\" beyond it); default 4k"},
		&Directive{Name: "memcached_next_upstream", Ctx: httpMSL, Args: Args1More, set: setMemcachedNextUpstream},
		&Directive{Name: "memcached_next_upstream_tries", Ctx: httpMSL, Args: Args1, set: slot(loc(func(l *Loc) **int { return &l.Memcached.NextUpstreamTries }), numArg)},
		&Directive{Name: "memcached_next_upstream_timeout", Ctx: httpMSL, Args: Args1, set: dur(func(u *CGIUpstream) **time.Duration { return &u.NextUpstreamTimeout })},
		&Directive{Name: "memcached_gzip_flag", Ctx: httpMSL, Args: Args1, set: slot(loc(func(l *Loc) **int { return &l.Memcached.GzipFlag }), numArg)},
	)
	register("ngx_http_memcached_module", upstreamConnDirectives("memcached")...)
}

// setMemcachedPass reads memcached_pass: host:port, unix:/path or an
// upstream block's name. nginx 1.22 takes no variables here (the
// address is parsed as written: `no port in upstream "$a"`).
func setMemcachedPass(b *builder, f *frame, s *Stmt) error {
	u := &f.loc.Memcached.CGIUpstream
	if u.Pass != nil {
		return dupErr(s)
	}
	if err := setCGIPass(b, u, s, "memcached"); err != nil {
		return err
	}
	if u.Pass.Vars {
		// Read literally, as nginx does: a "$" is part of the host,
		// which no resolver finds.
		u.Pass = nil
		h, _, hasPort := splitHostPort(s.Args[0])
		if !hasPort {
			return errf(s, "no port in upstream %q", s.Args[0])
		}
		return errf(s, "host not found in upstream %q", h)
	}
	b.useVar(memcachedKey, s)
	return nil
}

// setMemcachedNextUpstream reads memcached_next_upstream, whose names
// differ from the other modules': invalid_response and not_found are
// kept under the shared names (invalid_header, http_404).
func setMemcachedNextUpstream(b *builder, f *frame, s *Stmt) error {
	u := &f.loc.Memcached.CGIUpstream
	if u.NextUpstream != nil {
		return dupErr(s)
	}
	out := []string{}
	for _, a := range s.Args {
		switch a {
		case "off":
			if len(s.Args) != 1 {
				return errf(s, "invalid value %q", a)
			}
		case "error", "timeout":
			out = append(out, a)
		case "invalid_response":
			out = append(out, "invalid_header")
		case "not_found":
			out = append(out, "http_404")
		default:
			return errf(s, "invalid value %q", a)
		}
	}
	u.NextUpstream = out
	return nil
}
