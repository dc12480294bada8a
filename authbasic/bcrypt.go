package authbasic

// bcrypt.go checks "$2a$", "$2b$" and "$2y$" hashes (htpasswd -B).
//
// It uses golang.org/x/crypto/bcrypt, maintained by the Go team: bcrypt
// is Blowfish's key schedule run 2^cost times, and a hand-written copy
// would need Blowfish's 4 KB of S-box constants and the eksblowfish
// setup — too much to get subtly wrong in a security check, where the
// library is widely used and tested.

import (
	"golang.org/x/crypto/bcrypt"
)

// bcryptHash returns setting itself when password matches it, else ""
// (crypt(3) would return the hash of password; only equality matters).
func bcryptHash(password, setting string) string {
	// crypt(3) uses at most 72 bytes of the key; the library refuses
	// longer ones.
	if len(password) > 72 {
		password = password[:72]
	}
	if bcrypt.CompareHashAndPassword([]byte(setting), []byte(password)) == nil {
		return setting
	}
	return ""
}
