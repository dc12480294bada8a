package stream

// ssl.go is ngx_stream_ssl_module: the ssl phase, after access, makes
// the handshake of a "listen ... ssl" with the server's certificates
// (package ssl, as http's), and the ssl_* variables are http's,
// evaluated on the session's TLS state.

import (
	"crypto/tls"
	"net"
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
	"goproxy/ssl"
)

func init() {
	table := map[string]Getter{}
	for _, n := range httpcore.SSLVariableNames() {
		table[n] = func(s *Session) (string, bool) {
			if s.tls == nil {
				return "", true
			}
			st := s.tls.ConnectionState()
			return httpcore.SSLVar(n, &st, s.tlsInfo)
		}
	}
	RegisterVariables(table)
}

// handshake is the ssl phase: false when the session ended in it.
func (s *Session) handshake(c net.Conn) (net.Conn, bool) {
	srv := s.srv
	info := &httpd.Conn{Hello: &httpd.TLSHello{}}
	tc := &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		info.Hello.ClientCiphers = h.CipherSuites
		info.Hello.ClientCurves = h.SupportedCurves
		cfg, err := srv.ssl.Config(h, false, srv.ssl, func(id []byte) { info.Hello.SessionID = id })
		if err != nil {
			return nil, err
		}
		cfg.NextProtos = s.conf.SSLALPN
		return cfg, nil
	}}
	t := tls.Server(c, tc)
	c.SetDeadline(time.Now().Add(durOr(s.conf.SSLHandshakeTimeout, 60*time.Second)))
	err := t.Handshake()
	c.SetDeadline(time.Time{})
	if err != nil {
		s.srv.log(confparse.LevelInfo, "SSL_do_handshake() failed ("+err.Error()+") while SSL handshaking, client: "+s.remoteAddr+", server: "+s.serverAddr+":"+s.serverPort)
		s.status = 500
		return nil, false
	}
	st := t.ConnectionState()
	info.SSLVerify = srv.ssl.Verify(&st)
	s.tls, s.tlsInfo = t, info
	if srv.ssl.Reject(info.SSLVerify) != 0 {
		s.srv.log(confparse.LevelInfo, "client SSL certificate verify error: ("+info.SSLVerify+") while SSL handshaking, client: "+s.remoteAddr)
		s.status = 500 // nginx's stream ends a rejected certificate so
		return nil, false
	}
	return t, true
}

// newSSL prepares a server's TLS settings, if it listens with ssl.
func newSSL(sc *confparse.StreamServer, dir string, logf func(confparse.Level, string)) (*ssl.Server, error) {
	for _, l := range sc.Listens {
		if l.SSL {
			return ssl.New(&sc.Srv.SSL, dir, &ssl.Env{Log: logf})
		}
	}
	return nil, nil
}
