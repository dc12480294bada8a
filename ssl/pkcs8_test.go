package ssl

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
)

// Keys written by OpenSSL 3 ("openssl pkey -aes-256-cbc" and "-des3",
// pass phrase "secret") for one P-256 key.
const (
	encAES = `-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjcJr0IAwkNXAICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEENURvVvEbr2u2G9u8MU9ZlwEgZDp
aK+ka9HOe5IAexhg9gAoI3XS0oOTrTzRMaFzhLhelQj7cuX7byQYt1DmT6icfvpb
QFupmCMtHML4ZRDbKkaqz7fi5B7BYwtFqAn6GLaxTFlYXQK8Nd+8u9atQK+c7S/v
zoeW+23+J31xh/aCnIo/4cPGmisPQfVP/a3Mtuvu/1Jn1A5u/2/xb5JBn6UA7Y4=
-----END ENCRYPTED PRIVATE KEY-----
`
	encDES = `-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHjME4GCSqGSIb3DQEFDTBBMCkGCSqGSIb3DQEFDDAcBAiTFrxczDKcPQICCAAw
DAYIKoZIhvcNAgkFADAUBggqhkiG9w0DBwQIQUCVUau7HDEEgZA4IA3yWYmreKSV
lOgj5+cTljGJUQ1o71azQfaXHAuoCUDEhzTp7LBpmURIXSuYZFZAum1wr2RTvqdm
KYV37g5P+SDuuEEdKxpOJ5+LhRdrl4UUFzrZOK8fRayahMBHGYzQv5t572j1/zu4
ekkuRWIUxu1HX97PomDdBFMhq+JlDGYKxtFmAE57/mjn0tRCp/I=
-----END ENCRYPTED PRIVATE KEY-----
`
	pubKey = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAETGAEthbuclKfPj/c1rp+GLQVAg33
yNKA+4BtfC6oyswqQQJ5IHRkeVX/8bBh81zdEfe9QwGarAMD5csL9HpFMA==
-----END PUBLIC KEY-----
`
)

// TestDecryptPKCS8 decrypts OpenSSL's encrypted PKCS#8 keys, trying the
// pass phrases in turn, and refuses when none fits.
func TestDecryptPKCS8(t *testing.T) {
	blk, _ := pem.Decode([]byte(pubKey))
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for name, enc := range map[string]string{"aes-256-cbc": encAES, "des-ede3-cbc": encDES} {
		out, err := decryptKey([]byte(enc), []string{"wrong", "secret"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		blk, _ := pem.Decode(out)
		if blk == nil || blk.Type != "PRIVATE KEY" {
			t.Fatalf("%s: got %q", name, out)
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !k.(*ecdsa.PrivateKey).PublicKey.Equal(pub) {
			t.Errorf("%s: decrypted another key", name)
		}
		if _, err := decryptKey([]byte(enc), []string{"wrong"}); err == nil || !strings.Contains(err.Error(), "bad decrypt") {
			t.Errorf("%s: wrong pass phrase: %v", name, err)
		}
	}
}
