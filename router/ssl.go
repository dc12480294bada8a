package router

// ssl.go connects ngx_http_ssl_module's settings to the router: the TLS
// configuration for a handshake is that of the server its SNI name
// selects on the address, and client certificates are checked per
// connection with nginx's 495/496 answers.

import (
	"crypto/tls"
	"errors"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
	"goproxy/ssl"
)

var errNoServer = errors.New("no server for this address")

// buildSSL prepares the TLS side of every server with an ssl listen.
func (rt *Router) buildSSL() error {
	for _, s := range rt.servers {
		for _, l := range s.conf.Listens {
			if !l.SSL {
				continue
			}
			tc, err := ssl.New(&s.conf.Srv.SSL)
			if err != nil {
				return err
			}
			s.ssl = tc
			break
		}
	}
	return nil
}

// TLSConfig answers a handshake on the listen address addr.
func (rt *Router) TLSConfig(addr string, hello *tls.ClientHelloInfo) (*tls.Config, error) {
	t := rt.addrs[addr]
	if t == nil {
		return nil, errNoServer
	}
	name, _ := httpd.ValidateHost(hello.ServerName)
	s := t.find(name, func(*confparse.Regexp, string, []int) {})
	if s == nil || s.ssl == nil {
		s = t.def
	}
	if s.ssl == nil {
		return nil, errNoServer
	}
	return s.ssl.Config(hello)
}

// checkClientCert applies ssl_verify_client; it reports whether the
// request may go on.
func (rt *Router) checkClientCert(rq *httpcore.Request, s *server) bool {
	if s.ssl == nil || rq.R.TLS == nil || rq.Conn == nil {
		return true
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
