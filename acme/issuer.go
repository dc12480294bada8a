package acme

// issuer.go is an acme_issuer at run time: one ACME client and account
// for every certificate ordered from it.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"

	"goproxy/confparse"
)

type issuer struct {
	conf   *confparse.AcmeIssuer
	mu     sync.Mutex // registration, once per process
	client *acme.Client
	ari    string // the directory's renewalInfo URL, "" if the CA has none
}

var issuers = map[string]*issuer{} // under mu, by the settings that make the account

func issuerFor(ic *confparse.AcmeIssuer) *issuer {
	k := strings.Join([]string{ic.Name, ic.URI, ic.AccountKey, ic.StatePath, ic.Trusted, fmt.Sprint(ic.Verify)}, "\x00")
	if i := issuers[k]; i != nil {
		i.conf = ic
		return i
	}
	i := &issuer{conf: ic}
	issuers[k] = i
	return i
}

// httpClient reaches the CA, verifying it against ssl_trusted_certificate
// (the system's roots by default) unless ssl_verify is off.
func (i *issuer) httpClient() (*http.Client, error) {
	tc := &tls.Config{}
	if !i.conf.Verify {
		tc.InsecureSkipVerify = true
	} else if i.conf.Trusted != "" {
		b, err := os.ReadFile(i.conf.Trusted)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("no certificates in %q", i.conf.Trusted)
		}
		tc.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return &http.Client{Transport: tr, Timeout: time.Minute}, nil
}

// account returns the registered client, registering the account the
// first time (or finding the one the key already has).
func (i *issuer) account(ctx context.Context) (*acme.Client, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.client != nil {
		return i.client, nil
	}
	hc, err := i.httpClient()
	if err != nil {
		return nil, err
	}
	key, err := accountKey(i.conf.AccountKey, i.conf.StatePath)
	if err != nil {
		return nil, fmt.Errorf("account key: %v", err)
	}
	cl := &acme.Client{Key: key, DirectoryURL: i.conf.URI, HTTPClient: hc, UserAgent: "goproxy"}
	dir, err := cl.Discover(ctx)
	if err != nil {
		return nil, err
	}
	acct := &acme.Account{Contact: i.conf.Contacts}
	if i.conf.EABKeyID != "" {
		mac, err := eabKey(i.conf.EABKey)
		if err != nil {
			return nil, err
		}
		acct.ExternalAccountBinding = &acme.ExternalAccountBinding{KID: i.conf.EABKeyID, Key: mac}
	}
	tos := func(url string) bool { return i.conf.AcceptTOS }
	if dir.Terms == "" {
		tos = acme.AcceptTOS
	}
	if _, err := cl.Register(ctx, acct, tos); err != nil && !errors.Is(err, acme.ErrAccountAlreadyExists) {
		if dir.Terms != "" && !i.conf.AcceptTOS {
			return nil, fmt.Errorf("%v (the terms of service at %s are not accepted: accept_terms_of_service)", err, dir.Terms)
		}
		return nil, err
	}
	i.ari = renewalInfoURL(ctx, hc, i.conf.URI)
	i.client = cl
	return cl, nil
}

// eabKey reads external_account_key's MAC key: base64url, from a file or
// "data:".
func eabKey(v string) ([]byte, error) {
	s, ok := strings.CutPrefix(v, "data:")
	if !ok {
		b, err := os.ReadFile(v)
		if err != nil {
			return nil, err
		}
		s = string(b)
	}
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(s), "="))
}

// renewalInfoURL reads the directory's "renewalInfo" (RFC 9773), which
// x/crypto/acme's Directory does not carry.
func renewalInfoURL(ctx context.Context, hc *http.Client, dirURL string) string {
	rq, err := http.NewRequestWithContext(ctx, "GET", dirURL, nil)
	if err != nil {
		return ""
	}
	resp, err := hc.Do(rq)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var d struct {
		RenewalInfo string `json:"renewalInfo"`
	}
	if json.NewDecoder(resp.Body).Decode(&d) != nil {
		return ""
	}
	return d.RenewalInfo
}
