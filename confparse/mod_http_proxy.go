package confparse

// mod_http_proxy.go: ngx_http_proxy_module.

import (
	"strconv"
	"strings"
	"time"
)

// ProxyLoc is ngx_http_proxy_module's configuration.
type ProxyLoc struct {
	Pass *ProxyPass `json:",omitempty" merge:"-"`
	// SetHeaders is the level's proxy_set_header list; nil means nginx's
	// defaults. An inner list replaces the outer one.
	SetHeaders          []*HeaderTmpl  `json:",omitempty"`
	HTTPVersion         *string        `json:",omitempty"`
	ConnectTimeout      *time.Duration `json:",omitempty"`
	ReadTimeout         *time.Duration `json:",omitempty"`
	SendTimeout         *time.Duration `json:",omitempty"`
	Buffering           *bool          `json:",omitempty"`
	RequestBuffering    *bool          `json:",omitempty"`
	Redirects           []*Redirect    `json:",omitempty"` // empty, not nil: "off"
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
	SetBody             *Template      `json:",omitempty"`
	Method              *Template      `json:",omitempty"`
	CookieDomains       []*Redirect    `json:",omitempty"`
	CookiePaths         []*Redirect    `json:",omitempty"`
	// CookieFlags is the level's proxy_cookie_flags list, empty (not
	// nil) for "off".
	CookieFlags []*CookieFlags `json:",omitempty"`
	// UpstreamSSL is proxy_ssl_*, for https upstreams.
	UpstreamSSL
	BufferSize *int64 `json:",omitempty"`
	// Cache is proxy_cache and the proxy_cache_* directives.
	Cache CacheLoc
	// UpstreamConn is proxy_bind, proxy_force_ranges, proxy_limit_rate,
	// proxy_store...
	UpstreamConn
}

// ProxyPass is proxy_pass's URL, split.
type ProxyPass struct {
	URL *Template
	// With variables, the URL is only known per request; the fields
	// below are then empty.
	Vars   bool   `json:",omitempty"`
	Scheme string `json:",omitempty"` // "http" or "https"
	Host   string `json:",omitempty"` // host:port or upstream name, as written
	Port   int    `json:",omitempty"`
	Unix   string `json:",omitempty"` // socket path for http://unix:/path:
	URI    string `json:",omitempty"` // the URI part, "" when none
	HasURI bool   `json:",omitempty"`
	// ExplicitPort says the URL named a port (for $proxy_host).
	ExplicitPort bool `json:",omitempty"`
}

// HeaderTmpl is a header name with a templated value.
type HeaderTmpl struct {
	Name  string
	Value *Template
}

// CookieFlags is one proxy_cookie_flags rule: the cookie it is for, a
// name compared caseless or a regex (always caseless), and the flags,
// evaluated per response because they may hold variables (nginx reads
// them, and ignores an unknown one, only then).
type CookieFlags struct {
	Name  *Template   `json:",omitempty"`
	Regex *Regexp     `json:",omitempty"`
	Flags []*Template `json:",omitempty"`
}

// Redirect is one proxy_redirect / proxy_cookie_* rule.
type Redirect struct {
	Default     bool      `json:",omitempty"`
	From        *Template `json:",omitempty"`
	Regex       *Regexp   `json:",omitempty"`
	Replacement *Template `json:",omitempty"`
}

func proxyLoc[T any](get func(*ProxyLoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.Proxy) })
}

const noopBuffers = "goproxy streams through pooled buffers; nginx's buffer sizing does not apply"

func init() {
	register("ngx_http_proxy_module", upstreamSSLDirectives("proxy", func(l *Loc) *UpstreamSSL { return &l.Proxy.UpstreamSSL })...)
	register("ngx_http_proxy_module", upstreamConnDirectives("proxy")...)
	register("ngx_http_proxy_module",
		&Directive{Name: "proxy_pass", Ctx: CtxLocation | CtxIfLocation | CtxLimitExcept, Args: Args1, set: setProxyPass},
		&Directive{Name: "proxy_set_header", Ctx: httpMSL, Args: Args2, set: func(b *builder, f *frame, s *Stmt) error {
			v, err := b.tmpl(s, s.Args[1])
			if err != nil {
				return err
			}
			f.loc.Proxy.SetHeaders = append(f.loc.Proxy.SetHeaders, &HeaderTmpl{Name: s.Args[0], Value: v})
			return nil
		}},
		&Directive{Name: "proxy_http_version", Ctx: httpMSL, Args: Args1, set: slot(proxyLoc(func(p *ProxyLoc) **string { return &p.HTTPVersion }), enumArg("1.0", "1.1"))},
		&Directive{Name: "proxy_connect_timeout", Ctx: httpMSL, Args: Args1, set: slot(proxyLoc(func(p *ProxyLoc) **time.Duration { return &p.ConnectTimeout }), msecArg)},
		&Directive{Name: "proxy_read_timeout", Ctx: httpMSL, Args: Args1, set: slot(proxyLoc(func(p *ProxyLoc) **time.Duration { return &p.ReadTimeout }), msecArg)},
		&Directive{Name: "proxy_send_timeout", Ctx: httpMSL, Args: Args1, set: slot(proxyLoc(func(p *ProxyLoc) **time.Duration { return &p.SendTimeout }), msecArg)},
		&Directive{Name: "proxy_buffering", Ctx: httpMSL, Args: ArgsFlag, set: slot(proxyLoc(func(p *ProxyLoc) **bool { return &p.Buffering }), flagArg)},
		&Directive{Name: "proxy_request_buffering", Ctx: httpMSL, Args: ArgsFlag, set: slot(proxyLoc(func(p *ProxyLoc) **bool { return &p.RequestBuffering }), flagArg)},
		&Directive{Name: "proxy_redirect", Ctx: httpMSL, Args: Args12, set: setProxyRedirect},
		&Directive{Name: "proxy_hide_header", Ctx: httpMSL, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			f.loc.Proxy.HideHeaders = append(f.loc.Proxy.HideHeaders, s.Args[0])
			return nil
		}},
		&Directive{Name: "proxy_pass_header", Ctx: httpMSL, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			f.loc.Proxy.PassHeaders = append(f.loc.Proxy.PassHeaders, s.Args[0])
			return nil
		}},
		&Directive{Name: "proxy_ignore_headers", Ctx: httpMSL, Args: Args1More, set: setProxyIgnoreHeaders},
		&Directive{Name: "proxy_next_upstream", Ctx: httpMSL, Args: Args1More, set: setNextUpstream},
		&Directive{Name: "proxy_next_upstream_tries", Ctx: httpMSL, Args: Args1, set: slot(proxyLoc(func(p *ProxyLoc) **int { return &p.NextUpstreamTries }), numArg)},
		&Directive{Name: "proxy_next_upstream_timeout", Ctx: httpMSL, Args: Args1, set: slot(proxyLoc(func(p *ProxyLoc) **time.Duration { return &p.NextUpstreamTimeout }), msecArg)},
		&Directive{Name: "proxy_intercept_errors", Ctx: httpMSL, Args: ArgsFlag, set: slot(proxyLoc(func(p *ProxyLoc) **bool { return &p.InterceptErrors }), flagArg)},
		&Directive{Name: "proxy_pass_request_headers", Ctx: httpMSL, Args: ArgsFlag, set: slot(proxyLoc(func(p *ProxyLoc) **bool { return &p.PassRequestHeaders }), flagArg)},
		&Directive{Name: "proxy_pass_request_body", Ctx: httpMSL, Args: ArgsFlag, set: slot(proxyLoc(func(p *ProxyLoc) **bool { return &p.PassRequestBody }), flagArg)},
		&Directive{Name: "proxy_ignore_client_abort", Ctx: httpMSL, Args: ArgsFlag, set: slot(proxyLoc(func(p *ProxyLoc) **bool { return &p.IgnoreClientAbort }), flagArg)},
		&Directive{Name: "proxy_set_body", Ctx: httpMSL, Args: Args1, set: slot(proxyLoc(func(p *ProxyLoc) **Template { return &p.SetBody }), tmplArg)},
		&Directive{Name: "proxy_method", Ctx: httpMSL, Args: Args1, set: slot(proxyLoc(func(p *ProxyLoc) **Template { return &p.Method }), tmplArg)},
		&Directive{Name: "proxy_cookie_domain", Ctx: httpMSL, Args: Args12, set: setCookieRewrite},
		&Directive{Name: "proxy_cookie_path", Ctx: httpMSL, Args: Args12, set: setCookieRewrite},
		&Directive{Name: "proxy_cookie_flags", Ctx: httpMSL, Args: Args1234, set: setCookieFlags},
		&Directive{Name: "proxy_buffer_size", Ctx: httpMSL, Args: Args1, set: slot(proxyLoc(func(p *ProxyLoc) **int64 { return &p.BufferSize }), sizeArg),
			Note: "limits the upstream's response head (\"upstream sent too big header\" beyond it); default 4k"},
		&Directive{Name: "proxy_buffers", Ctx: httpMSL, Args: Args2, Status: NoOp, Note: noopBuffers, set: validateBufs},
		&Directive{Name: "proxy_busy_buffers_size", Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopBuffers},
		&Directive{Name: "proxy_max_temp_file_size", Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopBuffers},
		&Directive{Name: "proxy_temp_file_write_size", Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopBuffers},
		&Directive{Name: "proxy_temp_path", Ctx: httpMSL, Args: Args1234, Status: NoOp, Note: "goproxy does not spool responses to disk", set: validateTempPath},
		&Directive{Name: "proxy_headers_hash_max_size", Ctx: httpMSL, Args: Args1, Status: NoOp, Note: "nginx hash-table tuning", set: validateNum},
		&Directive{Name: "proxy_headers_hash_bucket_size", Ctx: httpMSL, Args: Args1, Status: NoOp, Note: "nginx hash-table tuning", set: validateNum},
		&Directive{Name: "proxy_send_lowat", Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopIO},
	)
}

// confFileArg resolves a file path against the configuration directory.
func confFileArg(b *builder, s *Stmt) (string, error) { return b.confPath(s.Args[0]), nil }

func validTLSProtocol(p string) bool {
	switch p {
	case "SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3":
		return true
	}
	return false
}

func setProxyPass(b *builder, f *frame, s *Stmt) error {
	if f.loc.Proxy.Pass != nil {
		return dupErr(s)
	}
	t, err := b.tmpl(s, s.Args[0])
	if err != nil {
		return err
	}
	p := &ProxyPass{URL: t}
	if !t.IsConst() {
		p.Vars = true
		f.loc.Proxy.Pass = p
		return nil
	}
	url := s.Args[0]
	switch {
	case strings.HasPrefix(lower(url), "http://"):
		p.Scheme, url, p.Port = "http", url[7:], 80
	case strings.HasPrefix(lower(url), "https://"):
		p.Scheme, url, p.Port = "https", url[8:], 443
	default:
		return errf(s, "invalid URL prefix")
	}
	if strings.HasPrefix(url, "unix:") {
		rest := url[5:]
		path, uri, _ := strings.Cut(rest, ":")
		if path == "" {
			return errf(s, "no path in the unix domain socket in upstream %q", url)
		}
		p.Unix, p.Host, p.URI, p.HasURI = path, "unix:"+path, uri, uri != ""
	} else {
		host, uri := url, ""
		if i := strings.IndexAny(url, "/?"); i >= 0 {
			host, uri = url[:i], url[i:]
		}
		// nginx names the whole URL after the scheme in these errors.
		if host == "" {
			return errf(s, "no host in upstream %q", url)
		}
		h, port, hasPort := splitHostPort(host)
		if hasPort {
			n, err := strconv.Atoi(port)
			if err != nil || n < 1 || n > 65535 {
				return errf(s, "invalid port in upstream %q", url)
			}
			p.Port, p.ExplicitPort = n, true
		}
		if h == "" {
			return errf(s, "no host in upstream %q", url)
		}
		p.Host, p.URI, p.HasURI = host, uri, uri != ""
	}
	if p.HasURI {
		inRegex := f.location != nil && (f.location.Regex != nil || f.location.Modifier == "@")
		if inRegex || f.ctx == CtxIfLocation || f.ctx == CtxLimitExcept {
			return errf(s, "\"proxy_pass\" cannot have URI part in location given by regular expression, "+
				"or inside named location, or inside \"if\" statement, or inside \"limit_except\" block")
		}
	}
	f.loc.Proxy.Pass = p
	return nil
}

// splitHostPort splits "host:port" / "[v6]:port" / "host".
func splitHostPort(h string) (host, port string, ok bool) {
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return h, "", false
		}
		if rest := h[end+1:]; strings.HasPrefix(rest, ":") {
			return h[:end+1], rest[1:], true
		}
		return h, "", false
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		return h[:i], h[i+1:], true
	}
	return h, "", false
}

func setProxyRedirect(b *builder, f *frame, s *Stmt) error {
	p := &f.loc.Proxy
	if p.Redirects != nil && len(p.Redirects) == 0 {
		return dupErr(s) // nothing may follow "off"
	}
	if len(s.Args) == 1 {
		switch s.Args[0] {
		case "off":
			if len(p.Redirects) > 0 {
				return dupErr(s)
			}
			p.Redirects = []*Redirect{}
			return nil
		case "default":
			// "default" is derived from the level's own proxy_pass.
			if p.Pass == nil {
				return errf(s, "\"proxy_redirect default\" should be placed after the \"proxy_pass\" directive")
			}
			if p.Pass.Vars {
				return errf(s, "\"proxy_redirect default\" cannot be used with \"proxy_pass\" directive with variables")
			}
			p.Redirects = append(p.Redirects, &Redirect{Default: true})
			return nil
		}
		return errf(s, "invalid parameter %q", s.Args[0])
	}
	r, err := b.redirectRule(s)
	if err != nil {
		return err
	}
	p.Redirects = append(p.Redirects, r)
	return nil
}

// redirectRule reads "from to", where from may be "~regex" / "~*regex".
func (b *builder) redirectRule(s *Stmt) (*Redirect, error) {
	r := &Redirect{}
	from := s.Args[0]
	var err error
	switch {
	case strings.HasPrefix(from, "~*"):
		r.Regex, err = b.regex(s, from[2:], true)
	case strings.HasPrefix(from, "~"):
		r.Regex, err = b.regex(s, from[1:], false)
	default:
		r.From, err = b.tmpl(s, from)
	}
	if err != nil {
		return nil, err
	}
	if r.Replacement, err = b.tmpl(s, s.Args[1]); err != nil {
		return nil, err
	}
	return r, nil
}

func setCookieRewrite(b *builder, f *frame, s *Stmt) error {
	list := &f.loc.Proxy.CookieDomains
	if s.Name == "proxy_cookie_path" {
		list = &f.loc.Proxy.CookiePaths
	}
	if len(s.Args) == 1 {
		if s.Args[0] != "off" {
			return errf(s, "invalid parameter %q", s.Args[0])
		}
		*list = []*Redirect{}
		return nil
	}
	if s.Name == "proxy_cookie_path" {
		r, err := b.redirectRule(s)
		if err != nil {
			return err
		}
		*list = append(*list, r)
		return nil
	}
	// A plain domain compares without its leading dot, so a literal dot
	// is dropped from the pattern and the replacement here (the one the
	// cookie had is kept at run time); a regex sees and replaces the
	// whole value, and is always caseless, as domains are. This is how
	// nginx reads the directive.
	r := &Redirect{}
	from, to := s.Args[0], s.Args[1]
	var err error
	if strings.HasPrefix(from, "~") {
		r.Regex, err = b.regex(s, strings.TrimPrefix(from[1:], "*"), true)
	} else {
		r.From, err = b.tmpl(s, strings.TrimPrefix(from, "."))
		to = strings.TrimPrefix(to, ".")
	}
	if err != nil {
		return err
	}
	if r.Replacement, err = b.tmpl(s, to); err != nil {
		return err
	}
	*list = append(*list, r)
	return nil
}

// setCookieFlags reads proxy_cookie_flags as nginx does: "off" alone
// and any rule at the same level are each other's duplicate; a lone
// argument other than "off" is refused, but "off" followed by flags
// names a cookie.
func setCookieFlags(b *builder, f *frame, s *Stmt) error {
	list := &f.loc.Proxy.CookieFlags
	if *list != nil && len(*list) == 0 {
		return dupErr(s)
	}
	if len(s.Args) == 1 {
		if s.Args[0] != "off" {
			return errf(s, "invalid parameter %q", s.Args[0])
		}
		if *list != nil {
			return dupErr(s)
		}
		*list = []*CookieFlags{}
		return nil
	}
	r := &CookieFlags{}
	var err error
	if name := s.Args[0]; strings.HasPrefix(name, "~") {
		r.Regex, err = b.regex(s, name[1:], true)
	} else {
		r.Name, err = b.tmpl(s, name)
	}
	if err != nil {
		return err
	}
	for _, a := range s.Args[1:] {
		t, err := b.tmpl(s, a)
		if err != nil {
			return err
		}
		r.Flags = append(r.Flags, t)
	}
	*list = append(*list, r)
	return nil
}

func setProxyIgnoreHeaders(b *builder, f *frame, s *Stmt) error {
	if f.loc.Proxy.IgnoreHeaders != nil {
		return dupErr(s)
	}
	for _, h := range s.Args {
		switch lower(h) {
		case "x-accel-redirect", "x-accel-expires", "x-accel-limit-rate", "x-accel-buffering",
			"x-accel-charset", "expires", "cache-control", "set-cookie", "vary":
		default:
			return errf(s, "invalid value %q", h)
		}
	}
	f.loc.Proxy.IgnoreHeaders = s.Args
	return nil
}

func setNextUpstream(b *builder, f *frame, s *Stmt) error {
	if f.loc.Proxy.NextUpstream != nil {
		return dupErr(s)
	}
	out := []string{}
	for _, a := range s.Args {
		switch a {
		case "off":
			if len(s.Args) != 1 {
				return errf(s, "invalid value %q", a)
			}
		case "error", "timeout", "invalid_header", "http_500", "http_502", "http_503", "http_504",
			"http_403", "http_404", "http_429", "non_idempotent", "denied", "updating":
			out = append(out, a)
		default:
			return errf(s, "invalid value %q", a)
		}
	}
	f.loc.Proxy.NextUpstream = out
	return nil
}
