package ssl

// crl.go is ssl_crl and proxy_ssl_crl: certificate revocation lists
// checked as nginx has OpenSSL check them (X509_V_FLAG_CRL_CHECK and
// X509_V_FLAG_CRL_CHECK_ALL): every certificate of the verified chain,
// the trust anchor included, needs a valid CRL from its issuer, and
// must not be on it. The revoked serials are read into a map when the
// configuration loads, so that a handshake looks a serial up instead of
// scanning the list.

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OpenSSL's verify error strings for CRLs.
const (
	errCertRevoked  = "certificate revoked"
	errNoCRL        = "unable to get certificate CRL"
	errCRLExpired   = "CRL has expired"
	errCRLNotYet    = "CRL is not yet valid"
	errCRLSignature = "CRL signature failure"
	errNoCRLSignKey = "key usage does not include CRL signing"
)

// crl is one revocation list with its serials ready for lookups.
type crl struct {
	list    *x509.RevocationList
	revoked map[string]struct{} // serial numbers, as big-endian bytes
}

// CRLs are the lists of a CRL file, by the DER of their issuer's name.
type CRLs struct {
	byIssuer map[string][]*crl
}

// LoadCRL reads a PEM file of CRLs (ssl_crl, proxy_ssl_crl); a file
// without one (or a certificate), or with one that does not parse, fails
// as OpenSSL's X509_LOOKUP_load_file does for nginx.
func LoadCRL(path string) (*CRLs, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			err = errors.New("No such file or directory")
		}
		return nil, fmt.Errorf("X509_LOOKUP_load_file(%q) failed (%v)", path, err)
	}
	set := &CRLs{byIssuer: map[string][]*crl{}}
	n := 0
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			n++ // OpenSSL takes certificates from the file too
		}
		if blk.Type != "X509 CRL" {
			continue
		}
		l, err := parseCRL(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("X509_LOOKUP_load_file(%q) failed (%v)", path, err)
		}
		c := &crl{list: l, revoked: make(map[string]struct{}, len(l.RevokedCertificateEntries))}
		for _, e := range l.RevokedCertificateEntries {
			c.revoked[string(e.SerialNumber.Bytes())] = struct{}{}
		}
		set.byIssuer[string(l.RawIssuer)] = append(set.byIssuer[string(l.RawIssuer)], c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("X509_LOOKUP_load_file(%q) failed (no certificate or crl found)", path)
	}
	return set, nil
}

// Check checks each certificate of a verified chain (leaf first, the
// self-signed anchor last) against its issuer's CRL; it returns "" or
// OpenSSL's reason. nginx's verify callback lets OpenSSL go on after an
// error, so the reason is that of the last certificate that fails: a
// revoked intermediate is reported over a leaf without a CRL.
func (s *CRLs) Check(chain []*x509.Certificate, now time.Time) string {
	last := ""
	for i, c := range chain {
		issuer := c
		if i+1 < len(chain) {
			issuer = chain[i+1]
		}
		if r := s.checkOne(c, issuer, now); r != "" {
			last = r
		}
	}
	return last
}

func (s *CRLs) checkOne(c, issuer *x509.Certificate, now time.Time) string {
	lists := s.byIssuer[string(c.RawIssuer)]
	if len(lists) == 0 {
		return errNoCRL
	}
	// OpenSSL takes the best list it has: one that is signed by the
	// issuer and current; failing that, it reports why the best was not.
	reason := errNoCRL
	for _, l := range lists {
		if issuer.KeyUsage != 0 && issuer.KeyUsage&x509.KeyUsageCRLSign == 0 {
			reason = errNoCRLSignKey
			continue
		}
		if err := l.list.CheckSignatureFrom(issuer); err != nil {
			var ce x509.ConstraintViolationError
			if errors.As(err, &ce) {
				reason = errNoCRLSignKey
			} else {
				reason = errCRLSignature
			}
			continue
		}
		switch {
		case now.Before(l.list.ThisUpdate):
			reason = errCRLNotYet
			continue
		case !l.list.NextUpdate.IsZero() && now.After(l.list.NextUpdate):
			reason = errCRLExpired
			continue
		}
		if _, ok := l.revoked[string(c.SerialNumber.Bytes())]; ok {
			return errCertRevoked
		}
		return ""
	}
	return reason
}

// parseCRL parses a DER CRL, version 1 too: "openssl ca -gencrl"
// without CRL extensions writes one, which OpenSSL reads and crypto/x509
// refuses. A v1 list is parsed as the v2 it would be with the version
// written out (v1 has no extensions, so nothing else differs), and its
// signature is checked on the bytes that were signed.
func parseCRL(der []byte) (*x509.RevocationList, error) {
	l, err := x509.ParseRevocationList(der)
	if err == nil {
		return l, nil
	}
	in := cryptobyte.String(der)
	var outer, tbsElem, tbs cryptobyte.String
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) || !outer.ReadASN1Element(&tbsElem, cbasn1.SEQUENCE) {
		return nil, err
	}
	signed := []byte(tbsElem)
	if !tbsElem.ReadASN1(&tbs, cbasn1.SEQUENCE) || tbs.PeekASN1Tag(cbasn1.INTEGER) {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(1)
			b.AddBytes(tbs)
		})
		b.AddBytes(outer) // the signature algorithm and the signature
	})
	v2, berr := b.Bytes()
	if berr != nil {
		return nil, err
	}
	l, err2 := x509.ParseRevocationList(v2)
	if err2 != nil {
		return nil, err
	}
	l.Raw, l.RawTBSRevocationList = der, signed
	return l, nil
}
