package confparse

// mod_http_core.go: ngx_http_core_module — the http, server and location
// blocks and the settings every location has.

import (
	"strconv"
	"strings"
	"time"
)

// CoreLoc is ngx_http_core_module's location-level configuration.
type CoreLoc struct {
	// Root is root or alias; nginx keeps them in one field, so a nested
	// location inherits whichever its parent has.
	Root        *DocRoot          `json:",omitempty"`
	TryFiles    []*Template       `json:",omitempty" merge:"-"`
	DefaultType *string           `json:",omitempty"`
	Types       map[string]string `json:"-"`
	ErrorPages  []*ErrorPage      `json:",omitempty"`
	Internal    bool              `json:",omitempty"` // not inherited
	LimitExcept *LimitExcept      `json:",omitempty" merge:"-"`

	KeepaliveTimeout  *time.Duration `json:",omitempty"`
	KeepaliveHeader   *time.Duration `json:",omitempty"`
	KeepaliveRequests *int           `json:",omitempty"`
	KeepaliveTime     *time.Duration `json:",omitempty"`
	SendTimeout       *time.Duration `json:",omitempty"`
	// SubrequestOutputBufferSize bounds the body of a subrequest kept
	// in memory (SSI's include set=).
	SubrequestOutputBufferSize *int64         `json:",omitempty"`
	ClientMaxBodySize          *int64         `json:",omitempty"`
	ClientBodyTimeout          *time.Duration `json:",omitempty"`
	ClientBodyBufferSize       *int64         `json:",omitempty"`
	Etag                       *bool          `json:",omitempty"`
	IfModifiedSince            *string        `json:",omitempty"`
	ServerTokens               *string        `json:",omitempty"`
	AbsoluteRedirect           *bool          `json:",omitempty"`
	PortInRedirect             *bool          `json:",omitempty"`
	ServerNameInRedirect       *bool          `json:",omitempty"`
	MaxRanges                  *int           `json:",omitempty"`
	// AuthDelay holds back a 401 of the access phase, against timing
	// attacks on passwords.
	AuthDelay *time.Duration `json:",omitempty"`
	// ClientBodyInFileOnly is "off", "on" (every body in a file, kept)
	// or "clean" (removed after the request).
	ClientBodyInFileOnly *string `json:",omitempty"`
	// PostAction is the URI or named location processed after the
	// response (post_action).
	PostAction *string `json:",omitempty"`
	// LogSubrequest writes subrequests (mirror, SSI include, auth_request)
	// to the access log of the location they end in.
	LogSubrequest *bool `json:",omitempty"`
	// MSIERefresh answers MSIE's redirects with a page that refreshes
	// to the target instead of a Location header.
	MSIERefresh        *bool     `json:",omitempty"`
	ClientBodyTempPath *TempPath `json:",omitempty"`
	// LimitRate and LimitRateAfter are sizes, with variables (nginx
	// 1.17.0 and 1.19.0); evaluated when the response starts.
	LimitRate      *Template `json:",omitempty"`
	LimitRateAfter *Template `json:",omitempty"`
	LogNotFound    *bool     `json:",omitempty"`
	// Sendfile: the kernel copies file bodies to the socket; off (nginx's
	// default) reads them through a buffer, which file systems with
	// unreliable sendfile (VirtualBox and some network mounts) need.
	Sendfile                *bool            `json:",omitempty"`
	RecursiveErrorPages     *bool            `json:",omitempty"`
	ChunkedTransferEncoding *bool            `json:",omitempty"`
	DisableSymlinks         *DisableSymlinks `json:",omitempty"`
	Resolver                *Resolver        `json:",omitempty"`
	ResolverTimeout         *time.Duration   `json:",omitempty"`
	OpenFileCache           *OpenFileCache   `json:",omitempty"`
	OpenFileCacheValid      *time.Duration   `json:",omitempty"`
	OpenFileCacheMinUses    *int             `json:",omitempty"`
	OpenFileCacheErrors     *bool            `json:",omitempty"`
}

// DisableSymlinks is disable_symlinks: Mode is "off", "on" (no path
// component may be a symbolic link) or "if_not_owner" (a link must have
// its target's owner); From, when set, is the leading part of a path
// that is opened following links, as nginx's "from=".
type DisableSymlinks struct {
	Mode string
	From *Template `json:",omitempty"`
}

// disableSymlinksArg reads "off|on|if_not_owner [from=part]", in either
// order, with nginx's errors.
func disableSymlinksArg(b *builder, s *Stmt) (DisableSymlinks, error) {
	var d DisableSymlinks
	for _, a := range s.Args {
		switch {
		case a == "off", a == "on", a == "if_not_owner":
			d.Mode = a
		case strings.HasPrefix(a, "from="):
			t, err := b.tmpl(s, a[len("from="):])
			if err != nil {
				return d, err
			}
			d.From = t
		default:
			return d, errf(s, "invalid parameter %q", a)
		}
	}
	switch {
	case d.Mode == "":
		return d, errf(s, `%q must have "off", "on" or "if_not_owner" parameter`, s.Name)
	case len(s.Args) == 2 && d.From == nil:
		return d, errf(s, "duplicate parameters %q", s.Args[0]+" "+s.Args[1])
	case d.From != nil && d.Mode == "off":
		return d, errf(s, `"from=" cannot be used with "off" parameter`)
	}
	return d, nil
}

// DocRoot is root or alias.
type DocRoot struct {
	Path  *Template
	Alias bool `json:",omitempty"`
	// AliasPrefix is what an alias replaces: the prefix of the location
	// it is written in; AliasRegex says it is written in a regex
	// location, where the alias is the whole path. Nested locations
	// inherit both with the alias, as nginx inherits its alias length.
	AliasPrefix string `json:",omitempty"`
	AliasRegex  bool   `json:",omitempty"`
	File        string
	Line        int
}

// ErrorPage is one error_page directive.
type ErrorPage struct {
	Codes []int
	// Status is the response code after the redirect: 0 keeps the
	// original, -1 ("=") takes the status of the page's own response.
	Status int `json:",omitempty"`
	URI    *Template
}

// LimitExcept is a limit_except block.
type LimitExcept struct {
	Methods []string
	Conf    *Loc
}

// Resolver is the resolver directive.
type Resolver struct {
	Addrs []string
	Valid time.Duration `json:",omitempty"`
	IPv6  bool
}

// OpenFileCache is open_file_cache; Off means "open_file_cache off".
type OpenFileCache struct {
	Off      bool          `json:",omitempty"`
	Max      int           `json:",omitempty"`
	Inactive time.Duration `json:",omitempty"`
}

const noopFileCache = "goproxy always caches open-file metadata and small files, and revalidates them (mtime, size, inode, mode, owner) on every request, so changes are seen at once"

const noopIO = "I/O tuning of nginx's event loop; Go's runtime and sendfile path decide this"

func coreLoc[T any](get func(*CoreLoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.Core) })
}

func init() {
	register("ngx_http_core_module",
		&Directive{Name: "http", Ctx: CtxMain, Args: Args0, Block: true, set: setHTTP},
		&Directive{Name: "server", Ctx: CtxHTTP, Args: Args0, Block: true, set: setServer},
		&Directive{Name: "location", Ctx: CtxServer | CtxLocation, Args: Args12, Block: true, set: setLocation},
		&Directive{Name: "listen", Ctx: CtxServer, Args: Args1More, set: setListen},
		&Directive{Name: "server_name", Ctx: CtxServer, Args: Args1More, set: setServerName},
		&Directive{Name: "root", Ctx: httpMSL | CtxIfLocation, Args: Args1, set: setRoot},
		&Directive{Name: "alias", Ctx: CtxLocation, Args: Args1, set: setRoot},
		&Directive{Name: "try_files", Ctx: httpSL, Args: Args2More, set: setTryFiles},
		&Directive{Name: "default_type", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **string { return &c.DefaultType }), strArg)},
		&Directive{Name: "types", Ctx: httpMSL, Args: Args0, Block: true, set: setTypes},
		&Directive{Name: "error_page", Ctx: httpMSL | CtxIfLocation, Args: Args2More, set: setErrorPage},
		&Directive{Name: "internal", Ctx: CtxLocation, Args: Args0, set: func(b *builder, f *frame, s *Stmt) error {
			if f.loc.Core.Internal {
				return dupErr(s)
			}
			f.loc.Core.Internal = true
			return nil
		}},
		&Directive{Name: "limit_except", Ctx: CtxLocation, Args: Args1More, Block: true, set: setLimitExcept},
		&Directive{Name: "keepalive_timeout", Ctx: httpMSL, Args: Args12, set: setKeepaliveTimeout},
		&Directive{Name: "keepalive_requests", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **int { return &c.KeepaliveRequests }), numArg)},
		&Directive{Name: "keepalive_time", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **time.Duration { return &c.KeepaliveTime }), msecArg)},
		&Directive{Name: "send_timeout", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **time.Duration { return &c.SendTimeout }), msecArg)},
		&Directive{Name: "client_max_body_size", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **int64 { return &c.ClientMaxBodySize }), sizeArg)},
		&Directive{Name: "auth_delay", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **time.Duration { return &c.AuthDelay }), msecArg)},
		&Directive{Name: "client_body_timeout", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **time.Duration { return &c.ClientBodyTimeout }), msecArg)},
		&Directive{Name: "client_body_buffer_size", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **int64 { return &c.ClientBodyBufferSize }), sizeArg)},
		&Directive{Name: "etag", Ctx: httpMSL, Args: ArgsFlag, set: slot(coreLoc(func(c *CoreLoc) **bool { return &c.Etag }), flagArg)},
		&Directive{Name: "if_modified_since", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **string { return &c.IfModifiedSince }), enumArg("off", "exact", "before"))},
		&Directive{Name: "server_tokens", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **string { return &c.ServerTokens }), enumArg("off", "on", "build"))},
		&Directive{Name: "absolute_redirect", Ctx: httpMSL, Args: ArgsFlag, set: slot(coreLoc(func(c *CoreLoc) **bool { return &c.AbsoluteRedirect }), flagArg)},
		&Directive{Name: "port_in_redirect", Ctx: httpMSL, Args: ArgsFlag, set: slot(coreLoc(func(c *CoreLoc) **bool { return &c.PortInRedirect }), flagArg)},
		&Directive{Name: "server_name_in_redirect", Ctx: httpMSL, Args: ArgsFlag, set: slot(coreLoc(func(c *CoreLoc) **bool { return &c.ServerNameInRedirect }), flagArg)},
		&Directive{Name: "limit_rate", Ctx: httpMSL | CtxIfLocation, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **Template { return &c.LimitRate }), sizeTmplArg)},
		&Directive{Name: "limit_rate_after", Ctx: httpMSL | CtxIfLocation, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **Template { return &c.LimitRateAfter }), sizeTmplArg)},
		&Directive{Name: "max_ranges", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **int { return &c.MaxRanges }), numArg)},
		&Directive{Name: "log_not_found", Ctx: httpMSL, Args: ArgsFlag, set: slot(coreLoc(func(c *CoreLoc) **bool { return &c.LogNotFound }), flagArg)},
		&Directive{Name: "recursive_error_pages", Ctx: httpMSL, Args: ArgsFlag, set: slot(coreLoc(func(c *CoreLoc) **bool { return &c.RecursiveErrorPages }), flagArg)},
		&Directive{Name: "chunked_transfer_encoding", Ctx: httpMSL, Args: ArgsFlag, set: slot(coreLoc(func(c *CoreLoc) **bool { return &c.ChunkedTransferEncoding }), flagArg)},
		&Directive{Name: "disable_symlinks", Ctx: httpMSL, Args: Args12, set: slot(coreLoc(func(c *CoreLoc) **DisableSymlinks { return &c.DisableSymlinks }), disableSymlinksArg)},
		&Directive{Name: "resolver", Ctx: httpMSL, Args: Args1More, set: setResolver},
		&Directive{Name: "resolver_timeout", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **time.Duration { return &c.ResolverTimeout }), msecArg)},
		&Directive{Name: "open_file_cache", Ctx: httpMSL, Args: Args12, set: setOpenFileCache, Status: NoOp, Note: noopFileCache},
		&Directive{Name: "open_file_cache_valid", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **time.Duration { return &c.OpenFileCacheValid }), secArg), Status: NoOp, Note: noopFileCache},
		&Directive{Name: "open_file_cache_min_uses", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **int { return &c.OpenFileCacheMinUses }), numArg), Status: NoOp, Note: noopFileCache},
		&Directive{Name: "open_file_cache_errors", Ctx: httpMSL, Args: ArgsFlag, set: slot(coreLoc(func(c *CoreLoc) **bool { return &c.OpenFileCacheErrors }), flagArg), Status: NoOp, Note: noopFileCache},
		&Directive{Name: "open_file_cache_events", Ctx: httpMSL, Args: ArgsFlag, Status: NoOp, Note: "the cache revalidates by modification time"},

		&Directive{Name: "client_header_timeout", Ctx: CtxHTTP | CtxServer, Args: Args1, set: slot(srv(func(c *SrvConf) **time.Duration { return &c.ClientHeaderTimeout }), msecArg)},
		&Directive{Name: "client_header_buffer_size", Ctx: CtxHTTP | CtxServer, Args: Args1, set: slot(srv(func(c *SrvConf) **int64 { return &c.ClientHeaderBufferSize }), sizeArg),
			Status: NoOp, Note: "goproxy reads request heads into one buffer; large_client_header_buffers sets the limits"},
		&Directive{Name: "large_client_header_buffers", Ctx: CtxHTTP | CtxServer, Args: Args2, set: slot(srv(func(c *SrvConf) **BufSpec { return &c.LargeClientHeaderBuffers }), bufsArg)},
		&Directive{Name: "ignore_invalid_headers", Ctx: CtxHTTP | CtxServer, Args: ArgsFlag, set: slot(srv(func(c *SrvConf) **bool { return &c.IgnoreInvalidHeaders }), flagArg)},
		&Directive{Name: "merge_slashes", Ctx: CtxHTTP | CtxServer, Args: ArgsFlag, set: slot(srv(func(c *SrvConf) **bool { return &c.MergeSlashes }), flagArg)},
		&Directive{Name: "max_headers", Ctx: CtxHTTP | CtxServer, Args: Args1, set: slot(srv(func(c *SrvConf) **int { return &c.MaxHeaders }), numArg)},
		&Directive{Name: "underscores_in_headers", Ctx: CtxHTTP | CtxServer, Args: ArgsFlag, set: slot(srv(func(c *SrvConf) **bool { return &c.UnderscoresInHeaders }), flagArg)},

		// Tuning that has no meaning for a Go server.
		&Directive{Name: "sendfile", Ctx: httpMSL | CtxIfLocation, Args: ArgsFlag, set: slot(coreLoc(func(c *CoreLoc) **bool { return &c.Sendfile }), flagArg)},
		&Directive{Name: "sendfile_max_chunk", Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopIO},
		&Directive{Name: "tcp_nopush", Ctx: httpMSL, Args: ArgsFlag, Status: NoOp, set: validateFlag, Note: noopIO},
		&Directive{Name: "tcp_nodelay", Ctx: httpMSL, Args: ArgsFlag, Status: NoOp, set: validateFlag, Note: "Go sets TCP_NODELAY on every connection"},
		&Directive{Name: "aio", Ctx: httpMSL, Args: Args1, Status: NoOp, Note: noopIO, set: validateAio},
		&Directive{Name: "aio_write", Ctx: httpMSL, Args: ArgsFlag, Status: NoOp, set: validateFlag, Note: noopIO},
		&Directive{Name: "directio", Ctx: httpMSL, Args: Args1, Status: NoOp, Note: noopIO, set: func(b *builder, f *frame, s *Stmt) error {
			if s.Args[0] == "off" {
				return nil
			}
			return validateSize(b, f, s)
		}},
		&Directive{Name: "directio_alignment", Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopIO},
		&Directive{Name: "output_buffers", Ctx: httpMSL, Args: Args2, Status: NoOp, Note: noopIO, set: validateBufs},
		&Directive{Name: "postpone_output", Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopIO},
		&Directive{Name: "read_ahead", Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopIO},
		&Directive{Name: "send_lowat", Ctx: httpMSL, Args: Args1, Status: NoOp, set: validateSize, Note: noopIO},
		&Directive{Name: "lingering_close", Ctx: httpMSL, Args: Args1, Status: NoOp, Note: noopIO, set: func(b *builder, f *frame, s *Stmt) error {
			_, err := enumArg("off", "on", "always")(b, s)
			return err
		}},
		&Directive{Name: "lingering_time", Ctx: httpMSL, Args: Args1, Status: NoOp, Note: noopIO, set: validateMsec},
		&Directive{Name: "lingering_timeout", Ctx: httpMSL, Args: Args1, Status: NoOp, Note: noopIO, set: validateMsec},
		&Directive{Name: "reset_timedout_connection", Ctx: httpMSL, Args: ArgsFlag, Status: NoOp, set: validateFlag, Note: noopIO},
		&Directive{Name: "client_body_temp_path", Ctx: httpMSL, Args: Args1234, set: slot(coreLoc(func(c *CoreLoc) **TempPath { return &c.ClientBodyTempPath }), tempPathArg)},
		&Directive{Name: "client_body_in_single_buffer", Ctx: httpMSL, Args: ArgsFlag, Status: NoOp, set: validateFlag, Note: "a body in memory is one buffer in goproxy whatever the setting; where it goes (memory or file) is as in nginx"},
		&Directive{Name: "post_action", Ctx: httpMSL | CtxIfLocation, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **string { return &c.PostAction }), strArg)},
		&Directive{Name: "client_body_in_file_only", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **string { return &c.ClientBodyInFileOnly }), enumArg("off", "on", "clean"))},
		&Directive{Name: "connection_pool_size", Ctx: CtxHTTP | CtxServer, Args: Args1, Status: NoOp, set: validatePoolSize, Note: "nginx memory-pool tuning"},
		&Directive{Name: "request_pool_size", Ctx: CtxHTTP | CtxServer, Args: Args1, Status: NoOp, set: validatePoolSize, Note: "nginx memory-pool tuning"},
		&Directive{Name: "server_names_hash_max_size", Ctx: CtxHTTP, Args: Args1, Status: NoOp, Note: "nginx hash-table tuning", set: validateNum},
		&Directive{Name: "server_names_hash_bucket_size", Ctx: CtxHTTP, Args: Args1, Status: NoOp, Note: "nginx hash-table tuning", set: validateNum},
		&Directive{Name: "types_hash_max_size", Ctx: httpMSL, Args: Args1, Status: NoOp, Note: "nginx hash-table tuning", set: validateNum},
		&Directive{Name: "types_hash_bucket_size", Ctx: httpMSL, Args: Args1, Status: NoOp, Note: "nginx hash-table tuning", set: validateNum},
		&Directive{Name: "variables_hash_max_size", Ctx: CtxHTTP, Args: Args1, Status: NoOp, Note: "nginx hash-table tuning", set: validateNum},
		&Directive{Name: "variables_hash_bucket_size", Ctx: CtxHTTP, Args: Args1, Status: NoOp, Note: "nginx hash-table tuning", set: validateNum},
		&Directive{Name: "subrequest_output_buffer_size", Ctx: httpMSL, Args: Args1, set: slot(coreLoc(func(c *CoreLoc) **int64 { return &c.SubrequestOutputBufferSize }), sizeArg)},
		&Directive{Name: "msie_padding", Ctx: httpMSL, Args: ArgsFlag, Status: NoOp, set: validateFlag, Note: "padding for Internet Explorer 6 error pages"},
		&Directive{Name: "keepalive_disable", Ctx: httpMSL, Args: Args12, Status: NoOp, Note: "workarounds for MSIE 6 and old Safari", set: func(b *builder, f *frame, s *Stmt) error {
			for _, a := range s.Args {
				if a != "none" && a != "msie6" && a != "safari" {
					return errf(s, "invalid value %q", a)
				}
			}
			return nil
		}},
		&Directive{Name: "log_subrequest", Ctx: httpMSL, Args: ArgsFlag, set: slot(coreLoc(func(c *CoreLoc) **bool { return &c.LogSubrequest }), flagArg)},
		&Directive{Name: "msie_refresh", Ctx: httpMSL, Args: ArgsFlag, set: slot(coreLoc(func(c *CoreLoc) **bool { return &c.MSIERefresh }), flagArg)},
	)
}

func validateFlag(b *builder, f *frame, s *Stmt) error {
	_, err := parseFlag(s, s.Args[0])
	return err
}

func validateSize(b *builder, f *frame, s *Stmt) error {
	_, err := sizeArg(b, s)
	return err
}

func validateBufs(b *builder, f *frame, s *Stmt) error {
	_, err := bufsArg(b, s)
	return err
}

// validateAio accepts what nginx built for Linux without file AIO does.
func validateAio(b *builder, f *frame, s *Stmt) error {
	switch v := s.Args[0]; {
	case v == "off", v == "threads", strings.HasPrefix(v, "threads="):
	case v == "on":
		return errf(s, "\"aio on\" is unsupported on this platform")
	default:
		return invalidValue(s)
	}
	return nil
}

// validatePoolSize is nginx's check of connection_pool_size and
// request_pool_size.
func validatePoolSize(b *builder, f *frame, s *Stmt) error {
	n, err := sizeArg(b, s)
	switch {
	case err != nil:
		return err
	case n < 112:
		return errf(s, "the pool size must be no less than 112")
	case n%16 != 0:
		return errf(s, "the pool size must be a multiple of 16")
	}
	return nil
}

// TempPath is a *_temp_path: the directory and the lengths of the
// subdirectory names taken from the end of a file's name.
type TempPath struct {
	Dir    string
	Levels []int `json:",omitempty"`
}

// tempPathArg reads "path [level1 [level2 [level3]]]", the path from the
// prefix; a level is 1 or 2 characters, as in nginx.
func tempPathArg(b *builder, s *Stmt) (TempPath, error) {
	t := TempPath{Dir: b.prefixPath(s.Args[0])}
	for _, l := range s.Args[1:] {
		n, ok := parseDecimal(l)
		if !ok || n < 1 || n > 2 {
			return TempPath{}, invalidValue(s)
		}
		t.Levels = append(t.Levels, int(n))
	}
	return t, nil
}

// validateTempPath checks "path [level1 [level2 [level3]]]".
func validateTempPath(b *builder, f *frame, s *Stmt) error {
	for _, l := range s.Args[1:] {
		if n, ok := parseDecimal(l); !ok || n == 0 {
			return invalidValue(s)
		}
	}
	return nil
}

func bufsArg(b *builder, s *Stmt) (BufSpec, error) {
	n, err := strconv.Atoi(s.Args[0])
	size, ok := ParseSize(s.Args[1])
	if err != nil || n <= 0 || !ok || size == 0 {
		return BufSpec{}, invalidValue(s)
	}
	return BufSpec{Num: n, Size: size}, nil
}

func setHTTP(b *builder, f *frame, s *Stmt) error {
	if b.cfg.HTTP != nil {
		return dupErr(s)
	}
	h := &HTTPConf{Srv: &SrvConf{}, Loc: &Loc{}, LogFormats: map[string]*LogFormat{}, Vars: map[string]bool{}}
	b.cfg.HTTP = h
	if err := b.walk(&frame{ctx: CtxHTTP, main: f.main, http: h, srvConf: h.Srv, loc: h.Loc}, s.Block); err != nil {
		return err
	}
	return b.checkSecureLinks(s)
}

func setServer(b *builder, f *frame, s *Stmt) error {
	srv := &Server{File: s.File, Line: s.Line, Srv: &SrvConf{}, Loc: &Loc{}}
	f.http.Servers = append(f.http.Servers, srv)
	nf := &frame{ctx: CtxServer, main: f.main, http: f.http, srvConf: srv.Srv, server: srv, loc: srv.Loc}
	nf.script = &srv.Loc.Rewrite.Script
	return b.walk(nf, s.Block)
}

// setRoot handles root and alias, which share one field.
func setRoot(b *builder, f *frame, s *Stmt) error {
	alias := s.Name == "alias"
	if r := f.loc.Core.Root; r != nil {
		if r.Alias == alias {
			return dupErr(s)
		}
		other := "root"
		if r.Alias {
			other = "alias"
		}
		return errf(s, "%q directive is duplicate, %q directive was specified earlier", s.Name, other)
	}
	if alias && f.location != nil && f.location.Modifier == "@" {
		return errf(s, "the \"alias\" directive cannot be used inside the named location")
	}
	v := s.Args[0]
	t, err := b.tmpl(s, v)
	if err != nil {
		return err
	}
	if t.IsConst() {
		// nginx resolves a constant path against the prefix now and keeps
		// a trailing slash of alias but drops that of root.
		v = b.prefixPath(v)
		if !alias && len(v) > 1 {
			v = strings.TrimSuffix(v, "/")
		}
		t = &Template{Raw: v, Parts: []Part{{Lit: v}}}
	}
	r := &DocRoot{Path: t, Alias: alias, File: s.File, Line: s.Line}
	if alias && f.location != nil {
		r.AliasPrefix, r.AliasRegex = f.location.Pattern, f.location.Regex != nil
	}
	f.loc.Core.Root = r
	return nil
}

func setTryFiles(b *builder, f *frame, s *Stmt) error {
	if f.loc.Core.TryFiles != nil {
		return dupErr(s)
	}
	for i, a := range s.Args {
		if i == len(s.Args)-1 && strings.HasPrefix(a, "=") {
			code, err := strconv.Atoi(a[1:])
			if err != nil || code < 1 || code > 999 {
				return errf(s, "invalid code %q", a)
			}
		}
		t, err := b.tmpl(s, a)
		if err != nil {
			return err
		}
		f.loc.Core.TryFiles = append(f.loc.Core.TryFiles, t)
	}
	return nil
}

// setTypes reads "types { mime ext ext; }", a block of mappings rather
// than directives.
func setTypes(b *builder, f *frame, s *Stmt) error {
	if f.loc.Core.Types == nil {
		f.loc.Core.Types = map[string]string{}
	}
	return b.walkTypes(f.loc.Core.Types, s.Block)
}

func (b *builder) walkTypes(m map[string]string, stmts []*Stmt) error {
	for _, t := range stmts {
		if t.err != nil {
			return t.err
		}
		if t.Name == "include" {
			if err := b.includeInto(t, func(in []*Stmt) error { return b.walkTypes(m, in) }); err != nil {
				return err
			}
			continue
		}
		if t.IsBlock {
			return errf(t, "unexpected \"{\"")
		}
		for _, ext := range t.Args {
			ext = lower(ext)
			if old, ok := m[ext]; ok {
				b.warn(t, "duplicate extension %q, content type: %q, previous content type: %q", ext, t.Name, old)
			}
			m[ext] = t.Name
		}
	}
	return nil
}

func setErrorPage(b *builder, f *frame, s *Stmt) error {
	ep := &ErrorPage{}
	args := s.Args
	uri := args[len(args)-1]
	args = args[:len(args)-1]
	if len(args) > 0 && strings.HasPrefix(args[len(args)-1], "=") {
		v := args[len(args)-1][1:]
		args = args[:len(args)-1]
		if v == "" {
			ep.Status = -1
		} else {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || v[0] == '+' {
				return errf(s, "invalid value %q", "="+v)
			}
			ep.Status = n
		}
	}
	if len(args) == 0 {
		return errf(s, "invalid number of arguments in %q directive", s.Name)
	}
	for _, c := range args {
		n, err := strconv.Atoi(c)
		if err != nil {
			return errf(s, "invalid value %q", c)
		}
		if n < 300 || n > 599 {
			return errf(s, "value %q must be between 300 and 599", c)
		}
		if n == 499 {
			return errf(s, "invalid value %q", c)
		}
		ep.Codes = append(ep.Codes, n)
	}
	t, err := b.tmpl(s, uri)
	if err != nil {
		return err
	}
	ep.URI = t
	f.loc.Core.ErrorPages = append(f.loc.Core.ErrorPages, ep)
	return nil
}

func setLimitExcept(b *builder, f *frame, s *Stmt) error {
	if f.loc.Core.LimitExcept != nil {
		return errf(s, "\"limit_except\" directive is duplicate")
	}
	le := &LimitExcept{Conf: &Loc{}}
	for _, m := range s.Args {
		m = strings.ToUpper(m)
		switch m {
		case "GET", "HEAD", "POST", "PUT", "DELETE", "MKCOL", "COPY", "MOVE", "OPTIONS",
			"PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "PATCH":
		default:
			return errf(s, "invalid method %q", m)
		}
		le.Methods = append(le.Methods, m)
	}
	f.loc.Core.LimitExcept = le
	nf := *f
	nf.ctx = CtxLimitExcept
	nf.loc = le.Conf
	nf.script = nil
	return b.walk(&nf, s.Block)
}

func setKeepaliveTimeout(b *builder, f *frame, s *Stmt) error {
	c := &f.loc.Core
	if c.KeepaliveTimeout != nil {
		return dupErr(s)
	}
	d, ok := ParseTime(s.Args[0], true)
	if !ok {
		return invalidValue(s)
	}
	c.KeepaliveTimeout = &d
	if len(s.Args) == 2 {
		h, ok := ParseTime(s.Args[1], false)
		if !ok {
			return invalidValue(s)
		}
		c.KeepaliveHeader = &h
	}
	return nil
}

func setResolver(b *builder, f *frame, s *Stmt) error {
	c := &f.loc.Core
	if c.Resolver != nil {
		return dupErr(s)
	}
	r, err := parseResolver(s)
	if err != nil {
		return err
	}
	c.Resolver = r
	return nil
}

// parseResolver reads "resolver address ... [valid=time] [ipv6=on|off]",
// in http or stream.
func parseResolver(s *Stmt) (*Resolver, error) {
	r := &Resolver{IPv6: true}
	for _, a := range s.Args {
		switch {
		case strings.HasPrefix(a, "valid="):
			d, ok := ParseTime(a[6:], false)
			if !ok {
				return nil, errf(s, "invalid parameter: %s", a)
			}
			r.Valid = d
		case strings.HasPrefix(a, "ipv6="):
			v, err := parseFlag(s, a[5:])
			if err != nil {
				return nil, errf(s, "invalid parameter: %s", a)
			}
			r.IPv6 = v
		case strings.HasPrefix(a, "ipv4="), strings.HasPrefix(a, "status_zone="):
			return nil, errf(s, "resolver parameter %q is not supported by goproxy", a)
		default:
			addr, err := resolverAddr(a)
			if err != nil {
				return nil, errf(s, "%s", err.Error())
			}
			r.Addrs = append(r.Addrs, addr)
		}
	}
	return r, nil
}

func setOpenFileCache(b *builder, f *frame, s *Stmt) error {
	c := &f.loc.Core
	if c.OpenFileCache != nil {
		return dupErr(s)
	}
	o := &OpenFileCache{Inactive: 60 * time.Second}
	for _, a := range s.Args {
		switch {
		case a == "off":
			o.Off = true
		case strings.HasPrefix(a, "max="):
			n, err := strconv.Atoi(a[4:])
			if err != nil || n <= 0 {
				return errf(s, "invalid %q parameter %q", s.Name, a)
			}
			o.Max = n
		case strings.HasPrefix(a, "inactive="):
			d, ok := ParseTime(a[9:], false)
			if !ok {
				return errf(s, "invalid %q parameter %q", s.Name, a)
			}
			o.Inactive = d
		default:
			return errf(s, "invalid %q parameter %q", s.Name, a)
		}
	}
	if !o.Off && o.Max == 0 {
		return errf(s, "%q must have the \"max\" parameter", s.Name)
	}
	c.OpenFileCache = o
	return nil
}
