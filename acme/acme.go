// Package acme is ngx_http_acme_module's run-time side: for each
// acme_certificate, a certificate ordered from its acme_issuer in the
// background (RFC 8555, golang.org/x/crypto/acme), kept under
// state_path, renewed before it expires (when the CA's renewal
// information, RFC 9773, suggests, else at two thirds of its life), and
// handed to the TLS handshakes of the server that asked for it. Start-up
// never waits for a CA: until a certificate is there, handshakes are
// refused and the error log says why.
package acme

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// Logf writes to the error log of the configuration in force.
type Logf func(level confparse.Level, msg string)

// Set is one configuration's certificates. The certificates themselves
// outlive it: a reload that asks for the same names from the same
// issuer takes over the running one, with its certificate and its
// renewal timer.
type Set struct {
	certs    map[*confparse.AcmeCert]*Cert
	released atomic.Bool
}

var (
	mu      sync.Mutex
	running = map[string]*Cert{} // by certKey
)

// Configure starts (or takes over) the certificates a configuration asks
// for. It returns at once; orders run in the background.
func Configure(h *confparse.HTTPConf, logf Logf) *Set {
	s := &Set{certs: map[*confparse.AcmeCert]*Cert{}}
	if h == nil {
		return s
	}
	byName := map[string]*confparse.AcmeIssuer{}
	for _, ic := range h.Acme.Issuers {
		byName[ic.Name] = ic
	}
	mu.Lock()
	defer mu.Unlock()
	for _, srv := range h.Servers {
		for _, ac := range srv.Srv.Acme {
			ic := byName[ac.Issuer]
			k := certKey(ic, ac)
			c := running[k]
			if c == nil {
				c = newCert(ic, ac)
				running[k] = c
			}
			c.logf.Store(&logf)
			if _, seen := s.certs[ac]; !seen {
				c.refs++
				if c.refs == 1 {
					c.start()
				}
			}
			s.certs[ac] = c
			byConf.Store(ac, c)
		}
	}
	return s
}

// Release lets go of the set's certificates; one no other configuration
// uses stops its renewals.
func (s *Set) Release() {
	if s == nil || !s.released.CompareAndSwap(false, true) {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	for ac, c := range s.certs {
		byConf.Delete(ac)
		c.refs--
		if c.refs == 0 {
			c.cancel()
			delete(running, c.key)
		}
	}
}

// For returns the certificate for a server's acme_certificate, or nil.
func (s *Set) For(sc *confparse.Server) *Cert {
	if s == nil || len(sc.Srv.Acme) == 0 {
		return nil
	}
	return s.certs[sc.Srv.Acme[0]]
}

// certKey identifies a certificate across reloads: the same CA, account
// settings, state, names and key type.
func certKey(ic *confparse.AcmeIssuer, ac *confparse.AcmeCert) string {
	return strings.Join([]string{ic.Name, ic.URI, ic.AccountKey, ic.StatePath, ic.Challenge, ic.Profile,
		ic.Trusted, strings.Join(ic.Contacts, ","), strings.Join(ac.Identifiers, ","), ac.Key}, "\x00")
}

// Cert is one certificate kept up to date.
type Cert struct {
	key     string
	iss     *issuer
	ids     []string
	keyType string
	cur     atomic.Pointer[tls.Certificate]
	logf    atomic.Pointer[Logf]
	refs    int // under mu
	cancel  context.CancelFunc
	// issued counts the certificates ordered by this process, for tests
	// and the log.
	issued atomic.Int64
}

func newCert(ic *confparse.AcmeIssuer, ac *confparse.AcmeCert) *Cert {
	return &Cert{key: certKey(ic, ac), iss: issuerFor(ic), ids: ac.Identifiers, keyType: ac.Key}
}

func (c *Cert) log(level confparse.Level, msg string) {
	if f := c.logf.Load(); f != nil && *f != nil {
		(*f)(level, msg)
	}
}

// Current is the certificate being served, nil while none is issued.
func (c *Cert) Current() *tls.Certificate { return c.cur.Load() }

// errPending refuses a handshake for a certificate not issued yet.
var errPending = errors.New("acme certificate is not issued yet")

// GetCertificate serves a handshake: the current certificate (the
// previous one while a renewal runs), else a refusal.
func (c *Cert) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if tc := c.cur.Load(); tc != nil {
		return tc, nil
	}
	return nil, errPending
}

// byConf finds the running certificate of an acme_certificate, for the
// variables.
var byConf sync.Map // *confparse.AcmeCert -> *Cert

func init() {
	// In ssl_certificate the TLS side takes the certificate itself in
	// the handshake; elsewhere the variables are its PEM as "data:", as
	// nginx's module gives them, not found until it is issued.
	get := func(key bool) httpcore.Getter {
		return func(rq *httpcore.Request, _ string) (string, bool) {
			if rq.Server == nil || rq.Server.Conf == nil || len(rq.Server.Conf.Srv.Acme) == 0 {
				return "", false
			}
			v, ok := byConf.Load(rq.Server.Conf.Srv.Acme[0])
			if !ok {
				return "", false
			}
			return v.(*Cert).dataPEM(key)
		}
	}
	httpcore.RegisterVariables([]httpcore.Variable{
		{Name: "acme_certificate", Get: get(false)},
		{Name: "acme_certificate_key", Get: get(true)},
	})
}
