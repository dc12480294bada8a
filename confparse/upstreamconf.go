package confparse

// upstreamconf.go holds the upstream settings nginx keeps in its
// ngx_http_upstream_conf_t and gives every upstream module under its own
// prefix (proxy_bind, fastcgi_bind, ... memcached_bind; *_force_ranges,
// *_limit_rate, *_store, *_store_access, *_socket_keepalive). One table
// builder serves all of them, so that the modules cannot drift apart.

import (
	"net"
	"strconv"
	"strings"
)

// UpstreamConn is the part of an upstream module's configuration that is
// the same for every protocol.
type UpstreamConn struct {
	// Bind is *_bind; its Addr nil is "off".
	Bind *Bind `json:",omitempty"`
	// SocketKeepalive is *_socket_keepalive: SO_KEEPALIVE on the
	// upstream socket, with the system's timers.
	SocketKeepalive *bool `json:",omitempty"`
	// ForceRanges is *_force_ranges: byte ranges are served from the
	// upstream's response whether it sends Accept-Ranges or not.
	ForceRanges *bool  `json:",omitempty"`
	LimitRate   *int64 `json:",omitempty"` // *_limit_rate, bytes a second; 0 none
	// Store is *_store: a 200 response is saved to disk as it passes.
	Store *Store `json:",omitempty"`
	// StoreAccess is *_store_access, the mode of the saved files (and,
	// with x where r, of the directories made for them).
	StoreAccess *uint32 `json:",omitempty"`
}

// Bind is the local address of upstream connections (*_bind, stream's
// proxy_bind).
type Bind struct {
	// Addr is the address with an optional port, or a template of it;
	// nil is "off". An evaluated value is read by ParseBindAddr.
	Addr        *Template `json:",omitempty"`
	Transparent bool      `json:",omitempty"` // IP_TRANSPARENT: any address, as the client's
}

// Store is *_store: On with Path nil saves under the location's root
// (the request's file name); Path names the file itself.
type Store struct {
	On   bool
	Path *Template `json:",omitempty"`
}

// ParseBindAddr reads a bind address as nginx's ngx_parse_addr_port: an
// IPv4 or IPv6 address, with ":port" after an IPv4 one or a bracketed
// IPv6 one; port 0 is refused.
func ParseBindAddr(v string) (ip net.IP, port int, ok bool) {
	host, p := v, ""
	switch {
	case strings.HasPrefix(v, "["):
		i := strings.Index(v, "]:")
		if i < 0 {
			return nil, 0, false
		}
		host, p = v[1:i], v[i+2:]
	case strings.Count(v, ":") == 1:
		host, p, _ = strings.Cut(v, ":")
	}
	if ip = net.ParseIP(host); ip == nil {
		return nil, 0, false
	}
	if p != "" || host != v {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || p[0] == '+' {
			return nil, 0, false
		}
		port = n
	}
	return ip, port, true
}

// setBind reads *_bind into *bp: "off", or an address (with variables,
// checked when evaluated), and "transparent".
func setBind(b *builder, bp **Bind, s *Stmt) error {
	if *bp != nil {
		return dupErr(s)
	}
	if s.Args[0] == "off" && len(s.Args) == 1 {
		*bp = &Bind{}
		return nil
	}
	t, err := b.tmpl(s, s.Args[0])
	if err != nil {
		return err
	}
	if t.IsConst() {
		if _, _, ok := ParseBindAddr(s.Args[0]); !ok {
			return errf(s, "invalid address %q", s.Args[0])
		}
	}
	bd := &Bind{Addr: t}
	if len(s.Args) == 2 {
		if s.Args[1] != "transparent" {
			return errf(s, "invalid parameter %q", s.Args[1])
		}
		bd.Transparent = true
	}
	*bp = bd
	return nil
}

// upstreamConnDirectives is the table of the settings above, named with
// the module's prefix. memcached has only *_bind and
// *_socket_keepalive: nginx never buffers its response, so it has
// nothing to range, pace or store.
func upstreamConnDirectives(prefix string) []*Directive {
	get := func(l *Loc) *UpstreamConn { u, _ := upstreamModule(l, prefix); return u }
	n := func(s string) string { return prefix + "_" + s }
	ds := []*Directive{
		{Name: n("bind"), Ctx: httpMSL, Args: Args12, set: func(b *builder, f *frame, s *Stmt) error {
			return setBind(b, &get(f.loc).Bind, s)
		}},
		{Name: n("socket_keepalive"), Ctx: httpMSL, Args: ArgsFlag, set: slot(loc(func(l *Loc) **bool { return &get(l).SocketKeepalive }), flagArg)},
	}
	if prefix == "memcached" {
		return ds
	}
	return append(ds,
		&Directive{Name: n("force_ranges"), Ctx: httpMSL, Args: ArgsFlag, set: slot(loc(func(l *Loc) **bool { return &get(l).ForceRanges }), flagArg)},
		&Directive{Name: n("limit_rate"), Ctx: httpMSL, Args: Args1, set: slot(loc(func(l *Loc) **int64 { return &get(l).LimitRate }), sizeArg)},
		&Directive{Name: n("store_access"), Ctx: httpMSL, Args: Args123, set: slot(loc(func(l *Loc) **uint32 { return &get(l).StoreAccess }), accessArg)},
		&Directive{Name: n("store"), Ctx: httpMSL, Args: Args1, Note: "the temporary file is written in the nearest existing directory of the destination, not in " + n("temp_path"), set: func(b *builder, f *frame, s *Stmt) error {
			u := get(f.loc)
			if u.Store != nil {
				return dupErr(s)
			}
			switch v := s.Args[0]; v {
			case "off":
				u.Store = &Store{}
				return nil
			case "on":
				u.Store = &Store{On: true}
			default:
				t, err := b.tmpl(s, v)
				if err != nil {
					return err
				}
				u.Store = &Store{On: true, Path: t}
			}
			if _, c := upstreamModule(f.loc, prefix); c != nil && c.Zone != nil && c.Zone.Raw != "off" {
				return errf(s, "%q directive is incompatible with \"%s_cache\"", s.Name, prefix)
			}
			return nil
		}},
	)
}

// upstreamModule is the module's UpstreamConn and CacheLoc in l, by its
// prefix (memcached has no cache).
func upstreamModule(l *Loc, prefix string) (*UpstreamConn, *CacheLoc) {
	switch prefix {
	case "proxy":
		return &l.Proxy.UpstreamConn, &l.Proxy.Cache
	case "fastcgi":
		return &l.FastCGI.UpstreamConn, &l.FastCGI.Cache
	case "scgi":
		return &l.SCGI.UpstreamConn, &l.SCGI.Cache
	case "uwsgi":
		return &l.UWSGI.UpstreamConn, &l.UWSGI.Cache
	}
	return &l.Memcached.UpstreamConn, nil
}

// storeConflict is *_cache's check against *_store at the same level.
func storeConflict(l *Loc, prefix string, s *Stmt) error {
	if u, _ := upstreamModule(l, prefix); u.Store != nil && u.Store.On && s.Args[0] != "off" {
		return errf(s, "%q directive is incompatible with \"%s_store\"", s.Name, prefix)
	}
	return nil
}

// storeOrCache applies nginx's rule that *_store and *_cache exclude
// each other: the one a level writes turns off the other it would
// inherit (a location's proxy_cache is not stored by the server's
// proxy_store, and the other way round).
func storeOrCache(l *Loc) {
	for _, prefix := range []string{"proxy", "fastcgi", "scgi", "uwsgi"} {
		u, c := upstreamModule(l, prefix)
		switch {
		case u.Store != nil && u.Store.On && c.Zone == nil:
			c.Zone = &Template{Raw: "off", Parts: []Part{{Lit: "off"}}}
		case c.Zone != nil && !(c.Zone.IsConst() && c.Zone.Raw == "off") && u.Store == nil:
			u.Store = &Store{}
		}
	}
}

// upstreamConnDefaults are nginx's defaults.
func upstreamConnDefaults() UpstreamConn {
	return UpstreamConn{Bind: &Bind{}, SocketKeepalive: ptr(false), ForceRanges: ptr(false),
		LimitRate: ptr(int64(0)), Store: &Store{}, StoreAccess: ptr(uint32(0o600))}
}
