package ssl

// certpick.go chooses among a server's certificates (RSA and ECDSA side
// by side) the way OpenSSL does for nginx, where crypto/tls would take
// the first one the client can use: in TLS 1.3 by the client's
// signature algorithms, in order; in TLS 1.2 by the client's cipher
// suites, in order (or the server's order with ssl_prefer_server_ciphers).

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"strings"
)

// certPicker serves GetCertificate for a list of certificates.
type certPicker struct {
	certs  []tls.Certificate
	lo, hi uint16
	prefer bool     // ssl_prefer_server_ciphers
	suites []uint16 // ssl_ciphers as a list of names, in order
}

// usePicker moves tc's certificates behind a picker when there are
// several.
func usePicker(tc *tls.Config, prefer bool) {
	if len(tc.Certificates) < 2 {
		return
	}
	p := &certPicker{certs: tc.Certificates, lo: tc.MinVersion, hi: tc.MaxVersion, prefer: prefer, suites: tc.CipherSuites}
	if p.lo == 0 {
		p.lo = tls.VersionTLS12
	}
	if p.hi == 0 {
		p.hi = tls.VersionTLS13
	}
	tc.Certificates = nil
	tc.GetCertificate = p.pick
}

func (p *certPicker) pick(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	// Unlike crypto/tls, and like OpenSSL, the names a certificate is
	// for do not matter: only whether the client can use its key.
	h := *hello
	h.ServerName = ""
	var vers uint16
	for _, v := range h.SupportedVersions {
		if v >= p.lo && v <= p.hi && v > vers {
			vers = v
		}
	}
	fits := func(i int, ok func(*tls.Certificate) bool) bool {
		return ok(&p.certs[i]) && h.SupportsCertificate(&p.certs[i]) == nil
	}
	if !p.prefer {
		if vers >= tls.VersionTLS13 {
			for _, s := range h.SignatureSchemes {
				for i := range p.certs {
					if fits(i, func(c *tls.Certificate) bool { return schemeFits(s, c) }) {
						return &p.certs[i], nil
					}
				}
			}
		} else {
			for _, cs := range h.CipherSuites {
				auth := suiteAuth(cs)
				for i := range p.certs {
					if auth != "" && fits(i, func(c *tls.Certificate) bool { return keyKind(c) == auth }) {
						return &p.certs[i], nil
					}
				}
			}
		}
	}
	if p.prefer && vers < tls.VersionTLS13 && len(p.suites) > 0 {
		// The configured suites in order, as far as the client has them.
		for _, cs := range p.suites {
			auth := suiteAuth(cs)
			offered := false
			for _, c := range h.CipherSuites {
				offered = offered || c == cs
			}
			for i := range p.certs {
				if offered && fits(i, func(c *tls.Certificate) bool { return keyKind(c) == auth }) {
					return &p.certs[i], nil
				}
			}
		}
	}
	if p.prefer {
		// OpenSSL's own orders (the HIGH cipher list, its signature
		// algorithms) put ECDSA before RSA.
		for _, kind := range []string{"ECDSA", "RSA"} {
			for i := range p.certs {
				if fits(i, func(c *tls.Certificate) bool { return keyKind(c) == kind }) {
					return &p.certs[i], nil
				}
			}
		}
	}
	for i := range p.certs {
		if h.SupportsCertificate(&p.certs[i]) == nil {
			return &p.certs[i], nil
		}
	}
	return &p.certs[0], nil
}

func keyKind(c *tls.Certificate) string {
	switch c.PrivateKey.(type) {
	case *rsa.PrivateKey:
		return "RSA"
	case *ecdsa.PrivateKey:
		return "ECDSA"
	case ed25519.PrivateKey:
		return "Ed25519"
	}
	return ""
}

// suiteAuth is the key a TLS 1.2 suite authenticates with.
func suiteAuth(id uint16) string {
	name := tls.CipherSuiteName(id)
	switch {
	case strings.Contains(name, "_ECDSA_"):
		return "ECDSA"
	case strings.HasPrefix(name, "TLS_ECDHE_RSA_"), strings.HasPrefix(name, "TLS_RSA_"):
		return "RSA"
	}
	return ""
}

// schemeFits says whether a TLS 1.3 signature scheme can sign with c.
func schemeFits(s tls.SignatureScheme, c *tls.Certificate) bool {
	switch s {
	case tls.PSSWithSHA256, tls.PSSWithSHA384, tls.PSSWithSHA512:
		return keyKind(c) == "RSA"
	case tls.Ed25519:
		return keyKind(c) == "Ed25519"
	case tls.ECDSAWithP256AndSHA256, tls.ECDSAWithP384AndSHA384, tls.ECDSAWithP521AndSHA512:
		k, ok := c.PrivateKey.(*ecdsa.PrivateKey)
		if !ok {
			return false
		}
		want := map[tls.SignatureScheme]elliptic.Curve{tls.ECDSAWithP256AndSHA256: elliptic.P256(),
			tls.ECDSAWithP384AndSHA384: elliptic.P384(), tls.ECDSAWithP521AndSHA512: elliptic.P521()}[s]
		return k.Curve == want
	}
	return false
}
