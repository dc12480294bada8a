// Package ssl is ngx_http_ssl_module's run-time side: TLS settings per
// server, chosen by SNI with nginx's server_name rules, and the client
// certificate checks nginx reports at the HTTP level (495, 496).
package ssl

import (
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"goproxy/confparse"
)

// Server is the TLS side of one server block.
type Server struct {
	conf    *confparse.SSLSrv
	dir     string // the configuration directory
	base    *tls.Config
	reject  bool
	dynamic bool // certificate paths with variables
	mu      sync.Mutex
	cache   map[string]*tls.Certificate
	trust   *Trust // ssl_client_certificate and ssl_trusted_certificate
	verify  string
	// h2 is base with "h2" offered by ALPN, for servers that speak
	// HTTP/2 on the address of the handshake.
	h2        *tls.Config
	static    []tls.Certificate // the certificates without variables
	passwords []string          // ssl_password_file
	// ticketKeys seal and open session tickets, the first sealing;
	// sessions is ssl_session_cache (nil for off and none).
	ticketKeys []ticketKey
	sessions   *sessionCache
	env        *Env
	staples    staplers   // ssl_stapling, by certificate
	ocsp       *ocspCheck // ssl_ocsp; nil when off
}

// New prepares a server's TLS settings, loading its certificates now so
// that a bad one fails the configuration (as "nginx -t" does). dir is
// the configuration directory: certificate paths with variables are
// relative to it once evaluated, as in nginx.
func New(c *confparse.SSLSrv, dir string, env *Env) (*Server, error) {
	c, cmds := withConfCommands(c)
	s := &Server{conf: c, dir: dir, reject: *c.RejectHandshake, cache: map[string]*tls.Certificate{}, verify: *c.VerifyClient,
		env: env, staples: staplers{}}
	tc := &tls.Config{}
	tc.MinVersion, tc.MaxVersion = serverVersions(c.Protocols)
	suites, err := CipherSuites(*c.Ciphers)
	if err != nil {
		return nil, err
	}
	tc.CipherSuites = suites
	curves, err := CurvePreferences(*c.ECDHCurve)
	if err != nil {
		return nil, err
	}
	tc.CurvePreferences = curves
	if len(c.SessionTicketKeys) > 0 {
		keys, err := readTicketKeys(c.SessionTicketKeys)
		if err != nil {
			return nil, err
		}
		s.ticketKeys = keys
	} else {
		s.ticketKeys = []ticketKey{randomTicketKey()}
	}
	s.sessions = cacheFor(*c.SessionCache)
	tc.NextProtos = []string{"http/1.1"}
	if c.PasswordFile != nil {
		pw, err := readPasswords(*c.PasswordFile)
		if err != nil {
			return nil, err
		}
		s.passwords = pw
	}
	var names []string // the files of tc.Certificates
	for i, ct := range c.Certificates {
		if !ct.IsConst() || !c.Keys[i].IsConst() {
			s.dynamic = true
			continue
		}
		cert, err := loadPair(ct.Raw, c.Keys[i].Raw, s.passwords)
		if err != nil {
			return nil, err
		}
		tc.Certificates = append(tc.Certificates, *cert)
		names = append(names, ct.Raw)
	}
	if tc.Certificates, names, err = overrideCertificates(tc.Certificates, names, cmds, s.passwords); err != nil {
		return nil, err
	}
	if s.verify != "off" {
		tc.ClientAuth = tls.RequestClientCert
		if c.ClientCertificate == nil && s.verify != "optional_no_ca" {
			return nil, errors.New("no ssl_client_certificate for ssl_verify_client")
		}
		var files []string
		if c.ClientCertificate != nil {
			files = append(files, *c.ClientCertificate)
		}
		if c.TrustedCertificate != nil {
			files = append(files, *c.TrustedCertificate)
		}
		if len(files) > 0 {
			trust, err := LoadTrust(files...)
			if err != nil {
				return nil, err
			}
			s.trust = trust
		}
		if c.ClientCertificate != nil {
			// The CA names go out in the certificate request, as
			// OpenSSL sends them: clients pick a certificate by them.
			cas, err := LoadTrust(*c.ClientCertificate)
			if err != nil {
				return nil, err
			}
			tc.ClientCAs = cas.All
		}
	}
	if c.CRL != nil {
		crls, err := LoadCRL(*c.CRL)
		if err != nil {
			return nil, err
		}
		if s.verify != "off" {
			if s.trust == nil {
				s.trust = NewTrust(nil)
			}
			s.trust.CRL = crls
		}
	}
	if *c.OCSP != "off" && s.verify != "off" {
		if s.ocsp, err = newOCSPCheck(c, s.trust, env); err != nil {
			return nil, err
		}
	}
	if *c.Stapling {
		if err := s.prepareStapling(tc.Certificates, names); err != nil {
			return nil, err
		}
	}
	s.static = tc.Certificates
	usePicker(tc, *c.PreferServer)
	s.staples.wrap(tc)
	s.base = tc
	s.h2 = tc.Clone()
	s.h2.NextProtos = []string{"h2", "http/1.1"}
	return s, nil
}

// Config returns the tls.Config for a handshake that chose this server
// on an address whose default server is def; h2 offers HTTP/2 by ALPN.
// setID, when not nil, learns the session's cache id ($ssl_session_id).
func (s *Server) Config(hello *tls.ClientHelloInfo, h2 bool, def *Server, setID func([]byte)) (*tls.Config, error) {
	if s.reject {
		return nil, errors.New("handshake rejected (ssl_reject_handshake)")
	}
	base := s.base
	if h2 {
		base = s.h2
	}
	tc := base.Clone()
	s.sessionHooks(tc, def, setID)
	if !s.dynamic {
		return tc, nil
	}
	tc.Certificates, tc.GetCertificate = append([]tls.Certificate(nil), s.static...), nil
	for i, ct := range s.conf.Certificates {
		if ct.IsConst() && s.conf.Keys[i].IsConst() {
			continue
		}
		cp := confparse.FullName(s.dir, expand(ct, hello.ServerName))
		kp := confparse.FullName(s.dir, expand(s.conf.Keys[i], hello.ServerName))
		cert, err := s.cached(cp, kp)
		if err != nil {
			return nil, err
		}
		tc.Certificates = append(tc.Certificates, *cert)
	}
	usePicker(tc, *s.conf.PreferServer)
	s.staples.wrap(tc)
	return tc, nil
}

// expand evaluates a certificate path; during the handshake only
// $ssl_server_name is known.
func expand(t *confparse.Template, sni string) string {
	var b strings.Builder
	for _, p := range t.Parts {
		switch {
		case p.Var == "ssl_server_name":
			b.WriteString(sni)
		case p.Var != "" || p.IsCap:
		default:
			b.WriteString(p.Lit)
		}
	}
	return b.String()
}

func (s *Server) cached(cp, kp string) (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cache[cp+"\x00"+kp]; ok {
		return c, nil
	}
	c, err := loadPair(cp, kp, s.passwords)
	if err != nil {
		return nil, err
	}
	s.cache[cp+"\x00"+kp] = c
	return c, nil
}

func readPEM(path string) ([]byte, error) {
	if strings.HasPrefix(path, "data:") {
		return []byte(path[5:]), nil
	}
	return os.ReadFile(path)
}

// LoadKeyPair reads a certificate (with its chain) and its key, each a
// file or "data:" PEM, the key decrypted with the first of passwords
// (ssl_password_file) that fits.
func LoadKeyPair(certPath, keyPath string, passwords []string) (*tls.Certificate, error) {
	return loadPair(certPath, keyPath, passwords)
}

func loadPair(certPath, keyPath string, passwords []string) (*tls.Certificate, error) {
	cb, err := readPEM(certPath)
	if err != nil {
		return nil, fmt.Errorf("cannot load certificate %q: %v", certPath, err)
	}
	kb, err := readPEM(keyPath)
	if err != nil {
		return nil, fmt.Errorf("cannot load certificate key %q: %v", keyPath, err)
	}
	if kb, err = decryptKey(kb, passwords); err != nil {
		return nil, fmt.Errorf("cannot load certificate key %q: %v", keyPath, err)
	}
	c, err := tls.X509KeyPair(cb, kb)
	if err != nil {
		return nil, fmt.Errorf("cannot load certificate %q: %v", certPath, err)
	}
	return &c, nil
}

func poolCerts(path string) []*x509.Certificate {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return out
		}
		if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
			out = append(out, c)
		}
	}
}

// Verify checks a client certificate as nginx's ssl_verify_client and
// returns $ssl_client_verify: "NONE", "SUCCESS" or "FAILED:reason", the
// reason in OpenSSL's words.
func (s *Server) Verify(st *tls.ConnectionState) string {
	if st == nil || len(st.PeerCertificates) == 0 || s.verify == "off" {
		return "NONE"
	}
	chain, reason := s.trust.verifyChain(st.PeerCertificates, *s.conf.VerifyDepth, x509.ExtKeyUsageClientAuth, time.Now())
	if reason == "" && s.ocsp != nil {
		reason = s.ocsp.validate(chain)
	}
	if reason != "" {
		return "FAILED:" + reason
	}
	return "SUCCESS"
}

// VerifiesClients says whether ssl_verify_client is on in any form.
func (s *Server) VerifiesClients() bool { return s.verify != "off" }

// Reject says what nginx answers for a client certificate outcome: 496
// (none sent but required), 495 (invalid), or 0. optional_no_ca lets
// through a certificate whose only fault is an unknown issuer.
func (s *Server) Reject(verify string) int {
	switch s.verify {
	case "on":
		if verify == "NONE" {
			return 496
		}
		if verify != "SUCCESS" {
			return 495
		}
	case "optional":
		if verify != "NONE" && verify != "SUCCESS" {
			return 495
		}
	case "optional_no_ca":
		if strings.HasPrefix(verify, "FAILED:") && !optionalErrors[verify[7:]] {
			return 495
		}
	}
	return 0
}

// Fingerprint is $ssl_client_fingerprint: SHA-1 of the DER, hex.
func Fingerprint(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw)
	return hex.EncodeToString(sum[:])
}
