package confparse

// mod_http_proxy_cache.go: the cache directives of ngx_http_proxy_module
// (proxy_cache_path, proxy_cache, proxy_cache_*). nginx gives fastcgi,
// uwsgi and scgi the same set under their own prefixes, over the same
// cache core; cacheDirectives builds the table for one prefix so those
// modules can register theirs from the same code.

import (
	"strconv"
	"strings"
	"time"
)

// CacheZone is one *_cache_path: a directory of entries and the keys
// zone (shared memory in nginx) that indexes them.
type CacheZone struct {
	Name string
	// Module is the directive prefix that defined the zone ("proxy",
	// "fastcgi", ...): nginx tags a shared memory zone with its
	// module, and only that module's *_cache may use it.
	Module string
	Path   string // absolute
	Levels []int  `json:",omitempty"` // directory name lengths, 1 or 2 each, at most 3
	// Size is the keys zone's size; it bounds how many keys are kept.
	Size     int64
	Inactive time.Duration
	MaxSize  int64 `json:",omitempty"` // 0: no limit
	MinFree  int64 `json:",omitempty"` // 0: no limit
	// ManagerFiles is how many entries the manager removes at most per
	// pass for min_free. use_temp_path, manager_sleep/threshold and the
	// loader_* pacing are validated only: goproxy always writes an
	// entry's temporary file in the cache directory (so the rename is
	// never a copy), and its manager and loader pace themselves.
	ManagerFiles int
	File         string
	Line         int
}

// CacheValid is one *_cache_valid: the statuses (nil for "any") and how
// long a response with one of them stays fresh.
type CacheValid struct {
	Codes []int `json:",omitempty"` // nil: any status
	Time  time.Duration
}

// CacheLoc is the location-level cache configuration of one upstream
// module (proxy_cache, fastcgi_cache, ...).
type CacheLoc struct {
	// Zone is the zone name, or a template evaluated per request; a
	// template "off" disables caching at this level.
	Zone        *Template      `json:",omitempty"`
	Key         *Template      `json:",omitempty"`
	Valid       []*CacheValid  `json:",omitempty"`
	Bypass      []*Template    `json:",omitempty"`
	NoCache     []*Template    `json:",omitempty"`
	MinUses     *int           `json:",omitempty"`
	Methods     []string       `json:",omitempty"` // GET and HEAD always included
	Lock        *bool          `json:",omitempty"`
	LockTimeout *time.Duration `json:",omitempty"`
	LockAge     *time.Duration `json:",omitempty"`
	UseStale    []string       `json:",omitempty"` // empty, not nil: "off"
	Revalidate  *bool          `json:",omitempty"`
	// BackgroundUpdate answers a request for an expired entry that may
	// be served stale at once, and refreshes the entry after the
	// response, as nginx's background subrequest does.
	BackgroundUpdate *bool  `json:",omitempty"`
	ConvertHead      *bool  `json:",omitempty"`
	MaxRangeOffset   *int64 `json:",omitempty"` // -1: no limit
}

// On says caching is configured at this level.
func (c *CacheLoc) On() bool {
	return c.Zone != nil && !(c.Zone.IsConst() && c.Zone.Raw == "off")
}

// cacheRef is a constant zone name used by *_cache, checked once every
// *_cache_path is known.
type cacheRef struct {
	s      *Stmt
	zone   string
	module string
}

func init() {
	register("ngx_http_proxy_module", cacheDirectives("proxy", func(l *Loc) *CacheLoc { return &l.Proxy.Cache })...)
	register("ngx_http_fastcgi_module", cacheDirectives("fastcgi", func(l *Loc) *CacheLoc { return &l.FastCGI.Cache })...)
	register("ngx_http_scgi_module", cacheDirectives("scgi", func(l *Loc) *CacheLoc { return &l.SCGI.Cache })...)
	register("ngx_http_uwsgi_module", cacheDirectives("uwsgi", func(l *Loc) *CacheLoc { return &l.UWSGI.Cache })...)
}

// defaultCacheLoc is nginx's default for every *_cache_* directive,
// except the key, whose default belongs to each module: proxy_cache_key
// has one, the CGI family's have none ("" leaves Key unset, warned about
// once merged: checkCacheKeys).
func defaultCacheLoc(key string) CacheLoc {
	var k *Template
	if key != "" {
		k = &Template{Raw: key}
		for _, v := range strings.Split(key, "$")[1:] {
			k.Parts = append(k.Parts, Part{Var: v})
		}
	}
	return CacheLoc{
		Zone: &Template{Raw: "off", Parts: []Part{{Lit: "off"}}}, Key: k,
		MinUses: ptr(1), Methods: []string{"GET", "HEAD"}, Lock: ptr(false),
		LockTimeout: ptr(5 * time.Second), LockAge: ptr(5 * time.Second), UseStale: []string{},
		Revalidate: ptr(false), BackgroundUpdate: ptr(false), ConvertHead: ptr(true),
		MaxRangeOffset: ptr(int64(-1)),
	}
}

// cacheDirectives is the cache directive table of one upstream module.
func cacheDirectives(prefix string, get func(*Loc) *CacheLoc) []*Directive {
	cl := func(f *frame) *CacheLoc { return get(f.loc) }
	flag := func(pick func(*CacheLoc) **bool) setFunc {
		return slot(func(f *frame) **bool { return pick(cl(f)) }, flagArg)
	}
	msec := func(pick func(*CacheLoc) **time.Duration) setFunc {
		return slot(func(f *frame) **time.Duration { return pick(cl(f)) }, msecArg)
	}
	tmplList := func(pick func(*CacheLoc) *[]*Template) setFunc {
		return func(b *builder, f *frame, s *Stmt) error {
			for _, a := range s.Args {
				t, err := b.tmpl(s, a)
				if err != nil {
					return err
				}
				*pick(cl(f)) = append(*pick(cl(f)), t)
			}
			return nil
		}
	}
	return []*Directive{
		{Name: prefix + "_cache_path", Ctx: CtxHTTP, Args: Args2More, set: func(b *builder, f *frame, s *Stmt) error {
			return setCachePath(b, f, s, prefix)
		}},
		{Name: prefix + "_cache", Ctx: httpMSL, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			c := cl(f)
			if c.Zone != nil {
				return dupErr(s)
			}
			if err := storeConflict(f.loc, prefix, s); err != nil {
				return err
			}
			t, err := b.tmpl(s, s.Args[0])
			if err != nil {
				return err
			}
			c.Zone = t
			if t.IsConst() && t.Raw != "off" {
				b.cacheRefs = append(b.cacheRefs, cacheRef{s, t.Raw, prefix})
			}
			return nil
		}},
		{Name: prefix + "_cache_key", Ctx: httpMSL, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			c := cl(f)
			if c.Key != nil {
				return dupErr(s)
			}
			t, err := b.tmpl(s, s.Args[0])
			c.Key = t
			return err
		}},
		{Name: prefix + "_cache_valid", Ctx: httpMSL, Args: Args1More, set: func(b *builder, f *frame, s *Stmt) error {
			v, err := parseCacheValid(s)
			if err != nil {
				return err
			}
			c := cl(f)
			c.Valid = append(c.Valid, v)
			return nil
		}},
		{Name: prefix + "_cache_bypass", Ctx: httpMSL, Args: Args1More, set: tmplList(func(c *CacheLoc) *[]*Template { return &c.Bypass })},
		{Name: prefix + "_no_cache", Ctx: httpMSL, Args: Args1More, set: tmplList(func(c *CacheLoc) *[]*Template { return &c.NoCache })},
		{Name: prefix + "_cache_min_uses", Ctx: httpMSL, Args: Args1, set: slot(func(f *frame) **int { return &cl(f).MinUses }, numArg)},
		{Name: prefix + "_cache_methods", Ctx: httpMSL, Args: Args1More, set: func(b *builder, f *frame, s *Stmt) error {
			c := cl(f)
			if c.Methods != nil {
				return dupErr(s)
			}
			m := []string{"GET", "HEAD"}
			for _, a := range s.Args {
				switch a {
				case "GET", "HEAD":
				case "POST", "PUT", "DELETE", "MKCOL", "COPY", "MOVE", "OPTIONS", "PROPFIND",
					"PROPPATCH", "LOCK", "UNLOCK", "PATCH":
					m = append(m, a)
				default:
					return errf(s, "invalid value %q", a)
				}
			}
			c.Methods = m
			return nil
		}},
		{Name: prefix + "_cache_lock", Ctx: httpMSL, Args: ArgsFlag, set: flag(func(c *CacheLoc) **bool { return &c.Lock })},
		{Name: prefix + "_cache_lock_timeout", Ctx: httpMSL, Args: Args1, set: msec(func(c *CacheLoc) **time.Duration { return &c.LockTimeout })},
		{Name: prefix + "_cache_lock_age", Ctx: httpMSL, Args: Args1, set: msec(func(c *CacheLoc) **time.Duration { return &c.LockAge })},
		{Name: prefix + "_cache_use_stale", Ctx: httpMSL, Args: Args1More, set: func(b *builder, f *frame, s *Stmt) error {
			c := cl(f)
			if c.UseStale != nil {
				return dupErr(s)
			}
			out := []string{}
			for _, a := range s.Args {
				switch a {
				case "off":
					if len(s.Args) != 1 {
						return errf(s, "invalid value %q", a)
					}
				case "error", "timeout", "invalid_header", "updating", "http_500", "http_502",
					"http_503", "http_504", "http_403", "http_404", "http_429":
					out = append(out, a)
				default:
					return errf(s, "invalid value %q", a)
				}
			}
			c.UseStale = out
			return nil
		}},
		{Name: prefix + "_cache_background_update", Ctx: httpMSL, Args: ArgsFlag, set: flag(func(c *CacheLoc) **bool { return &c.BackgroundUpdate })},
		{Name: prefix + "_cache_revalidate", Ctx: httpMSL, Args: ArgsFlag, set: flag(func(c *CacheLoc) **bool { return &c.Revalidate })},
		{Name: prefix + "_cache_convert_head", Ctx: httpMSL, Args: ArgsFlag, set: flag(func(c *CacheLoc) **bool { return &c.ConvertHead })},
		{Name: prefix + "_cache_max_range_offset", Ctx: httpMSL, Args: Args1, set: slot(func(f *frame) **int64 { return &cl(f).MaxRangeOffset }, func(b *builder, s *Stmt) (int64, error) {
			n, ok := parseDecimal(s.Args[0])
			if !ok {
				return 0, errf(s, "%q directive invalid number", s.Name)
			}
			return n, nil
		})},
	}
}

// parseCacheValid reads "[code ...] time": codes are 300-599 or "any";
// with none, 200 301 302.
func parseCacheValid(s *Stmt) (*CacheValid, error) {
	last := s.Args[len(s.Args)-1]
	d, ok := ParseTime(last, false)
	if !ok {
		return nil, errf(s, "invalid time value %q", last)
	}
	v := &CacheValid{Time: d}
	codes := s.Args[:len(s.Args)-1]
	if len(codes) == 0 {
		v.Codes = []int{200, 301, 302}
		return v, nil
	}
	for _, c := range codes {
		if c == "any" {
			v.Codes = nil
			return v, nil
		}
		n, err := strconv.Atoi(c)
		if err != nil || n < 100 || n > 599 {
			return nil, errf(s, "invalid status %q", c)
		}
		v.Codes = append(v.Codes, n)
	}
	return v, nil
}

// setCachePath reads *_cache_path.
func setCachePath(b *builder, f *frame, s *Stmt, module string) error {
	z := &CacheZone{Module: module, Path: strings.TrimSuffix(b.prefixPath(s.Args[0]), "/"), Inactive: 10 * time.Minute,
		ManagerFiles: 100, File: s.File, Line: s.Line}
	for _, a := range s.Args[1:] {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "levels":
			if z.Levels != nil {
				return errf(s, "invalid \"levels\" %q", a)
			}
			for _, p := range strings.Split(v, ":") {
				if p != "1" && p != "2" {
					return errf(s, "invalid \"levels\" %q", a)
				}
				z.Levels = append(z.Levels, int(p[0]-'0'))
			}
			if len(z.Levels) > 3 {
				return errf(s, "invalid \"levels\" %q", a)
			}
		case "use_temp_path":
			switch v {
			case "on", "off":
			default:
				return errf(s, "invalid use_temp_path value %q, it must be \"on\" or \"off\"", v)
			}
		case "keys_zone":
			name, size, ok := strings.Cut(v, ":")
			n, sok := ParseSize(size)
			if !ok || name == "" || !sok {
				return errf(s, "invalid keys zone size %q", a)
			}
			if n < 8192 {
				return errf(s, "zone %q is too small", name)
			}
			z.Name, z.Size = name, n
		case "inactive", "manager_sleep", "manager_threshold", "loader_sleep", "loader_threshold":
			msec := k != "inactive"
			d, ok := ParseTime(v, msec)
			if !ok {
				return errf(s, "invalid %s value %q", k, a)
			}
			if k == "inactive" {
				z.Inactive = d
			}
		case "max_size", "min_free":
			n, ok := ParseSize(v)
			if !ok {
				return errf(s, "invalid %s value %q", k, a)
			}
			if k == "max_size" {
				z.MaxSize = n
			} else {
				z.MinFree = n
			}
		case "manager_files", "loader_files":
			n, ok := parseDecimal(v)
			if !ok || n <= 0 {
				return errf(s, "invalid %s value %q", k, a)
			}
			if k == "manager_files" {
				z.ManagerFiles = int(n)
			}
		default:
			return errf(s, "invalid parameter %q", a)
		}
	}
	if z.Name == "" {
		return errf(s, "%q must have \"keys_zone\" parameter", s.Name)
	}
	for _, o := range f.http.CacheZones {
		if o.Name == z.Name && o.Module != z.Module {
			return errf(s, "the shared memory zone %q is already declared for a different use", z.Name)
		}
		if o.Name == z.Name {
			return errf(s, "duplicate zone %q", z.Name)
		}
		if o.Path == z.Path {
			return errf(s, "duplicate cache path %q", z.Path)
		}
	}
	f.http.CacheZones = append(f.http.CacheZones, z)
	return nil
}

// checkCacheRefs fails a *_cache naming a zone no *_cache_path defines,
// with nginx's words.
func (b *builder) checkCacheRefs() error {
	for _, r := range b.cacheRefs {
		z := b.cfg.HTTP.CacheZone(r.zone)
		if z == nil {
			return &Diag{Level: LevelEmerg, Msg: "zero size shared memory zone \"" + r.zone + "\""}
		}
		if z.Module != r.module {
			return errf(r.s, "the shared memory zone %q is already declared for a different use", r.zone)
		}
	}
	return nil
}

// checkCacheKeys is nginx's merge-time warning for a CGI-family cache
// without its key (fastcgi_cache_key has no default): the key is then
// empty, one entry for every request.
func (b *builder) checkCacheKeys() {
	warned := map[*CacheLoc]bool{}
	check := func(l *Loc, s *Stmt) {
		for _, m := range []struct {
			prefix string
			c      *CacheLoc
		}{{"fastcgi", &l.FastCGI.Cache}, {"scgi", &l.SCGI.Cache}, {"uwsgi", &l.UWSGI.Cache}} {
			if m.c.Key == nil {
				if m.c.On() && !warned[m.c] {
					warned[m.c] = true
					b.warn(s, "no \"%s_cache_key\" for \"%s_cache\"", m.prefix, m.prefix)
				}
				m.c.Key = &Template{}
			}
		}
	}
	var walk func(ls []*Location)
	walk = func(ls []*Location) {
		for _, l := range ls {
			check(l.Conf, &Stmt{File: l.File, Line: l.Line})
			walk(l.Locations)
		}
	}
	h := b.cfg.HTTP
	check(h.Loc, nil)
	for _, s := range h.Servers {
		check(s.Loc, &Stmt{File: s.File, Line: s.Line})
		walk(s.Locations)
	}
}

// CacheZone finds a zone by name.
func (h *HTTPConf) CacheZone(name string) *CacheZone {
	for _, z := range h.CacheZones {
		if z.Name == name {
			return z
		}
	}
	return nil
}
