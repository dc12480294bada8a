package confparse

// mod_stream_pass.go: ngx_stream_pass_module (nginx 1.25.5) — the
// accepted connection is handed to another listening socket of this
// server (http, stream), e.g. after the stream server terminated TLS.

import (
	"net"
	"strconv"
	"strings"
)

func init() {
	register("ngx_stream_pass_module",
		&Directive{Name: "pass", Ctx: CtxStreamServer, Args: Args1, set: setStreamPass})
}

// setStreamPass reads "pass address": a constant address is checked as
// nginx checks it (a port is needed, no name is resolved). pass is the
// server's content handler: like nginx, the last of pass, proxy_pass
// and return in a server is the one in force.
func setStreamPass(b *builder, f *frame, s *Stmt) error {
	srv := f.streamServer
	if srv.Pass != nil {
		return dupErr(s)
	}
	t, err := b.tmpl(s, s.Args[0])
	if err != nil {
		return err
	}
	if t.IsConst() {
		if msg := CheckPassAddr(s.Args[0]); msg != "" {
			if msg == "no port" || msg == "no addresses" {
				return errf(s, "\"pass\" directive has %s", msg)
			}
			return errf(s, "%s in %q of the \"pass\" directive", msg, s.Args[0])
		}
	}
	srv.Pass, srv.ProxyPass, srv.Return = t, nil, nil
	return nil
}

// CheckPassAddr checks a pass address (host:port with an IP host, or
// unix:path) and returns what nginx says is wrong with it: "" when
// nothing, "no port", "no addresses" (a host name: pass resolves none),
// or the parse error ("invalid port", "no path in the unix domain
// socket").
func CheckPassAddr(a string) string {
	if strings.HasPrefix(a, "unix:") {
		if a == "unix:" {
			return "no path in the unix domain socket"
		}
		return ""
	}
	host, port, ok := splitHostPort(a)
	if !ok {
		return "no port"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "invalid port"
	}
	if net.ParseIP(strings.Trim(host, "[]")) == nil {
		return "no addresses"
	}
	return ""
}
