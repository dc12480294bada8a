// Package testcerts makes X.509 certificates for tests: a CA, server
// certificates for several names with RSA or ECDSA keys, intermediate
// CAs and client certificates, as PEM for configurations and as
// tls.Certificate for clients. Nothing is read from disk; every test run
// makes its own.
package testcerts

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// KeyType is the kind of key a certificate carries.
type KeyType int

const (
	ECDSA KeyType = iota // P-256
	RSA                  // 2048 bits
)

// Opts change a certificate from the defaults (valid from an hour ago
// for a year, ECDSA, the usual extended key usage).
type Opts struct {
	Key       KeyType
	NotBefore time.Time
	NotAfter  time.Time
	// EKU replaces the extended key usages (server or client auth).
	EKU []x509.ExtKeyUsage
	// Org is the subject's organisation, shown in $ssl_client_s_dn.
	Org string
}

// Cert is a certificate with its key.
type Cert struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte // the certificate alone
	KeyPEM  []byte
	// Chain is the certificate followed by its intermediates (not the
	// root), as a server or client sends it.
	Chain []*x509.Certificate
}

// ChainPEM is the certificate and its intermediates, PEM.
func (c *Cert) ChainPEM() []byte {
	var out []byte
	for _, x := range c.Chain {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: x.Raw})...)
	}
	return out
}

// TLS is the certificate for a crypto/tls peer, intermediates included.
func (c *Cert) TLS() tls.Certificate {
	tc := tls.Certificate{PrivateKey: c.Key, Leaf: c.Cert}
	for _, x := range c.Chain {
		tc.Certificate = append(tc.Certificate, x.Raw)
	}
	return tc
}

// Pool is a pool holding this certificate (a CA, for clients).
func (c *Cert) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Cert)
	return p
}

var serial atomic.Int64

func newKey(t testing.TB, k KeyType) crypto.Signer {
	t.Helper()
	var key crypto.Signer
	var err error
	if k == RSA {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func keyPEM(t testing.TB, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func (o Opts) times() (time.Time, time.Time) {
	nb, na := o.NotBefore, o.NotAfter
	if nb.IsZero() {
		nb = time.Now().Add(-time.Hour).Truncate(time.Second)
	}
	if na.IsZero() {
		na = nb.Add(365 * 24 * time.Hour)
	}
	return nb, na
}

// issue signs tmpl with parent (nil: self-signed).
func issue(t testing.TB, tmpl *x509.Certificate, parent *Cert, o Opts) *Cert {
	t.Helper()
	key := newKey(t, o.Key)
	tmpl.SerialNumber = big.NewInt(1000 + serial.Add(1))
	tmpl.NotBefore, tmpl.NotAfter = o.times()
	if o.Org != "" {
		tmpl.Subject.Organization = []string{o.Org}
	}
	signer, issuer := key, tmpl
	if parent != nil {
		signer, issuer = parent.Key, parent.Cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	c := &Cert{Cert: cert, Key: key, KeyPEM: keyPEM(t, key),
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	c.Chain = []*x509.Certificate{cert}
	if parent != nil && !isRoot(parent.Cert) {
		c.Chain = append(c.Chain, parent.Chain...)
	}
	return c
}

func isRoot(c *x509.Certificate) bool { return string(c.RawIssuer) == string(c.RawSubject) }

// NewCA makes a self-signed root CA.
func NewCA(t testing.TB, cn string) *Cert {
	t.Helper()
	return issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, nil, Opts{})
}

// Intermediate makes a CA signed by ca.
func (ca *Cert) Intermediate(t testing.TB, cn string) *Cert {
	t.Helper()
	return issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, ca, Opts{})
}

// Server makes a server certificate for names (DNS names or IP
// addresses) signed by ca; the first name is the common name.
func (ca *Cert) Server(t testing.TB, o Opts, names ...string) *Cert {
	t.Helper()
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: names[0]}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if o.Key == RSA {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	if o.EKU != nil {
		tmpl.ExtKeyUsage = o.EKU
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return issue(t, tmpl, ca, o)
}

// Client makes a client certificate with common name cn signed by ca
// (nil: self-signed).
func (ca *Cert) Client(t testing.TB, o Opts, cn string) *Cert {
	t.Helper()
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if o.EKU != nil {
		tmpl.ExtKeyUsage = o.EKU
	}
	return issue(t, tmpl, ca, o)
}

// SelfSignedClient makes a client certificate nobody issued.
func SelfSignedClient(t testing.TB, o Opts, cn string) *Cert {
	t.Helper()
	return issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: cn}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, nil, o)
}

// EncryptedKeyPEM is the key as legacy encrypted PEM
// ("Proc-Type: 4,ENCRYPTED", AES-256-CBC), the form ssl_password_file
// decrypts.
func (c *Cert) EncryptedKeyPEM(t testing.TB, password string) []byte {
	t.Helper()
	var typ string
	var der []byte
	switch k := c.Key.(type) {
	case *rsa.PrivateKey:
		typ, der = "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)
	case *ecdsa.PrivateKey:
		var err error
		der, err = x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		typ = "EC PRIVATE KEY"
	}
	//lint:ignore SA1019 the legacy format is the one under test
	blk, err := x509.EncryptPEMBlock(rand.Reader, typ, der, []byte(password), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(blk)
}

// CRL is a PEM revocation list signed by ca that revokes the serials of
// revoked, valid from an hour ago for a day.
func (ca *Cert) CRL(t testing.TB, revoked ...*Cert) []byte {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(1 + serial.Add(1)),
		ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(24 * time.Hour)}
	for _, r := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: r.Cert.SerialNumber, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

// OCSPResponse is a DER OCSP response about c signed by its issuer ca,
// which it carries: status is ocsp.Good, ocsp.Revoked or ocsp.Unknown;
// valid for a day.
func (ca *Cert) OCSPResponse(t testing.TB, c *Cert, status int) []byte {
	t.Helper()
	now := time.Now()
	tmpl := ocsp.Response{Status: status, SerialNumber: c.Cert.SerialNumber, Certificate: ca.Cert,
		ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour)}
	if status == ocsp.Revoked {
		tmpl.RevokedAt = now.Add(-time.Minute)
	}
	der, err := ocsp.CreateResponse(ca.Cert, ca.Cert, tmpl, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
