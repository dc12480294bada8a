package acme

// order.go runs one certificate: load what state_path holds, order when
// there is nothing usable, and sleep until the renewal time, retrying
// failed orders with a growing pause.

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/acme"

	"goproxy/confparse"
)

// retryFirst and retryMax bound the pause after a failed order.
const (
	retryFirst = 5 * time.Second
	retryMax   = time.Hour
	recheck    = 6 * time.Hour // renewal information is asked again at least this often
)

func (c *Cert) start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go c.run(ctx)
}

func (c *Cert) run(ctx context.Context) {
	if tc, err := c.load(); err == nil {
		c.cur.Store(tc)
	} else if !errors.Is(err, fs.ErrNotExist) {
		c.log(confparse.LevelNotice, fmt.Sprintf("acme certificate %q: %v, ordering a new one", c.ids[0], err))
	}
	if c.cur.Load() == nil {
		c.log(confparse.LevelNotice, fmt.Sprintf("acme certificate %q is being ordered from %q: handshakes for it are refused until it is issued", c.ids[0], c.iss.conf.Name))
	}
	pause := retryFirst
	for {
		wait := time.Duration(0)
		if tc := c.cur.Load(); tc != nil {
			wait = time.Until(c.renewAt(ctx, tc.Leaf))
		}
		if wait > 0 {
			t := time.NewTimer(min(wait, recheck))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			if wait > recheck {
				continue
			}
		}
		err := c.order(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			c.log(confparse.LevelError, fmt.Sprintf("acme certificate %q: order failed: %v (next try in %v)", c.ids[0], err, pause))
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			pause = min(2*pause, retryMax)
			continue
		}
		pause = retryFirst
	}
}

// renewAt is when to renew: within the CA's suggested window when it
// offers renewal information (its middle), else at two thirds of the
// certificate's life.
func (c *Cert) renewAt(ctx context.Context, leaf *x509.Certificate) time.Time {
	if start, end, ok := c.suggestedWindow(ctx, leaf); ok {
		return start.Add(end.Sub(start) / 2)
	}
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	return leaf.NotBefore.Add(life * 2 / 3)
}

// order gets a new certificate through the whole RFC 8555 exchange.
func (c *Cert) order(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cl, err := c.iss.account(ctx)
	if err != nil {
		return err
	}
	var opts []acme.OrderOption
	if p := c.iss.conf.Profile; p != "" {
		opts = append(opts, acme.WithOrderIssuanceProfile(acme.ProfileName(p)))
	}
	var ids []acme.AuthzID
	for _, id := range c.ids {
		if net.ParseIP(id) != nil {
			ids = append(ids, acme.AuthzID{Type: "ip", Value: id})
		} else {
			ids = append(ids, acme.AuthzID{Type: "dns", Value: id})
		}
	}
	o, err := cl.AuthorizeOrder(ctx, ids, opts...)
	if err != nil {
		return err
	}
	for _, u := range o.AuthzURLs {
		if err := c.authorize(ctx, cl, u); err != nil {
			return err
		}
	}
	if o, err = cl.WaitOrder(ctx, o.URI); err != nil {
		return err
	}
	key, err := newKey(c.keyType)
	if err != nil {
		return err
	}
	csr, err := c.csr(key)
	if err != nil {
		return err
	}
	chain, certURL, err := cl.CreateCertFromOrder(ctx, o, csr, true)
	if err != nil {
		return err
	}
	if pc := c.iss.conf.PreferredChain; pc != "" {
		chain = preferredChain(ctx, cl, certURL, chain, pc)
	}
	tc, err := c.save(chain, key)
	if err != nil {
		return err
	}
	c.cur.Store(tc)
	c.issued.Add(1)
	c.log(confparse.LevelNotice, fmt.Sprintf("acme certificate %q issued by %q, valid until %s", c.ids[0], c.iss.conf.Name, tc.Leaf.NotAfter.UTC().Format(time.RFC3339)))
	return nil
}

// authorize answers one authorization's challenge of the issuer's type.
func (c *Cert) authorize(ctx context.Context, cl *acme.Client, u string) error {
	z, err := cl.GetAuthorization(ctx, u)
	if err != nil {
		return err
	}
	if z.Status == acme.StatusValid {
		return nil
	}
	var chal *acme.Challenge
	for _, ch := range z.Challenges {
		if ch.Type == c.iss.conf.Challenge {
			chal = ch
		}
	}
	if chal == nil {
		return fmt.Errorf("the CA offers no %s challenge for %q", c.iss.conf.Challenge, z.Identifier.Value)
	}
	switch chal.Type {
	case "http-01":
		resp, err := cl.HTTP01ChallengeResponse(chal.Token)
		if err != nil {
			return err
		}
		httpTokens.Store(chal.Token, resp)
		defer httpTokens.Delete(chal.Token)
	case "tls-alpn-01":
		cert, err := cl.TLSALPN01ChallengeCert(chal.Token, z.Identifier.Value)
		if err != nil {
			return err
		}
		alpnCerts.Store(z.Identifier.Value, &cert)
		defer alpnCerts.Delete(z.Identifier.Value)
	}
	if _, err := cl.Accept(ctx, chal); err != nil {
		return err
	}
	_, err = cl.WaitAuthorization(ctx, z.URI)
	return err
}

func (c *Cert) csr(key any) ([]byte, error) {
	tpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: c.ids[0]}}
	for _, id := range c.ids {
		if ip := net.ParseIP(id); ip != nil {
			tpl.IPAddresses = append(tpl.IPAddresses, ip)
		} else {
			tpl.DNSNames = append(tpl.DNSNames, id)
		}
	}
	if len(c.ids[0]) > 64 {
		tpl.Subject.CommonName = ""
	}
	return x509.CreateCertificateRequest(rand.Reader, tpl, key)
}

// preferredChain picks, among the chain issued and the alternates the CA
// links, the first whose last certificate is issued by (or is) the
// named root; the issued one when none is.
func preferredChain(ctx context.Context, cl *acme.Client, certURL string, chain [][]byte, name string) [][]byte {
	if chainNamed(chain, name) {
		return chain
	}
	alts, err := cl.ListCertAlternates(ctx, certURL)
	if err != nil {
		return chain
	}
	for _, u := range alts {
		alt, err := cl.FetchCert(ctx, u, true)
		if err == nil && chainNamed(alt, name) {
			return alt
		}
	}
	return chain
}

func chainNamed(chain [][]byte, name string) bool {
	if len(chain) == 0 {
		return false
	}
	last, err := x509.ParseCertificate(chain[len(chain)-1])
	return err == nil && (last.Issuer.CommonName == name || last.Subject.CommonName == name)
}

// suggestedWindow asks the CA's renewal information for a certificate
// (RFC 9773): its id is the issuer's key identifier and the serial.
func (c *Cert) suggestedWindow(ctx context.Context, leaf *x509.Certificate) (start, end time.Time, ok bool) {
	ari := c.iss.ari
	if ari == "" || len(leaf.AuthorityKeyId) == 0 {
		return
	}
	cl, err := c.iss.account(ctx)
	if err != nil {
		return
	}
	id := b64(leaf.AuthorityKeyId) + "." + b64(serialBytes(leaf.SerialNumber))
	hc := cl.HTTPClient
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return fetchWindow(rctx, hc, strings.TrimRight(ari, "/")+"/"+id)
}

// serialBytes is the serial's DER integer content (a leading zero kept
// for a high bit), as RFC 9773 encodes it.
func serialBytes(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) > 0 && b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return b
}

// challengeCert answers a tls-alpn-01 handshake ("acme-tls/1" offered)
// for a name being validated.
func challengeCert(hello *tls.ClientHelloInfo) (*tls.Certificate, bool) {
	for _, p := range hello.SupportedProtos {
		if p == "acme-tls/1" {
			if v, ok := alpnCerts.Load(hello.ServerName); ok {
				return v.(*tls.Certificate), true
			}
		}
	}
	return nil, false
}
