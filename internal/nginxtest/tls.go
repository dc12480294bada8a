package nginxtest

// tls.go sends raw requests over TLS, so that TLS behaviour (SNI
// selection, client certificates, protocols, $ssl_* variables) is
// compared like plain HTTP: the same handshake and bytes to both
// servers.

import (
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// TLSResponse is a response over TLS with what the handshake showed.
type TLSResponse struct {
	*Response
	// HandshakeErr is set when the handshake failed (then Response is
	// empty).
	HandshakeErr error
	State        tls.ConnectionState
}

// PeerCN is the common name of the certificate the server presented.
func (r *TLSResponse) PeerCN() string {
	if len(r.State.PeerCertificates) == 0 {
		return ""
	}
	return r.State.PeerCertificates[0].Subject.CommonName
}

// DoTLS makes a TLS connection to addr with cfg (cloned), sends raw and
// reads until the server closes. raw "" only does the handshake.
func DoTLS(t testing.TB, addr string, cfg *tls.Config, raw string) *TLSResponse {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(nc, cfg.Clone())
	out := &TLSResponse{Response: &Response{Closed: true}}
	if err := tc.Handshake(); err != nil {
		out.HandshakeErr = err
		return out
	}
	out.State = tc.ConnectionState()
	if raw == "" {
		return out
	}
	if _, err := io.WriteString(tc, raw); err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(tc)
	// A TLS 1.3 server may refuse the client certificate after the
	// handshake: the error shows on the first read.
	if len(data) == 0 {
		if _, err := tc.Read(make([]byte, 1)); err != nil && err != io.EOF {
			out.HandshakeErr = err
		}
	}
	out.Response = Parse(data, methodOf(raw))
	return out
}

// BothTLS sends raw to both servers over TLS with the same client
// configuration; port is the index of the {{PORTn}} to use.
func (p *Pair) BothTLS(t testing.TB, port int, cfg *tls.Config, raw string) (ng, gp *TLSResponse) {
	t.Helper()
	return DoTLS(t, addrOf(p.Nginx, port), cfg, Render(raw, p.Root, p.Nginx.Dir, p.Nginx.Ports)),
		DoTLS(t, addrOf(p.Go, port), cfg, Render(raw, p.Root, p.Go.Dir, p.Go.Ports))
}

// AddrN is the address of the server's {{PORTn}}.
func (s *Server) AddrN(n int) string { return addrOf(s, n) }

func addrOf(s *Server, n int) string {
	return "127.0.0.1:" + strconv.Itoa(s.Ports[n])
}
