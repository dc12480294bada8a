package ssl

// hostname.go checks a peer certificate's name as OpenSSL's
// X509_check_host does for nginx (proxy_ssl_verify): the DNS names of
// subjectAltName when there are any, else every commonName of the
// subject. Unlike crypto/x509, a certificate with only a CN still
// matches, and wildcards may be partial ("w*.example.com").

import (
	"crypto/x509"
	"strings"
)

// CheckHost reports whether c is for name.
func CheckHost(c *x509.Certificate, name string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == "" {
		return false
	}
	if len(c.DNSNames) > 0 {
		for _, p := range c.DNSNames {
			if matchHost(strings.ToLower(p), name) {
				return true
			}
		}
		return false
	}
	for _, rdn := range c.Subject.ToRDNSequence() {
		for _, a := range rdn {
			if !a.Type.Equal([]int{2, 5, 4, 3}) {
				continue
			}
			if v, ok := a.Value.(string); ok && matchHost(strings.ToLower(v), name) {
				return true
			}
		}
	}
	return false
}

// matchHost matches one certificate name, a "*" allowed in its first
// label only, covering one whole label of name (never an IDNA "xn--"
// label partly) and with at least two labels after it.
func matchHost(pattern, name string) bool {
	pattern = strings.TrimSuffix(pattern, ".")
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == name
	}
	first, rest, ok := strings.Cut(pattern, ".")
	if !ok || star > len(first) || strings.Contains(rest, "*") || !strings.Contains(rest, ".") {
		return false
	}
	nfirst, nrest, ok := strings.Cut(name, ".")
	if !ok || nrest != rest || nfirst == "" {
		return false
	}
	if strings.Count(first, "*") != 1 {
		return false
	}
	pre, suf, _ := strings.Cut(first, "*")
	if (pre != "" || suf != "") && strings.HasPrefix(nfirst, "xn--") {
		return false
	}
	return len(nfirst) >= len(pre)+len(suf) && strings.HasPrefix(nfirst, pre) && strings.HasSuffix(nfirst, suf)
}
