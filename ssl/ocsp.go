package ssl

// ocsp.go is ssl_ocsp: after a client certificate has verified, its
// chain is checked with OCSP, each certificate but the root ("on") or
// the client's alone ("leaf"), asking ssl_ocsp_responder or the
// certificate's own responder; ssl_ocsp_cache keeps the statuses. A
// failure shows in $ssl_client_verify ("FAILED:certificate revoked")
// and is answered 495, as in nginx.

import (
	"container/list"
	"context"
	"crypto/sha1"
	"crypto/x509"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"

	"goproxy/confparse"
)

// The reasons nginx gives for an OCSP failure.
const (
	errOCSPFailed  = "certificate status request failed"
	errOCSPRevoked = "certificate revoked"
	errOCSPUnknown = "certificate status unknown"
)

// ocspCheck is a server's ssl_ocsp.
type ocspCheck struct {
	leafOnly  bool
	responder *responder // ssl_ocsp_responder; nil: each certificate's own
	cache     *ocspCache // nil: off
	trust     *Trust
	env       *Env
}

// newOCSPCheck reads ssl_ocsp, ssl_ocsp_responder and ssl_ocsp_cache.
func newOCSPCheck(c *confparse.SSLSrv, trust *Trust, env *Env) (*ocspCheck, error) {
	if *c.VerifyClient == "optional_no_ca" {
		return nil, fmt.Errorf("\"ssl_ocsp\" is incompatible with \"ssl_verify_client optional_no_ca\"")
	}
	o := &ocspCheck{leafOnly: *c.OCSP == "leaf", trust: trust, env: env}
	if c.OCSPResponder != nil && *c.OCSPResponder != "" {
		r, err := parseResponder(*c.OCSPResponder)
		if err != nil {
			return nil, fmt.Errorf("%v in OCSP responder %q in \"ssl_ocsp_responder\"", err, *c.OCSPResponder)
		}
		o.responder = r
	}
	if *c.OCSPCache != "off" {
		o.cache = sharedOCSPCache(*c.OCSPCache)
	}
	return o, nil
}

// validate checks a verified chain (leaf first, root last); it returns
// "" or nginx's reason.
func (o *ocspCheck) validate(chain []*x509.Certificate) string {
	n := len(chain) - 1
	if o.leafOnly && n > 1 {
		n = 1
	}
	for i := 0; i < n; i++ {
		cert, issuer := chain[i], chain[i+1]
		status, ok := o.cache.get(cert, issuer)
		if !ok {
			var err error
			if status, err = o.ask(cert, issuer, chain); err != nil {
				return errOCSPFailed
			}
		}
		switch status {
		case ocsp.Good:
			continue
		case ocsp.Revoked:
			return errOCSPRevoked
		default:
			return errOCSPUnknown
		}
	}
	return ""
}

// ask fetches and checks the status of cert, logging what fails.
func (o *ocspCheck) ask(cert, issuer *x509.Certificate, chain []*x509.Certificate) (int, error) {
	r := o.responder
	if r == nil {
		if len(cert.OCSPServer) == 0 {
			o.env.log(confparse.LevelError, "no OCSP responder URL in certificate")
			return 0, fmt.Errorf("no responder")
		}
		var err error
		if r, err = parseResponder(cert.OCSPServer[0]); err != nil {
			o.env.log(confparse.LevelError, fmt.Sprintf("%v in OCSP responder %q in certificate", err, cert.OCSPServer[0]))
			return 0, err
		}
	}
	der, peer, err := fetchOCSP(context.Background(), o.env, r, cert, issuer)
	var resp *ocsp.Response
	if err == nil {
		resp, err = checkOCSP(der, cert, issuer, ocspVerify, chain, o.trust, time.Now())
	}
	if err != nil {
		msg := err.Error() + " while requesting certificate status, responder: " + r.host
		if oe, ok := err.(*ocspError); ok {
			peer = oe.peer
		}
		if peer != "" {
			msg += ", peer: " + peer
		}
		o.env.log(confparse.LevelError, msg)
		return 0, err
	}
	valid := resp.NextUpdate
	if valid.IsZero() {
		valid = time.Now().Add(time.Hour)
	}
	o.cache.put(cert, issuer, resp.Status, valid)
	return resp.Status, nil
}

// ocspCache is one ssl_ocsp_cache zone: statuses by certificate ID
// until their nextUpdate (an hour without one), the oldest entry going
// first when the zone is full.
type ocspCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]*list.Element
	order   *list.List // of *ocspEntry, the newest first
}

type ocspEntry struct {
	key    string
	status int
	valid  time.Time
}

// ocspEntrySize is about what an entry takes in nginx's zone.
const ocspEntrySize = 128

var (
	ocspCachesMu sync.Mutex
	ocspCaches   = map[string]*ocspCache{}
)

// sharedOCSPCache is the zone of "[shared:]name:size": one per name in
// the process, kept across reloads as nginx keeps a shared zone.
func sharedOCSPCache(spec string) *ocspCache {
	rest, _ := strings.CutPrefix(spec, "shared:")
	name, size, _ := strings.Cut(rest, ":")
	n, _ := confparse.ParseSize(size)
	ocspCachesMu.Lock()
	defer ocspCachesMu.Unlock()
	c := ocspCaches[name]
	if c == nil {
		c = &ocspCache{entries: map[string]*list.Element{}, order: list.New()}
		ocspCaches[name] = c
	}
	c.mu.Lock()
	c.max = max(1, int(n/ocspEntrySize))
	c.mu.Unlock()
	return c
}

// ocspKey is nginx's cache key: the issuer's name and key hashes and the
// certificate's serial.
func ocspKey(cert, issuer *x509.Certificate) string {
	name := sha1.Sum(issuer.RawSubject)
	key := sha1.Sum(issuer.RawSubjectPublicKeyInfo)
	return string(name[:]) + string(key[:]) + string(cert.SerialNumber.Bytes())
}

func (c *ocspCache) get(cert, issuer *x509.Certificate) (int, bool) {
	if c == nil {
		return 0, false
	}
	k := ocspKey(cert, issuer)
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.entries[k]
	if el == nil {
		return 0, false
	}
	e := el.Value.(*ocspEntry)
	if time.Now().Before(e.valid) {
		return e.status, true
	}
	c.order.Remove(el)
	delete(c.entries, k)
	return 0, false
}

func (c *ocspCache) put(cert, issuer *x509.Certificate, status int, valid time.Time) {
	if c == nil || !time.Now().Before(valid) {
		return
	}
	k := ocspKey(cert, issuer)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.entries[k]; el != nil {
		c.order.Remove(el)
		delete(c.entries, k)
	}
	for c.order.Len() >= c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.entries, old.Value.(*ocspEntry).key)
	}
	c.entries[k] = c.order.PushFront(&ocspEntry{key: k, status: status, valid: valid})
}
