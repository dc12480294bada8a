package ssl

// stapling.go is ssl_stapling: OCSP responses for a server's
// certificates, sent in the handshake to clients that ask for one. As
// in nginx, a response is fetched when a client first asks (so start-up
// never waits on a responder, and that first client gets none), kept
// while it is valid and fetched again before its nextUpdate: 5 minutes
// before, but at least 5 minutes and at most an hour after the last
// fetch; a failed fetch is tried again 5 minutes on. ssl_stapling_file
// staples a fixed response instead.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"

	"goproxy/confparse"
)

// extStatusRequest is the TLS status_request extension's number.
const extStatusRequest = 5

// stapler holds the response stapled to one certificate.
type stapler struct {
	leaf, issuer *x509.Certificate
	chain        []*x509.Certificate // the certificates sent after the leaf
	responder    *responder          // nil with ssl_stapling_file
	verify       bool
	trust        *Trust // the store a response's signer is verified with
	env          *Env
	name         string // the certificate's file, for messages

	mu      sync.Mutex
	staple  []byte
	valid   time.Time // the staple is sent until then
	refresh time.Time // a fetch starts on a handshake after then
	loading bool
}

// farFuture is the validity of a response without nextUpdate, or from
// ssl_stapling_file.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// newStapler prepares stapling for cert (from file name); a nil stapler
// with no error is nginx's '"ssl_stapling" ignored', said in a warning.
func newStapler(c *confparse.SSLSrv, cert *tls.Certificate, name string, store *Trust, env *Env) (*stapler, error) {
	leaf := cert.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, err
		}
	}
	st := &stapler{leaf: leaf, verify: *c.StaplingVerify, trust: store, env: env, name: name}
	for _, der := range cert.Certificate[1:] {
		if x, err := x509.ParseCertificate(der); err == nil {
			st.chain = append(st.chain, x)
		}
	}
	if c.StaplingFile != nil && *c.StaplingFile != "" {
		der, err := os.ReadFile(*c.StaplingFile)
		if err != nil {
			return nil, fmt.Errorf("BIO_new_file(%q) failed (%v)", *c.StaplingFile, confparse.ErrnoText(err))
		}
		if !isOCSPResponse(der) {
			return nil, fmt.Errorf("d2i_OCSP_RESPONSE_bio(%q) failed", *c.StaplingFile)
		}
		st.staple, st.valid, st.refresh = der, farFuture, farFuture
		return st, nil
	}
	st.issuer = findIssuer(leaf, st.chain, store)
	if st.issuer == nil {
		env.log(confparse.LevelWarn, fmt.Sprintf("\"ssl_stapling\" ignored, issuer certificate not found for certificate %q", name))
		return nil, nil
	}
	url := ""
	if c.StaplingResponder != nil {
		url = *c.StaplingResponder
	}
	if url == "" {
		if len(leaf.OCSPServer) == 0 {
			env.log(confparse.LevelWarn, fmt.Sprintf("\"ssl_stapling\" ignored, no OCSP responder URL in the certificate %q", name))
			return nil, nil
		}
		url = leaf.OCSPServer[0]
	}
	r, err := parseResponder(url)
	if err == nil && net.ParseIP(r.host) == nil {
		// nginx looks the name up when it loads the configuration, with
		// the system's resolver (the "resolver" is used at run time).
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, lerr := net.DefaultResolver.LookupHost(ctx, r.host)
		cancel()
		if lerr != nil {
			err = errors.New("host not found")
		}
	}
	if err != nil {
		where := url
		if len(url) > 7 && strings.EqualFold(url[:7], "http://") {
			where = url[7:]
		}
		env.log(confparse.LevelWarn, fmt.Sprintf("\"ssl_stapling\" ignored, %v in OCSP responder %q in the certificate %q", err, where, name))
		return nil, nil
	}
	st.responder = r
	return st, nil
}

// isOCSPResponse says whether der is an OCSPResponse (of any status), as
// much as nginx checks a ssl_stapling_file.
func isOCSPResponse(der []byte) bool {
	var r struct {
		Status asn1.Enumerated
		Bytes  asn1.RawValue `asn1:"explicit,tag:0,optional"`
	}
	rest, err := asn1.Unmarshal(der, &r)
	return err == nil && len(rest) == 0
}

// findIssuer is the certificate that issued leaf: among those sent with
// it, else in the server's trusted certificates (nginx's
// X509_STORE_CTX_get1_issuer).
func findIssuer(leaf *x509.Certificate, chain []*x509.Certificate, store *Trust) *x509.Certificate {
	var pool []*x509.Certificate
	pool = append(pool, chain...)
	if store != nil {
		pool = append(pool, store.certs...)
	}
	for _, c := range pool {
		if leaf.CheckSignatureFrom(c) == nil {
			return c
		}
	}
	return nil
}

// current is the staple for a handshake, nil when there is none valid;
// a client that asks for one starts a fetch when it is due.
func (st *stapler) current(hello *tls.ClientHelloInfo) []byte {
	now := time.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	var b []byte
	if len(st.staple) > 0 && !now.After(st.valid) {
		b = st.staple
	}
	if st.responder != nil && !st.loading && now.After(st.refresh) && slices.Contains(hello.Extensions, extStatusRequest) {
		st.loading = true
		go st.update()
	}
	return b
}

// update fetches a response and keeps it if nginx would.
func (st *stapler) update() {
	der, valid, peer, err := st.fetch()
	now := time.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.loading = false
	if err != nil {
		msg := err.Error() + " while requesting certificate status, responder: " + st.responder.host
		var oe *ocspError
		if errors.As(err, &oe) {
			peer = oe.peer
		}
		if peer != "" {
			msg += ", peer: " + peer
		}
		st.env.log(confparse.LevelError, msg+", certificate: \""+st.name+"\"")
		st.refresh = now.Add(5 * time.Minute)
		return
	}
	st.staple, st.valid = der, valid
	refresh := valid.Add(-5 * time.Minute)
	if hour := now.Add(time.Hour); refresh.After(hour) {
		refresh = hour
	}
	if five := now.Add(5 * time.Minute); refresh.Before(five) {
		refresh = five
	}
	st.refresh = refresh
}

// fetch asks the responder; it returns the response, until when it is
// valid, and the responder's address.
func (st *stapler) fetch() ([]byte, time.Time, string, error) {
	der, peer, err := fetchOCSP(context.Background(), st.env, st.responder, st.leaf, st.issuer)
	if err != nil {
		return nil, time.Time{}, peer, err
	}
	flags := ocspNoVerify
	if st.verify {
		flags = ocspTrustOther
	}
	resp, err := checkOCSP(der, st.leaf, st.issuer, flags, st.chain, st.trust, time.Now())
	if err != nil {
		return nil, time.Time{}, peer, err
	}
	if resp.Status != ocsp.Good {
		return nil, time.Time{}, peer, fmt.Errorf("certificate status %q in the OCSP response", ocspStatusNames[resp.Status])
	}
	valid := resp.NextUpdate
	if valid.IsZero() {
		valid = farFuture
	}
	return der, valid, peer, nil
}

// prepareStapling makes the staplers of certs (from files names). The
// trusted certificates are ssl_trusted_certificate and
// ssl_client_certificate, nginx's certificate store (with ssl_crl, as
// OpenSSL's store has it).
func (s *Server) prepareStapling(certs []tls.Certificate, names []string) error {
	var files []string
	for _, f := range []*string{s.conf.ClientCertificate, s.conf.TrustedCertificate} {
		if f != nil {
			files = append(files, *f)
		}
	}
	// With ssl_verify_client the same files are loaded already.
	store := s.trust
	if store == nil && len(files) > 0 {
		var err error
		if store, err = LoadTrust(files...); err != nil {
			return err
		}
	}
	for i := range certs {
		st, err := newStapler(s.conf, &certs[i], names[i], store, s.env)
		if err != nil {
			return err
		}
		if st != nil {
			certs[i].Leaf = st.leaf
			s.staples[st.leaf] = st
		}
	}
	return nil
}

// staplers are a server's staplers by certificate.
type staplers map[*x509.Certificate]*stapler

// wrap makes tc's certificate choice carry each certificate's staple.
func (sp staplers) wrap(tc *tls.Config) {
	if len(sp) == 0 {
		return
	}
	pick, certs := tc.GetCertificate, tc.Certificates
	tc.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		var c *tls.Certificate
		if pick != nil {
			var err error
			if c, err = pick(hello); err != nil || c == nil {
				return c, err
			}
		} else if len(certs) > 0 {
			c = &certs[0]
		} else {
			return nil, nil
		}
		st := sp[c.Leaf]
		if st == nil {
			return c, nil
		}
		b := st.current(hello)
		if b == nil {
			return c, nil
		}
		cp := *c
		cp.OCSPStaple = b
		return &cp, nil
	}
	tc.Certificates = nil
}
