package confparse

// listen.go reads listen, server_name and resolver addresses.

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// listenParams are the listen flags goproxy accepts and what it does
// with each; a flag missing here is refused as not supported.
var listenParams = map[string]string{
	"default_server": "", "default": "", "ssl": "", "http2": "",
	"backlog": "=", "rcvbuf": "=", "sndbuf": "=", "deferred": "", "bind": "",
	"ipv6only": "=", "reuseport": "", "so_keepalive": "=", "fastopen": "=",
	"setfib": "=", "accept_filter": "=", "proxy_protocol": "", "quic": "",
}

// unsupportedListenParams are real nginx listen flags whose feature
// goproxy lacks.
var unsupportedListenParams = map[string]bool{}

// tcpOnlyListenParams are the listen flags nginx refuses beside "quic",
// in the order it checks them.
var tcpOnlyListenParams = []string{"fastopen", "backlog", "accept_filter", "deferred", "ssl", "http2", "so_keepalive", "proxy_protocol"}

func setListen(b *builder, f *frame, s *Stmt) error {
	addrs, port, network, err := parseListenAddr(s.Args[0])
	if err != nil {
		return errf(s, "%s", err.Error())
	}
	proto := &Listen{Network: network, Port: port, File: s.File, Line: s.Line}
	for _, a := range s.Args[1:] {
		name, val, hasVal := strings.Cut(a, "=")
		if unsupportedListenParams[name] {
			return errf(s, "the %q parameter of \"listen\" is not supported by goproxy", name)
		}
		kind, ok := listenParams[name]
		if !ok || (kind == "=") != hasVal {
			return errf(s, "invalid parameter %q", a)
		}
		switch name {
		case "default_server", "default":
			proto.DefaultServer = true
		case "ssl":
			proto.SSL = true
		case "proxy_protocol":
			proto.ProxyProtocol = true
		case "http2":
			proto.HTTP2 = true
		case "backlog":
			n, err := strconv.Atoi(val)
			if err != nil || n == 0 {
				return errf(s, "invalid backlog %q", a)
			}
			proto.Backlog = n
		case "rcvbuf", "sndbuf", "so_keepalive":
			if err := proto.Sock.set(name, val); err != nil {
				return errf(s, "%s", err.Error())
			}
		case "ipv6only":
			switch val {
			case "on":
				proto.IPv6Only = true
			case "off":
			default:
				return errf(s, "invalid ipv6only flags %q", a)
			}
		case "reuseport":
			proto.ReusePort = true
		case "quic":
			if network == "unix" {
				return errf(s, "invalid parameter %q", a)
			}
			proto.Network = "udp"
		}
	}
	if proto.Network == "udp" {
		for _, p := range tcpOnlyListenParams {
			for _, a := range s.Args[1:] {
				if name, _, _ := strings.Cut(a, "="); name == p {
					return errf(s, "\"%s\" parameter is incompatible with \"quic\"", p)
				}
			}
		}
	}
	for _, addr := range addrs {
		l := *proto
		l.Addr = addr
		if network == "tcp" && strings.HasPrefix(addr, "[") && !hasParam(s.Args[1:], "ipv6only=off") {
			l.IPv6Only = true // nginx's default for IPv6 listens
		}
		for _, o := range f.server.Listens {
			if o.Key() == l.Key() {
				return errf(s, "a duplicate listen %s", l.Addr)
			}
		}
		f.server.Listens = append(f.server.Listens, &l)
	}
	return nil
}

func hasParam(args []string, p string) bool {
	for _, a := range args {
		if a == p {
			return true
		}
	}
	return false
}

// parseListenAddr reads "80", "*:80", "127.0.0.1", "[::]:8080",
// "localhost:8000" or "unix:/path" and returns normalised addresses.
func parseListenAddr(v string) (addrs []string, port int, network string, err error) {
	if strings.HasPrefix(v, "unix:") {
		p := v[5:]
		if p == "" {
			return nil, 0, "", errors.New(nginxf("no path in the unix domain socket in %q of the \"listen\" directive", v))
		}
		return []string{p}, 0, "unix", nil
	}
	bad := errors.New(nginxf("invalid port in %q of the \"listen\" directive", v))
	host, portStr := "", ""
	switch {
	case strings.HasPrefix(v, "["):
		end := strings.IndexByte(v, ']')
		if end < 0 {
			return nil, 0, "", errors.New(nginxf("invalid host in %q of the \"listen\" directive", v))
		}
		host = v[1:end]
		rest := v[end+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return nil, 0, "", bad
			}
			portStr = rest[1:]
		}
	case strings.Contains(v, ":"):
		host, portStr, _ = strings.Cut(v, ":")
	default:
		if _, err := strconv.Atoi(v); err == nil {
			portStr = v
		} else {
			host = v
		}
	}
	port = 80
	if portStr != "" {
		port, err = strconv.Atoi(portStr)
		if err != nil || port < 1 || port > 65535 {
			return nil, 0, "", bad
		}
	}
	ps := strconv.Itoa(port)
	switch {
	case host == "" || host == "*":
		return []string{"0.0.0.0:" + ps}, port, "tcp", nil
	case net.ParseIP(host) != nil:
		ip := net.ParseIP(host)
		if ip.To4() != nil {
			return []string{ip.To4().String() + ":" + ps}, port, "tcp", nil
		}
		return []string{"[" + ip.String() + "]:" + ps}, port, "tcp", nil
	}
	ips, lerr := net.LookupIP(host)
	if lerr != nil || len(ips) == 0 {
		return nil, 0, "", errors.New(nginxf("host not found in %q of the \"listen\" directive", v))
	}
	for _, ip := range ips {
		if ip4 := ip.To4(); ip4 != nil {
			addrs = append(addrs, ip4.String()+":"+ps)
		} else {
			addrs = append(addrs, "["+ip.String()+"]:"+ps)
		}
	}
	return addrs, port, "tcp", nil
}

func setServerName(b *builder, f *frame, s *Stmt) error {
	for _, a := range s.Args {
		if a == "$hostname" {
			h, _ := os.Hostname()
			a = h
		}
		sn := &ServerName{}
		switch {
		case strings.HasPrefix(a, "~"):
			// nginx compiles server name regexes caseless: host names
			// are case-insensitive ("~^EXAMPLE\.COM$" matches example.com).
			r, err := b.regex(s, a[1:], true)
			if err != nil {
				return err
			}
			sn.Kind, sn.Name, sn.Regex = NameRegex, a[1:], r
		case strings.HasPrefix(a, "*."):
			sn.Kind, sn.Name = NameWildcardPrefix, lower(a[2:])
		case strings.HasPrefix(a, "."):
			sn.Kind, sn.Name, sn.Dot = NameWildcardPrefix, lower(a[1:]), true
		case strings.HasSuffix(a, ".*"):
			sn.Kind, sn.Name = NameWildcardSuffix, lower(a[:len(a)-2])
		case a == "*" || (strings.Contains(a, "*") && !strings.HasPrefix(a, "*.") && !strings.HasSuffix(a, ".*")):
			if a == "*" {
				return errf(s, "server name %q is invalid", a)
			}
			sn.Kind, sn.Name = NameExact, lower(a)
		default:
			sn.Kind, sn.Name = NameExact, lower(a)
		}
		f.server.Names = append(f.server.Names, sn)
	}
	return nil
}

// resolverAddr normalises a resolver address to host:port (port 53).
func resolverAddr(a string) (string, error) {
	host, port := a, "53"
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", errors.New(nginxf("invalid resolver address %q", a))
		}
		host = a[1:end]
		if rest := a[end+1:]; strings.HasPrefix(rest, ":") {
			port = rest[1:]
		}
	} else if h, p, ok := strings.Cut(a, ":"); ok && !strings.Contains(p, ":") {
		host, port = h, p
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", errors.New(nginxf("invalid port in resolver %q", a))
	}
	if net.ParseIP(host) == nil {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return "", errors.New(nginxf("host not found in resolver %q", a))
		}
		host = ips[0].String()
	}
	return net.JoinHostPort(host, port), nil
}

// SockOpts are listen's socket options that goproxy sets on the
// listening socket, as nginx does: accepted connections inherit them.
type SockOpts struct {
	RcvBuf, SndBuf int          `json:",omitempty"` // rcvbuf=, sndbuf= (0: the system's)
	Keepalive      *SoKeepalive `json:",omitempty"` // so_keepalive=; nil: left as the system has it (off)
}

// SoKeepalive is so_keepalive=on|off|[keepidle]:[keepintvl]:[keepcnt].
type SoKeepalive struct {
	Off            bool          `json:",omitempty"`
	Idle, Interval time.Duration `json:",omitempty"` // 0: the system's
	Count          int           `json:",omitempty"`
}

// set reads rcvbuf=, sndbuf= or so_keepalive= in nginx's words.
func (o *SockOpts) set(name, val string) error {
	if name != "so_keepalive" {
		n, ok := ParseSize(val)
		if !ok || n > 1<<31-1 {
			return fmt.Errorf("invalid %s \"%s=%s\"", name, name, val)
		}
		if name == "rcvbuf" {
			o.RcvBuf = int(n)
		} else {
			o.SndBuf = int(n)
		}
		return nil
	}
	k, ok := parseSoKeepalive(val)
	if !ok {
		return fmt.Errorf("invalid so_keepalive value: \"%s\"", val)
	}
	o.Keepalive = k
	return nil
}

// parseSoKeepalive reads so_keepalive's value: the idle time and the
// interval in nginx's time syntax (seconds), the count a number, any of
// them empty, not all of them zero.
func parseSoKeepalive(v string) (*SoKeepalive, bool) {
	switch v {
	case "on":
		return &SoKeepalive{}, true
	case "off":
		return &SoKeepalive{Off: true}, true
	}
	idle, rest, _ := strings.Cut(v, ":")
	intvl, cnt, _ := strings.Cut(rest, ":")
	k := &SoKeepalive{}
	var ok bool
	if idle != "" {
		if k.Idle, ok = ParseTime(idle, false); !ok {
			return nil, false
		}
	}
	if intvl != "" {
		if k.Interval, ok = ParseTime(intvl, false); !ok {
			return nil, false
		}
	}
	if cnt != "" {
		n, err := strconv.Atoi(cnt)
		if err != nil || n < 0 {
			return nil, false
		}
		k.Count = n
	}
	if k.Idle == 0 && k.Interval == 0 && k.Count == 0 {
		return nil, false
	}
	return k, true
}
