package httpcore

// sslvars.go evaluates ngx_http_ssl_module's $ssl_* variables from the
// connection's TLS state.

import (
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"
	"time"

	"goproxy/httpd"
)

var tlsVersionNames = map[uint16]string{tls.VersionTLS10: "TLSv1", tls.VersionTLS11: "TLSv1.1",
	tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3"}

// opensslCipherNames names TLS 1.2 suites the way OpenSSL does;
// TLS 1.3 suites have the same names in both.
var opensslCipherNames = map[uint16]string{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:       "ECDHE-ECDSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         "ECDHE-RSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:       "ECDHE-ECDSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:         "ECDHE-RSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:   "ECDHE-RSA-CHACHA20-POLY1305",
	tls.TLS_AES_128_GCM_SHA256:                        "TLS_AES_128_GCM_SHA256",
	tls.TLS_AES_256_GCM_SHA384:                        "TLS_AES_256_GCM_SHA384",
	tls.TLS_CHACHA20_POLY1305_SHA256:                  "TLS_CHACHA20_POLY1305_SHA256",
}

// sslVariables are ngx_http_ssl_module's, read from the connection's TLS
// state: empty on a plain connection, and the client certificate's
// empty without one.
var sslVariables = []Variable{
	{"ssl_protocol", tlsVar(func(rq *Request, st *tls.ConnectionState) (string, bool) {
		return tlsVersionNames[st.Version], true
	})},
	{"ssl_cipher", tlsVar(func(rq *Request, st *tls.ConnectionState) (string, bool) {
		if n, ok := opensslCipherNames[st.CipherSuite]; ok {
			return n, true
		}
		return tls.CipherSuiteName(st.CipherSuite), true
	})},
	{"ssl_server_name", tlsVar(func(rq *Request, st *tls.ConnectionState) (string, bool) {
		return st.ServerName, true
	})},
	{"ssl_alpn_protocol", tlsVar(func(rq *Request, st *tls.ConnectionState) (string, bool) {
		return st.NegotiatedProtocol, true
	})},
	{"ssl_session_reused", tlsVar(func(rq *Request, st *tls.ConnectionState) (string, bool) {
		if st.DidResume {
			return "r", true
		}
		return ".", true
	})},
	{"ssl_session_id", tlsVar(func(rq *Request, _ *tls.ConnectionState) (string, bool) {
		if rq.Conn == nil || rq.Conn.Hello == nil {
			return "", true
		}
		return hex.EncodeToString(rq.Conn.Hello.SessionID), true
	})},
	{"ssl_ciphers", tlsVar(func(rq *Request, st *tls.ConnectionState) (string, bool) {
		if rq.Conn == nil || rq.Conn.Hello == nil {
			return "", true
		}
		return opensslList(rq.Conn.Hello.ClientCiphers, opensslCipherNames), true
	})},
	{"ssl_curves", tlsVar(func(rq *Request, st *tls.ConnectionState) (string, bool) {
		if rq.Conn == nil || rq.Conn.Hello == nil {
			return "", true
		}
		return opensslList(rq.Conn.Hello.ClientCurves, opensslCurveNames), true
	})},
	{"ssl_early_data", tlsVar(func(rq *Request, st *tls.ConnectionState) (string, bool) {
		// crypto/tls never accepts 0-RTT data, so no request is early.
		return "", true
	})},
	{"ssl_client_verify", tlsVar(func(rq *Request, st *tls.ConnectionState) (string, bool) {
		if rq.Conn != nil && rq.Conn.SSLVerify != "" {
			return rq.Conn.SSLVerify, true
		}
		return "NONE", true
	})},
	{"ssl_client_s_dn", clientCertVar(func(cert *x509.Certificate) (string, bool) {
		return dn(cert.Subject), true
	})},
	{"ssl_client_i_dn", clientCertVar(func(cert *x509.Certificate) (string, bool) {
		return dn(cert.Issuer), true
	})},
	{"ssl_client_s_dn_legacy", clientCertVar(func(cert *x509.Certificate) (string, bool) {
		return legacyDN(cert.Subject), true
	})},
	{"ssl_client_i_dn_legacy", clientCertVar(func(cert *x509.Certificate) (string, bool) {
		return legacyDN(cert.Issuer), true
	})},
	{"ssl_client_serial", clientCertVar(func(cert *x509.Certificate) (string, bool) {
		// OpenSSL prints whole bytes: "03ED".
		h := strings.ToUpper(cert.SerialNumber.Text(16))
		if len(h)%2 == 1 {
			h = "0" + h
		}
		return h, true
	})},
	{"ssl_client_fingerprint", clientCertVar(func(cert *x509.Certificate) (string, bool) {
		sum := sha1.Sum(cert.Raw)
		return hex.EncodeToString(sum[:]), true
	})},
	{"ssl_client_raw_cert", clientCertVar(func(cert *x509.Certificate) (string, bool) {
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})), true
	})},
	{"ssl_client_cert", clientCertVar(func(cert *x509.Certificate) (string, bool) {
		raw := strings.TrimSuffix(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})), "\n")
		return strings.ReplaceAll(raw, "\n", "\n\t"), true
	})},
	{"ssl_client_escaped_cert", clientCertVar(func(cert *x509.Certificate) (string, bool) {
		return EscapeComponent(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))), true
	})},
	{"ssl_client_v_start", clientCertVar(func(cert *x509.Certificate) (string, bool) {
		return cert.NotBefore.UTC().Format("Jan _2 15:04:05 2006 GMT"), true
	})},
	{"ssl_client_v_end", clientCertVar(func(cert *x509.Certificate) (string, bool) {
		return cert.NotAfter.UTC().Format("Jan _2 15:04:05 2006 GMT"), true
	})},
	{"ssl_client_v_remain", clientCertVar(func(cert *x509.Certificate) (string, bool) {
		d := int(time.Until(cert.NotAfter).Hours() / 24)
		if d < 0 {
			d = 0
		}
		return strconv.Itoa(d), true
	})},
}

func init() { RegisterVariables(sslVariables) }

// tlsVar is a getter that needs the TLS state.
func tlsVar(f func(rq *Request, st *tls.ConnectionState) (string, bool)) Getter {
	return func(rq *Request, _ string) (string, bool) {
		if rq.R.TLS == nil {
			return "", true
		}
		return f(rq, rq.R.TLS)
	}
}

// clientCertVar is a getter that reads the client's certificate.
func clientCertVar(f func(cert *x509.Certificate) (string, bool)) Getter {
	return func(rq *Request, _ string) (string, bool) {
		st := rq.R.TLS
		if st == nil || len(st.PeerCertificates) == 0 {
			return "", true
		}
		return f(st.PeerCertificates[0])
	}
}

// EscapeComponent is nginx's NGX_ESCAPE_URI_COMPONENT: everything but
// letters, digits and "-._~" as %XX.
func EscapeComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// dn renders a name as OpenSSL's RFC 2253 form, which nginx uses.
func dn(n pkix.Name) string { return n.String() }

// opensslList is $ssl_ciphers and $ssl_curves: the client's offered
// suites or groups in its order, OpenSSL's names joined by ":", an
// unknown one as "0x" and its hex (as nginx prints what OpenSSL does
// not know).
func opensslList[T ~uint16](ids []T, names map[T]string) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(':')
		}
		if n, ok := names[id]; ok {
			b.WriteString(n)
		} else {
			b.WriteString(hexID(uint16(id)))
		}
	}
	return b.String()
}

var opensslCurveNames = map[tls.CurveID]string{tls.X25519: "X25519", tls.CurveP256: "prime256v1",
	tls.CurveP384: "secp384r1", tls.CurveP521: "secp521r1"}

func hexID(id uint16) string {
	const h = "0123456789abcdef"
	return string([]byte{'0', 'x', h[id>>12], h[id>>8&15], h[id>>4&15], h[id&15]})
}

// legacyDNNames are OpenSSL's short names for the attributes of its
// one-line form; others print as their dotted OID.
var legacyDNNames = map[string]string{"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L",
	"2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.5": "serialNumber",
	"1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.25": "DC"}

// legacyDN is the *_dn_legacy form (X509_NAME_oneline): "/" before
// each attribute, in the certificate's order, not RFC 2253's reverse.
func legacyDN(n pkix.Name) string {
	var b strings.Builder
	for _, rdn := range n.ToRDNSequence() {
		for _, a := range rdn {
			k, ok := legacyDNNames[a.Type.String()]
			if !ok {
				k = a.Type.String()
			}
			b.WriteByte('/')
			b.WriteString(k)
			b.WriteByte('=')
			if v, ok := a.Value.(string); ok {
				b.WriteString(v)
			}
		}
	}
	return b.String()
}

// SSLVariableNames lists the ssl_* variables, for the stream module,
// whose ssl variables are these same ones.
func SSLVariableNames() []string {
	out := make([]string, len(sslVariables))
	for i, v := range sslVariables {
		out[i] = v.Name
	}
	return out
}

// SSLVar evaluates an ssl_* variable for a TLS connection outside an
// HTTP request (a stream session): st is its state, conn the session id,
// client verification and client hello facts.
func SSLVar(name string, st *tls.ConnectionState, conn *httpd.Conn) (string, bool) {
	for _, v := range sslVariables {
		if v.Name == name {
			return v.Get(&Request{R: &http.Request{TLS: st}, Conn: conn}, name)
		}
	}
	return "", false
}
