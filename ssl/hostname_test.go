package ssl

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
)

// TestCheckHost follows X509_check_host: subjectAltName DNS names first,
// the CN only without them, wildcards over one leftmost label.
func TestCheckHost(t *testing.T) {
	san := &x509.Certificate{Subject: pkix.Name{CommonName: "no.match.example.com"},
		DNSNames: []string{"example.com", "*.example.com"}}
	cn := &x509.Certificate{Subject: pkix.Name{CommonName: "2.example.com"}}
	partial := &x509.Certificate{DNSNames: []string{"w*.example.org"}}
	for _, tc := range []struct {
		c    *x509.Certificate
		name string
		want bool
	}{
		{san, "example.com", true},
		{san, "foo.example.com", true},
		{san, "FOO.Example.com.", true},
		{san, "no.match.example.com", false}, // the CN does not count beside DNS names
		{san, "a.b.example.com", false},
		{cn, "2.example.com", true},
		{cn, "bad.example.com", false},
		{partial, "www.example.org", true},
		{partial, "ftp.example.org", false},
		{&x509.Certificate{DNSNames: []string{"*.com"}}, "example.com", false},
	} {
		if got := CheckHost(tc.c, tc.name); got != tc.want {
			t.Errorf("%v/%q %q: %v, want %v", tc.c.DNSNames, tc.c.Subject.CommonName, tc.name, got, tc.want)
		}
	}
}
