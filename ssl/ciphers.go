package ssl

// ciphers.go maps nginx's (OpenSSL's) TLS settings onto crypto/tls:
// protocol names, cipher strings and curve names. What Go cannot honour
// is refused with a clear error rather than silently changed.

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// Versions maps ssl_protocols (or proxy_ssl_protocols) to the lowest and
// highest crypto/tls version they name; unknown names are skipped (the
// configuration has already refused them).
func Versions(ps []string) (uint16, uint16) {
	v := map[string]uint16{"TLSv1": tls.VersionTLS10, "TLSv1.1": tls.VersionTLS11,
		"TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13}
	var lo, hi uint16
	for _, p := range ps {
		if x, ok := v[p]; ok {
			if lo == 0 || x < lo {
				lo = x
			}
			if x > hi {
				hi = x
			}
		}
	}
	return lo, hi
}

// serverVersions is Versions for the server side. TLS 1.0 and 1.1 are
// accepted in the configuration but never negotiated: OpenSSL 3, which
// nginx is built with, refuses them at its default security level too,
// and so does Go's TLS server by default.
func serverVersions(ps []string) (uint16, uint16) {
	lo, hi := Versions(ps)
	if lo < tls.VersionTLS12 {
		lo = tls.VersionTLS12
	}
	return lo, hi
}

// opensslNames maps OpenSSL cipher names to Go's TLS 1.2 suites.
var opensslNames = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA256":     tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-AES128-SHA256":       tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"AES128-SHA256":                 tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	"AES128-SHA":                    tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-SHA":                    tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	"DES-CBC3-SHA":                  tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
	"ECDHE-RSA-DES-CBC3-SHA":        tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
}

// CipherSuites reads an OpenSSL cipher string (ssl_ciphers, and the
// *_ssl_ciphers of upstreams). A list of cipher names
// becomes Go's suite list (names Go lacks, like DHE ones, are skipped as
// OpenSSL skips unknown names); a string of OpenSSL keywords (HIGH,
// !aNULL, ...) keeps Go's own secure default list. TLS 1.3 suites are not
// configurable, in Go as in nginx's ssl_ciphers.
func CipherSuites(s string) ([]uint16, error) {
	var out []uint16
	named := false
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if id, ok := opensslNames[part]; ok {
			out = append(out, id)
			named = true
			continue
		}
		if strings.Contains(part, "-") && !strings.HasPrefix(part, "!") && !strings.HasPrefix(part, "-") {
			named = true // a cipher name Go does not have
		}
	}
	if named && len(out) == 0 {
		return nil, fmt.Errorf("SSL_CTX_set_cipher_list(%q) failed (no cipher match goproxy can use)", s)
	}
	return out, nil
}

// CurvePreferences reads ssl_ecdh_curve ("auto" or names separated by
// colons) into Go's curve list.
func CurvePreferences(s string) ([]tls.CurveID, error) {
	if s == "auto" {
		return nil, nil
	}
	names := map[string]tls.CurveID{"X25519": tls.X25519, "x25519": tls.X25519, "prime256v1": tls.CurveP256,
		"secp256r1": tls.CurveP256, "P-256": tls.CurveP256, "secp384r1": tls.CurveP384, "P-384": tls.CurveP384,
		"secp521r1": tls.CurveP521, "P-521": tls.CurveP521, "X25519MLKEM768": tls.X25519MLKEM768}
	var out []tls.CurveID
	for _, n := range strings.Split(s, ":") {
		id, ok := names[n]
		if !ok {
			return nil, fmt.Errorf("ssl_ecdh_curve %q: curve %q is not supported by goproxy", s, n)
		}
		out = append(out, id)
	}
	return out, nil
}
