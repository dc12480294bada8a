package ssl

// password.go is ssl_password_file: pass phrases, one a line, tried in
// turn on encrypted private keys.

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ReadPasswords reads ssl_password_file (or proxy_ssl_password_file).
func ReadPasswords(path string) ([]string, error) { return readPasswords(path) }

func readPasswords(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("open() %q failed (%v)", path, err)
	}
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no passphrases in %q", path)
	}
	return out, nil
}

// decryptKey returns the PEM of a key with its encrypted blocks
// ("Proc-Type: 4,ENCRYPTED") decrypted by the first pass phrase that
// fits.
func decryptKey(kb []byte, passwords []string) ([]byte, error) {
	if !strings.Contains(string(kb), "ENCRYPTED") {
		return kb, nil
	}
	var out []byte
	rest := kb
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type == "ENCRYPTED PRIVATE KEY" {
			if len(passwords) == 0 {
				return nil, errors.New("the key is encrypted and there is no ssl_password_file")
			}
			var der []byte
			var err error
			for _, pw := range passwords {
				if der, err = decryptPKCS8(blk.Bytes, pw); err == nil {
					if _, perr := x509.ParsePKCS8PrivateKey(der); perr == nil {
						break
					}
					err = errBadDecrypt
				}
			}
			if err == errBadDecrypt {
				return nil, errors.New("bad decrypt: no pass phrase of ssl_password_file fits")
			}
			if err != nil {
				return nil, err
			}
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})...)
			continue
		}
		//lint:ignore SA1019 legacy PEM encryption is what ssl_password_file decrypts
		if x509.IsEncryptedPEMBlock(blk) { //nolint:staticcheck
			if len(passwords) == 0 {
				return nil, errors.New("the key is encrypted and there is no ssl_password_file")
			}
			var der []byte
			var err error
			for _, pw := range passwords {
				der, err = x509.DecryptPEMBlock(blk, []byte(pw)) //nolint:staticcheck
				if err == nil {
					break
				}
			}
			if err != nil {
				return nil, errors.New("bad decrypt: no pass phrase of ssl_password_file fits")
			}
			blk = &pem.Block{Type: blk.Type, Bytes: der}
		}
		out = append(out, pem.EncodeToMemory(blk)...)
	}
	return out, nil
}
