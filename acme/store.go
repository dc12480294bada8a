package acme

// store.go keeps an issuer's account key and each certificate with its
// key under state_path, as PEM files, so that a restart serves what it
// had and asks the CA for nothing it already holds.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// newKey generates a key of a type written "ecdsa:256" or "rsa:2048".
func newKey(typ string) (crypto.Signer, error) {
	alg, size, _ := strings.Cut(typ, ":")
	n, _ := strconv.Atoi(size)
	switch alg {
	case "rsa":
		return rsa.GenerateKey(rand.Reader, n)
	case "ecdsa":
		curve := map[int]elliptic.Curve{256: elliptic.P256(), 384: elliptic.P384(), 521: elliptic.P521()}[n]
		if curve == nil {
			return nil, fmt.Errorf("invalid key %q", typ)
		}
		return ecdsa.GenerateKey(curve, rand.Reader)
	}
	return nil, fmt.Errorf("invalid key %q", typ)
}

func encodeKey(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func decodeKey(b []byte) (crypto.Signer, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM key")
	}
	var k any
	var err error
	switch blk.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(blk.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("unusable key")
	}
	return s, nil
}

// accountKey is the issuer's account_key: a file as written, else one
// kept in the state directory, generated the first time.
func accountKey(conf, dir string) (crypto.Signer, error) {
	if !strings.Contains(conf, ":") || filepath.IsAbs(conf) {
		b, err := os.ReadFile(conf)
		if err != nil {
			return nil, err
		}
		return decodeKey(b)
	}
	path := ""
	if dir != "" {
		path = filepath.Join(dir, "account.key")
		if b, err := os.ReadFile(path); err == nil {
			return decodeKey(b)
		}
	}
	k, err := newKey(conf)
	if err != nil || path == "" {
		return k, err
	}
	b, err := encodeKey(k)
	if err != nil {
		return nil, err
	}
	return k, writeState(path, b)
}

// writeState writes a state file whole (by rename): a crash leaves the
// previous one, never half of the new.
func writeState(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// certFiles names a certificate's files: by its first name and key type.
func (c *Cert) certFiles() (crt, key string) {
	base := filepath.Join(c.iss.conf.StatePath, c.ids[0]+"-"+strings.ReplaceAll(c.keyType, ":", ""))
	return base + ".crt", base + ".key"
}

// load reads the stored certificate, if it is for the names asked.
func (c *Cert) load() (*tls.Certificate, error) {
	if c.iss.conf.StatePath == "" {
		return nil, os.ErrNotExist
	}
	crt, key := c.certFiles()
	cb, err := os.ReadFile(crt)
	if err != nil {
		return nil, err
	}
	kb, err := os.ReadFile(key)
	if err != nil {
		return nil, err
	}
	tc, err := tls.X509KeyPair(cb, kb)
	if err != nil {
		return nil, err
	}
	for _, id := range c.ids {
		if tc.Leaf.VerifyHostname(id) != nil {
			return nil, fmt.Errorf("the stored certificate is not for %q", id)
		}
	}
	return &tc, nil
}

// save stores an issued chain and its key.
func (c *Cert) save(chain [][]byte, k crypto.Signer) (*tls.Certificate, error) {
	var cb []byte
	for _, der := range chain {
		cb = append(cb, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	kb, err := encodeKey(k)
	if err != nil {
		return nil, err
	}
	tc, err := tls.X509KeyPair(cb, kb)
	if err != nil {
		return nil, err
	}
	if c.iss.conf.StatePath != "" {
		crt, key := c.certFiles()
		if err := writeState(key, kb); err != nil {
			return nil, err
		}
		if err := writeState(crt, cb); err != nil {
			return nil, err
		}
	}
	return &tc, nil
}

// dataPEM is the current certificate chain, or its key, as "data:" PEM.
func (c *Cert) dataPEM(key bool) (string, bool) {
	tc := c.cur.Load()
	if tc == nil {
		return "", false
	}
	if key {
		k, ok := tc.PrivateKey.(crypto.Signer)
		if !ok {
			return "", false
		}
		b, err := encodeKey(k)
		return "data:" + string(b), err == nil
	}
	var b []byte
	for _, der := range tc.Certificate {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	return "data:" + string(b), true
}
