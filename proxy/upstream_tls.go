package proxy

// upstream_tls.go is proxy_ssl_* and uwsgi_ssl_*: the client side of
// TLS to an https or suwsgi upstream (one implementation, as the two
// modules' settings are one confparse.UpstreamSSL). Verification is OpenSSL's as nginx uses it (the chain up to
// a self-signed certificate of proxy_ssl_trusted_certificate within
// proxy_ssl_verify_depth, then the name by subjectAltName or, without
// DNS names, the subject's CN), and the client certificate may come
// from paths with variables.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"goproxy/confparse"
	"goproxy/ssl"
)

// upTLS is a location's *_ssl_* settings, ready for handshakes.
type upTLS struct {
	prefix    string      // the module's directive prefix, for messages
	base      *tls.Config // versions and the session cache
	verify    bool
	trust     *ssl.Trust
	depth     int
	cert, key *confparse.Template
	dir       string // the configuration directory, for relative paths
	passwords []string
	static    *tls.Certificate // the certificate when its paths are constant

	mu     sync.Mutex
	pairs  map[string]*pairEntry             // certificates by evaluated paths
	caches map[string]tls.ClientSessionCache // sessions by certificate, with variables
}

// pairEntry is a loaded certificate and the files' times it came from:
// nginx reads the files at each handshake, goproxy again when they
// change.
type pairEntry struct {
	cert         *tls.Certificate
	certT, keyT  time.Time
	certSz, keSz int64
}

// tlsConfig builds the client TLS settings of prefix's *_ssl_* ("proxy",
// "uwsgi"); dir is the configuration directory.
func tlsConfig(p *confparse.UpstreamSSL, prefix, dir string) (*upTLS, error) {
	p, curves, err := withConfCommands(p)
	if err != nil {
		return nil, err
	}
	u := &upTLS{prefix: prefix, base: &tls.Config{InsecureSkipVerify: true}, verify: *p.SSLVerify, depth: *p.SSLVerifyDepth,
		dir: dir, pairs: map[string]*pairEntry{}, caches: map[string]tls.ClientSessionCache{}}
	u.base.MinVersion, u.base.MaxVersion = ssl.Versions(p.SSLProtocols)
	suites, err := ssl.CipherSuites(*p.SSLCiphers)
	if err != nil {
		return nil, err
	}
	u.base.CipherSuites = suites
	u.base.CurvePreferences = curves
	if *p.SSLSessionReuse {
		u.base.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	}
	if p.SSLTrusted != nil {
		t, err := ssl.LoadTrust(*p.SSLTrusted)
		if err != nil {
			return nil, err
		}
		u.trust = t
	}
	if p.SSLCRL != nil && u.verify {
		// nginx reads the list only to verify with it.
		crls, err := ssl.LoadCRL(*p.SSLCRL)
		if err != nil {
			return nil, err
		}
		if u.trust == nil {
			u.trust = ssl.NewTrust(nil)
		}
		u.trust.CRL = crls
	}
	if p.SSLPasswordFile != nil {
		pw, err := ssl.ReadPasswords(*p.SSLPasswordFile)
		if err != nil {
			return nil, err
		}
		u.passwords = pw
	}
	if p.SSLCertificate != nil && p.SSLCertificateKey != nil {
		u.cert, u.key = p.SSLCertificate, p.SSLCertificateKey
		if u.cert.IsConst() && u.key.IsConst() && u.cert.Raw != "" {
			c, err := ssl.LoadKeyPair(u.cert.Raw, u.key.Raw, u.passwords)
			if err != nil {
				return nil, err
			}
			u.static = c
		}
	}
	return u, nil
}

// withConfCommands is p with its *_ssl_conf_command applied, and the
// curves they set (nil: Go's).
func withConfCommands(p *confparse.UpstreamSSL) (*confparse.UpstreamSSL, []tls.CurveID, error) {
	if len(p.SSLConfCommands) == 0 {
		return p, nil, nil
	}
	cs := ssl.ReadConfCommands(p.SSLConfCommands, p.SSLProtocols)
	cp := *p
	if cs.Ciphers != nil {
		cp.SSLCiphers = cs.Ciphers
	}
	if cs.Protocols != nil {
		cp.SSLProtocols = cs.Protocols
	}
	if cs.Tickets != nil && !*cs.Tickets {
		// Go's client resumes with tickets only.
		off := false
		cp.SSLSessionReuse = &off
	}
	if n := len(cs.Certificates); n > 0 {
		key := cs.Certificates[n-1]
		if len(cs.Keys) > 0 {
			key = cs.Keys[len(cs.Keys)-1]
		}
		cp.SSLCertificate = &confparse.Template{Raw: cs.Certificates[n-1], Parts: []confparse.Part{{Lit: cs.Certificates[n-1]}}}
		cp.SSLCertificateKey = &confparse.Template{Raw: key, Parts: []confparse.Part{{Lit: key}}}
	}
	var curves []tls.CurveID
	if cs.Curves != nil {
		var err error
		if curves, err = ssl.CurvePreferences(*cs.Curves); err != nil {
			return nil, nil, err
		}
	}
	return &cp, curves, nil
}

// UpstreamTLS is proxy_ssl_* for the stream module's proxy: the same
// settings and handshake as http's.
type UpstreamTLS struct{ u *upTLS }

// NewUpstreamTLS prepares the proxy_ssl_* of p; dir is the
// configuration directory.
func NewUpstreamTLS(p *confparse.ProxyLoc, dir string) (*UpstreamTLS, error) {
	u, err := tlsConfig(&p.UpstreamSSL, "proxy", dir)
	if err != nil {
		return nil, err
	}
	return &UpstreamTLS{u}, nil
}

// Handshake runs TLS over nc: sni is sent (empty: none), name is what
// the certificate must carry, certPath/keyPath the evaluated client
// certificate when its paths have variables.
func (t *UpstreamTLS) Handshake(ctx context.Context, nc net.Conn, sni, name, certPath, keyPath string) (net.Conn, error) {
	tt := &tlsTarget{sni: sni, name: name}
	if t.u.variableCert() {
		c, err := t.u.clientCert(certPath, keyPath)
		if err != nil {
			return nil, err
		}
		tt.cert, tt.cacheKey = c, certPath+"\x00"+keyPath
	}
	return t.u.handshake(ctx, nc, tt)
}

// VariableCert says whether the client certificate's paths have variables.
func (t *UpstreamTLS) VariableCert() bool { return t.u.variableCert() }

// variableCert says whether the client certificate is chosen per request.
func (u *upTLS) variableCert() bool {
	return u.cert != nil && (!u.cert.IsConst() || !u.key.IsConst())
}

// clientCert loads the certificate of evaluated paths (none when the
// certificate's path is empty, as nginx sends none then).
func (u *upTLS) clientCert(certPath, keyPath string) (*tls.Certificate, error) {
	certPath, keyPath = confparse.FullName(u.dir, certPath), confparse.FullName(u.dir, keyPath)
	if certPath == "" {
		return nil, nil
	}
	if keyPath == "" {
		return nil, fmt.Errorf("no \"%s_ssl_certificate_key\" for certificate %q", u.prefix, certPath)
	}
	ct, cs := fileStamp(certPath)
	kt, ks := fileStamp(keyPath)
	k := certPath + "\x00" + keyPath
	u.mu.Lock()
	e := u.pairs[k]
	u.mu.Unlock()
	if e != nil && e.certT.Equal(ct) && e.keyT.Equal(kt) && e.certSz == cs && e.keSz == ks {
		return e.cert, nil
	}
	c, err := ssl.LoadKeyPair(certPath, keyPath, u.passwords)
	if err != nil {
		return nil, err
	}
	u.mu.Lock()
	u.pairs[k] = &pairEntry{cert: c, certT: ct, keyT: kt, certSz: cs, keSz: ks}
	u.mu.Unlock()
	return c, nil
}

func fileStamp(p string) (time.Time, int64) {
	if strings.HasPrefix(p, "data:") {
		return time.Time{}, int64(len(p))
	}
	fi, err := os.Stat(p)
	if err != nil {
		return time.Time{}, -1
	}
	return fi.ModTime(), fi.Size()
}

// sessionCache is where sessions are kept for a client certificate:
// one resumed under another certificate would present the wrong one.
func (u *upTLS) sessionCache(key string) tls.ClientSessionCache {
	if u.base.ClientSessionCache == nil || !u.variableCert() {
		return u.base.ClientSessionCache
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	c := u.caches[key]
	if c == nil {
		c = tls.NewLRUClientSessionCache(16)
		u.caches[key] = c
	}
	return c
}

// tlsTarget is what one request's handshake needs: the SNI name (empty
// with *_ssl_server_name off), the name the certificate must carry,
// and the client certificate.
type tlsTarget struct {
	sni, name string
	cert      *tls.Certificate
	cacheKey  string
}

// handshake runs TLS over nc for t.
func (u *upTLS) handshake(ctx context.Context, nc net.Conn, t *tlsTarget) (net.Conn, error) {
	tc := u.base.Clone()
	tc.ServerName = t.sni
	tc.ClientSessionCache = u.sessionCache(t.cacheKey)
	cert := t.cert
	if cert == nil && !u.variableCert() {
		cert = u.static
	}
	// OpenSSL sends the configured certificate whatever CA names the
	// server asks for; crypto/tls would hold back one they do not name.
	tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if cert == nil {
			return &tls.Certificate{}, nil
		}
		return cert, nil
	}
	if u.verify {
		name := t.name
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("upstream SSL certificate verify error: no certificate")
			}
			if reason := u.trust.Verify(cs.PeerCertificates, u.depth, x509.ExtKeyUsageServerAuth, time.Now()); reason != "" {
				return fmt.Errorf("upstream SSL certificate verify error: (%s)", reason)
			}
			if !ssl.CheckHost(cs.PeerCertificates[0], name) {
				return fmt.Errorf("upstream SSL certificate does not match %q", name)
			}
			return nil
		}
	}
	c := tls.Client(nc, tc)
	if err := c.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return c, nil
}
