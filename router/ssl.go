package router

// ssl.go connects ngx_http_ssl_module's settings to the router: the TLS
// configuration for a handshake is that of the server its SNI name
// selects on the address, and client certificates are checked per
// connection with nginx's 495/496 answers.

import (
	"crypto/tls"
	"errors"
	"net/http"
	"time"

	"goproxy/acme"
	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
	"goproxy/proxy"
	"goproxy/ssl"
)

var errNoServer = errors.New("no server for this address")

// buildSSL prepares the TLS side of every server with an ssl or a quic
// listen.
func (rt *Router) buildSSL() error {
	for _, s := range rt.servers {
		if f := s.conf.Srv.HTTP3.HostKey; f != nil {
			k, err := confparse.ReadQUICHostKey(*f)
			if err != nil {
				return err
			}
			s.quicKey = k
		}
		for _, l := range s.conf.Listens {
			if !l.SSL && l.Network != "udp" {
				continue
			}
			tc, err := ssl.New(&s.conf.Srv.SSL, rt.Cfg.ConfPrefix, rt.sslEnv(s.conf))
			if err != nil {
				return err
			}
			if c := rt.acme.For(s.conf); c != nil {
				tc.SetACME(c.GetCertificate)
			}
			s.ssl = tc
			break
		}
	}
	return nil
}

// sslEnv is what a server's TLS side uses of the rest: the server's
// resolver (OCSP responders' names) and the error log.
func (rt *Router) sslEnv(sc *confparse.Server) *ssl.Env {
	env := &ssl.Env{Log: rt.errline}
	if core := sc.Loc.Core; core.Resolver != nil && len(core.Resolver.Addrs) > 0 {
		timeout := 30 * time.Second
		if core.ResolverTimeout != nil {
			timeout = *core.ResolverTimeout
		}
		logf := func(msg string) {
			if rt.errline != nil {
				rt.errline(confparse.LevelError, msg)
			}
		}
		env.Resolve = proxy.NewResolver(core.Resolver, timeout, logf).Resolve
		env.ResolveTimeout = timeout
	}
	return env
}

// TLSConfig answers a handshake on the listen address addr: the server
// the SNI name selects among those of the connection's address, else the
// address' default server. HTTP/2 is offered by ALPN when the address
// has "listen ... http2" or that server "http2 on".
func (rt *Router) TLSConfig(addr string, hello *tls.ClientHelloInfo) (*tls.Config, error) {
	c := &httpd.Conn{Listener: addr}
	if hello.Conn != nil {
		c.Local = hello.Conn.LocalAddr()
	}
	if tc := acme.ALPNChallenge(hello); tc != nil {
		return tc, nil
	}
	t := rt.table(c)
	if t == nil {
		return nil, errNoServer
	}
	s := t.sniServer(hello.ServerName)
	if s.ssl == nil {
		return nil, errNoServer
	}
	var setID func([]byte)
	if info := httpd.HelloConn(hello); info != nil && info.Hello != nil {
		setID = func(id []byte) { info.Hello.SessionID = id }
	}
	return s.ssl.Config(hello, t.h2 || *s.conf.Srv.HTTP2.On, t.def.ssl, setID)
}

// matches says whether a name selects a server by its server_name
// (rather than falling back on the default server). nginx looks names
// up only on addresses shared by several servers.
func (t *addrTable) matches(name string) bool {
	if t.n < 2 {
		return false
	}
	nt := *t
	nt.def = nil
	return nt.find(name, func(*confparse.Regexp, string, []int) {}) != nil
}

// sniServer is the server a TLS server name selects on the address.
func (t *addrTable) sniServer(sni string) *server {
	if sni == "" {
		return t.def
	}
	name, _ := httpd.ValidateHost(sni)
	s := t.find(name, func(*confparse.Regexp, string, []int) {})
	if s == nil || s.ssl == nil {
		s = t.def
	}
	return s
}

// checkClientCert applies ssl_verify_client; it reports whether the
// request may go on.
func (rt *Router) checkClientCert(rq *httpcore.Request, s *server) bool {
	if s.ssl == nil || rq.R.TLS == nil || rq.Conn == nil {
		return true
	}
	if sni := rq.R.TLS.ServerName; sni != "" && rq.HostOK && s.ssl.VerifiesClients() {
		// A certificate checked for the server the TLS name chose does
		// not vouch for another name: nginx answers 421 when Host
		// differs from a TLS name that matched a server_name.
		if name, _ := httpd.ValidateHost(sni); name != rq.Host {
			if t := rt.table(rq.Conn); t != nil && t.matches(name) {
				rq.Error(421)
				return false
			}
		}
	}
	if rq.Conn.SSLVerify == "" {
		rq.Conn.SSLVerify = s.ssl.Verify(rq.R.TLS)
	}
	if code := s.ssl.Reject(rq.Conn.SSLVerify); code != 0 {
		rq.Error(code)
		return false
	}
	return true
}

// plainOnTLS answers a whole plain-HTTP request on a TLS address as
// nginx does: the server is chosen by Host and its error_page 497 (at
// server level) applies, e.g. "error_page 497 =301 https://$host...".
func (rt *Router) plainOnTLS(w http.ResponseWriter, r *http.Request) {
	rq := rt.begin(w, r)
	defer rt.end(rq)
	t := rt.table(rq.Conn)
	if t == nil {
		rq.Error(400)
		return
	}
	srv := rt.findServer(rq, t)
	rq.URI = r.URL.Path
	if uri, err := httpcore.NormalizeURI(r.URL.Path, *t.def.conf.Srv.MergeSlashes); err == nil {
		rq.URI = uri
	}
	rq.Args = r.URL.RawQuery
	if rq.Host == "" {
		rq.Host = srv.core.Name
	}
	rq.Error(497)
}
