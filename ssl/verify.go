package ssl

// verify.go checks client certificate chains the way OpenSSL does for
// nginx, and names the failures with OpenSSL's verify error strings,
// which nginx puts in $ssl_client_verify ("FAILED:certificate has
// expired").

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// OpenSSL's X509_verify_cert_error_string texts (OpenSSL 3).
const (
	errSelfSigned        = "self-signed certificate"
	errSelfSignedInChain = "self-signed certificate in certificate chain"
	errNoLocalIssuer     = "unable to get local issuer certificate"
	errFirstCert         = "unable to verify the first certificate"
	errExpired           = "certificate has expired"
	errNotYetValid       = "certificate is not yet valid"
	errPurpose           = "unsupported certificate purpose"
	errChainTooLong      = "certificate chain too long"
	errSignature         = "certificate signature failure"
)

// optionalErrors are the failures ssl_verify_client optional_no_ca lets
// through (nginx's ngx_ssl_verify_error_optional): only the issuer is
// unknown.
var optionalErrors = map[string]bool{
	errSelfSigned: true, errSelfSignedInChain: true, errNoLocalIssuer: true,
	"unable to get issuer certificate": true, errFirstCert: true,
}

// Trust is a CA file as OpenSSL uses it to verify a peer: only its
// self-signed certificates are trust anchors (nginx does not set
// X509_V_FLAG_PARTIAL_CHAIN); the others help build a chain up to one.
// So a chain through a trusted intermediate still counts the
// intermediate against the verify depth, as in OpenSSL.
type Trust struct {
	roots *x509.CertPool
	inter []*x509.Certificate
	// All is every certificate of the files: the CA names a server
	// sends in its certificate request.
	All *x509.CertPool
	// CRL, when set, is ssl_crl or proxy_ssl_crl: the verified chain is
	// checked against it.
	CRL *CRLs
	// certs are the files' certificates, in order.
	certs []*x509.Certificate
}

// NewTrust sorts certificates into anchors and helpers.
func NewTrust(certs []*x509.Certificate) *Trust {
	t := &Trust{roots: x509.NewCertPool(), All: x509.NewCertPool(), certs: certs}
	for _, c := range certs {
		t.All.AddCert(c)
		if selfSigned(c) {
			t.roots.AddCert(c)
		} else {
			t.inter = append(t.inter, c)
		}
	}
	return t
}

// LoadTrust reads PEM CA files (ssl_client_certificate,
// ssl_trusted_certificate, proxy_ssl_trusted_certificate).
func LoadTrust(paths ...string) (*Trust, error) {
	var certs []*x509.Certificate
	for _, p := range paths {
		cs := poolCerts(p)
		if len(cs) == 0 {
			return nil, fmt.Errorf("cannot load certificates from %q", p)
		}
		certs = append(certs, cs...)
	}
	return NewTrust(certs), nil
}

// Verify verifies peer (the certificates the peer sent, leaf first) for
// usage, allowing at most depth intermediate certificates as OpenSSL's
// verify depth does; it returns "" or OpenSSL's reason.
func (t *Trust) Verify(peer []*x509.Certificate, depth int, usage x509.ExtKeyUsage, now time.Time) string {
	_, reason := t.verifyChain(peer, depth, usage, now)
	return reason
}

// verifyChain is Verify that also returns the chain it verified, leaf
// first and the trust anchor last.
func (t *Trust) verifyChain(peer []*x509.Certificate, depth int, usage x509.ExtKeyUsage, now time.Time) ([]*x509.Certificate, string) {
	leaf := peer[0]
	roots := x509.NewCertPool()
	inter := x509.NewCertPool()
	if t != nil {
		roots = t.roots
		for _, c := range t.inter {
			inter.AddCert(c)
		}
	}
	for _, c := range peer[1:] {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{usage}})
	if err != nil {
		return nil, reason(err, peer, now)
	}
	chain := chainWithin(chains, depth)
	if chain == nil {
		return nil, errChainTooLong
	}
	if t != nil && t.CRL != nil {
		if r := t.CRL.Check(chain, now); r != "" {
			return nil, r
		}
	}
	return chain, ""
}

// chainWithin is the first of the verified chains (leaf first, trust
// anchor last) with at most depth intermediate certificates, or nil:
// OpenSSL's verify depth, for ssl_verify_depth and proxy_ssl_verify_depth.
func chainWithin(chains [][]*x509.Certificate, depth int) []*x509.Certificate {
	for _, ch := range chains {
		if len(ch)-2 <= depth {
			return ch
		}
	}
	return nil
}

// ErrChainTooLong is OpenSSL's reason when no chain is within the depth.
var ErrChainTooLong = errors.New(errChainTooLong)

func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// reason names a verification error as OpenSSL would.
func reason(err error, peer []*x509.Certificate, now time.Time) string {
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) {
		switch inv.Reason {
		case x509.Expired:
			if inv.Cert != nil && now.Before(inv.Cert.NotBefore) {
				return errNotYetValid
			}
			return errExpired
		case x509.IncompatibleUsage:
			return errPurpose
		case x509.TooManyIntermediates:
			return errChainTooLong
		}
	}
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) {
		// OpenSSL: a lone certificate is "the first" it cannot verify;
		// with a chain, the local issuer of its last one is missing.
		if len(peer) == 1 {
			if selfSigned(peer[0]) {
				return errSelfSigned
			}
			return errFirstCert
		}
		for _, c := range peer[1:] {
			if selfSigned(c) {
				return errSelfSignedInChain
			}
		}
		return errNoLocalIssuer
	}
	var hu x509.HostnameError
	if errors.As(err, &hu) {
		return errPurpose
	}
	return errSignature
}
