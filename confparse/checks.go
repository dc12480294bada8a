package confparse

// checks.go holds the whole-configuration checks nginx makes once
// everything is read: listen conflicts, server name conflicts, and
// goproxy's own warnings about risky configurations.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// defaultListen is nginx's listen for a server without one: *:80 when
// started as root, *:8000 otherwise.
func defaultListen(s *Server) *Listen {
	port := 80
	if os.Geteuid() != 0 {
		port = 8000
	}
	return &Listen{Network: "tcp", Addr: fmt.Sprintf("0.0.0.0:%d", port), Port: port, Implicit: true, File: s.File, Line: s.Line}
}

func (b *builder) checkHTTP() error {
	h := b.cfg.HTTP
	if err := b.checkUpstreams(); err != nil {
		return err
	}
	defaults := map[string]*Listen{}
	options := map[string]*Listen{}
	names := map[string]map[string]bool{} // addr -> names seen
	for _, s := range h.Servers {
		for _, l := range s.Listens {
			if l.DefaultServer {
				if _, dup := defaults[l.Key()]; dup {
					return &Diag{Level: LevelEmerg, Msg: "a duplicate default server for " + l.Addr, File: l.File, Line: l.Line}
				}
				defaults[l.Key()] = l
			}
			if l.Backlog != 0 || l.ReusePort || l.IPv6Only && l.Network == "tcp" && !strings.HasPrefix(l.Addr, "[") {
				if _, dup := options[l.Key()]; dup {
					return &Diag{Level: LevelEmerg, Msg: "duplicate listen options for " + l.Addr, File: l.File, Line: l.Line}
				}
				options[l.Key()] = l
			}
			if names[l.Key()] == nil {
				names[l.Key()] = map[string]bool{}
			}
			for _, n := range s.Names {
				key := fmt.Sprintf("%d:%v:%s", n.Kind, n.Dot, n.Name)
				if names[l.Key()][key] {
					b.warn(nil, "conflicting server name %q on %s, ignored", n.written(), l.Addr)
					continue
				}
				names[l.Key()][key] = true
			}
		}
		for _, l := range s.Locations {
			b.checkLocation(l)
			if err := checkUpstreamSSLs(l); err != nil {
				return err
			}
		}
		if err := checkSSL(s); err != nil {
			return err
		}
	}
	return nil
}

// checkSSL applies "ssl on" and requires certificates where TLS is
// served, as nginx does at the end of its configuration.
func checkSSL(s *Server) error {
	c := &s.Srv.SSL
	for _, l := range s.Listens {
		if *c.On && l.Network == "tcp" {
			l.SSL = true
		}
		quic := l.Network == "udp"
		if !l.SSL && !quic || *c.RejectHandshake {
			continue
		}
		if len(c.Certificates) == 0 {
			kind := "ssl"
			if quic {
				kind = "quic"
			}
			// nginx names the server block, not the listen.
			return &Diag{Level: LevelEmerg, File: s.File, Line: s.Line,
				Msg: `no "ssl_certificate" is defined for the "listen ... ` + kind + `" directive`}
		}
	}
	for i, cert := range c.Certificates {
		if i >= len(c.Keys) {
			return &Diag{Level: LevelEmerg, File: c.File, Line: c.Line,
				Msg: fmt.Sprintf("no \"ssl_certificate_key\" is defined for certificate %q", cert.Raw)}
		}
	}
	return nil
}

// written gives a server name back as it was written.
func (n *ServerName) written() string {
	switch n.Kind {
	case NameWildcardPrefix:
		if n.Dot {
			return "." + n.Name
		}
		return "*." + n.Name
	case NameWildcardSuffix:
		return n.Name + ".*"
	case NameRegex:
		return "~" + n.Name
	}
	return n.Name
}

// checkLocation warns about the classic alias traversal: a prefix
// location without a trailing slash whose alias ends in one lets
// "/static../secret" reach the alias' parent in nginx. goproxy refuses
// such requests at run time; the warning tells the operator to fix it.
func (b *builder) checkLocation(l *Location) {
	r := l.Conf.Core.Root
	if r != nil && r.Alias && l.Regex == nil && l.Modifier != "=" && l.Modifier != "@" &&
		!strings.HasSuffix(l.Pattern, "/") && strings.HasSuffix(r.Path.Raw, "/") && r.File != "" {
		b.warnings = append(b.warnings, &Diag{Level: LevelWarn, File: r.File, Line: r.Line,
			Msg: fmt.Sprintf("location %q has no trailing slash but its alias %q has one: in nginx "+
				"\"%s../\" escapes the alias directory; goproxy refuses such paths", l.Pattern, r.Path.Raw, l.Pattern)})
	}
	for _, c := range l.Locations {
		b.checkLocation(c)
	}
}

// checkUpstreamSSLs runs checkUpstreamSSL on each location whose pass
// may speak TLS: proxy_pass to https://, uwsgi_pass to suwsgi://,
// grpc_pass to grpcs://, or any of them with variables.
func checkUpstreamSSLs(l *Location) error {
	if p := &l.Conf.Proxy; p.Pass != nil && (p.Pass.Scheme == "https" || p.Pass.Vars) {
		if err := checkUpstreamSSL("proxy", &p.UpstreamSSL); err != nil {
			return err
		}
	}
	if u := &l.Conf.UWSGI; u.Pass != nil && (u.Pass.Scheme == "suwsgi" || u.Pass.Vars) {
		if err := checkUpstreamSSL("uwsgi", &u.UpstreamSSL); err != nil {
			return err
		}
	}
	if g := &l.Conf.GRPC; g.Pass != nil && (g.Pass.Scheme == "grpcs" || g.Pass.Vars) {
		if err := checkUpstreamSSL("grpc", &g.UpstreamSSL); err != nil {
			return err
		}
	}
	for _, c := range l.Locations {
		if err := checkUpstreamSSLs(c); err != nil {
			return err
		}
	}
	return nil
}

// checkConnections is nginx's check that each worker can hold at least
// one connection beyond its listening sockets (worker_connections, 512
// unless set). A wildcard address takes in the specific addresses of
// its port, as when goproxy binds.
func (b *builder) checkConnections() error {
	wc := DefaultWorkerConnections
	if e := b.cfg.Main.Events; e != nil && e.WorkerConnections != nil {
		wc = *e.WorkerConnections
	}
	sockets := map[string]bool{}
	if h := b.cfg.HTTP; h != nil {
		var all []*Listen
		for _, s := range h.Servers {
			all = append(all, s.Listens...)
		}
		for _, l := range BoundListens(all) {
			sockets[l.Network+" "+l.Addr] = true
		}
	}
	if wc <= len(sockets) {
		return &Diag{Level: LevelEmerg, Msg: fmt.Sprintf("%d worker_connections are not enough for %d listening sockets", wc, len(sockets))}
	}
	return nil
}

// BoundListens are the sockets a set of listens binds: a wildcard
// address of a port (per protocol) covers every specific IPv4 address of
// that port, as in nginx.
func BoundListens(all []*Listen) []*Listen {
	wild := map[string]bool{}
	for _, l := range all {
		if l.Network != "unix" && strings.HasPrefix(l.Addr, "0.0.0.0:") {
			wild[l.Network+" "+strconv.Itoa(l.Port)] = true
		}
	}
	var out []*Listen
	for _, l := range all {
		if l.Network != "unix" && !strings.HasPrefix(l.Addr, "0.0.0.0:") && !strings.HasPrefix(l.Addr, "[") && wild[l.Network+" "+strconv.Itoa(l.Port)] {
			continue
		}
		out = append(out, l)
	}
	return out
}
