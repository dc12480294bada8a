// Package authbasic is ngx_http_auth_basic_module's logic: reading the
// credentials of an "Authorization: Basic" header, finding a user in an
// htpasswd file with nginx's reading rules, and checking a password
// against the stored hash in every format nginx accepts — its own
// ({PLAIN}, {SHA}, {SSHA}, $apr1$) and those of the system's crypt(3)
// that matter for htpasswd files (bcrypt, $1$, $5$, $6$, DES).
package authbasic

import (
	"bytes"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
)

// Credentials reads "Authorization: Basic ..." as nginx does: the scheme
// case-insensitively, spaces after it skipped, base64 up to the first
// "=" (padding optional), then user and password split at the first
// ":". ok is false when there is no usable user (nginx then asks again).
func Credentials(authorization string) (user, password string, ok bool) {
	const scheme = "basic "
	if len(authorization) < len(scheme) || !strings.EqualFold(authorization[:len(scheme)], scheme) {
		return "", "", false
	}
	enc := strings.TrimLeft(authorization[len(scheme):], " ")
	if enc == "" {
		return "", "", false
	}
	if i := strings.IndexByte(enc, '='); i >= 0 {
		enc = enc[:i]
	}
	// Go's decoder skips CR and LF; nginx's refuses them.
	if strings.ContainsAny(enc, "\r\n") || len(enc)%4 == 1 {
		return "", "", false
	}
	dec, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil {
		return "", "", false
	}
	user, password, found := strings.Cut(string(dec), ":")
	if !found || user == "" {
		return "", "", false
	}
	return user, password, true
}

// Lookup finds user's password field in an htpasswd file, reading it as
// nginx does: the first line that starts with "user:" wins; lines that
// start with "#" or CR are skipped; the field ends at CR, LF, ":" or the
// end of the file.
func Lookup(file []byte, user string) (hash string, found bool) {
	key := user + ":"
	for len(file) > 0 {
		line := file
		if i := bytes.IndexByte(file, '\n'); i >= 0 {
			line, file = file[:i], file[i+1:]
		} else {
			file = nil
		}
		if len(line) > 0 && (line[0] == '#' || line[0] == '\r') || !bytes.HasPrefix(line, []byte(key)) {
			continue
		}
		pw := line[len(key):]
		if i := bytes.IndexAny(pw, "\r:"); i >= 0 {
			pw = pw[:i]
		}
		return string(pw), true
	}
	return "", false
}

// ErrUnsupported is a hash in a crypt(3) scheme goproxy does not
// implement (yescrypt, scrypt, SunMD5, ...): nginx would ask the
// system's crypt().
var ErrUnsupported = errors.New("unsupported password hash")

// Verify checks password against a stored hash, the way nginx does: it
// computes the hash of the password with the stored one's scheme and
// salt, and compares the two strings. A malformed hash does not match.
func Verify(password, hash string) (bool, error) {
	// crypt() takes the password as a C string.
	if i := strings.IndexByte(password, 0); i >= 0 {
		password = password[:i]
	}
	var got string
	switch {
	case strings.HasPrefix(hash, "$apr1$"):
		got = md5Crypt(password, hash, "$apr1$")
	case strings.HasPrefix(hash, "{PLAIN}"):
		got = "{PLAIN}" + password
	case strings.HasPrefix(hash, "{SSHA}"):
		got = sshaHash(password, hash[len("{SSHA}"):])
	case strings.HasPrefix(hash, "{SHA}"):
		sum := sha1.Sum([]byte(password))
		got = "{SHA}" + base64.StdEncoding.EncodeToString(sum[:])
	default:
		var err error
		got, err = libcCrypt(password, hash)
		if err != nil {
			return false, err
		}
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1, nil
}

// sshaHash is {SSHA}: base64 of SHA-1(password + salt) followed by the
// salt, where the salt is what follows the first 20 bytes of the stored
// value.
func sshaHash(password, stored string) string {
	dec, err := base64.StdEncoding.DecodeString(stored)
	if err != nil {
		// nginx reads up to the first "=" and carries on.
		enc := stored
		if i := strings.IndexByte(enc, '='); i >= 0 {
			enc = enc[:i]
		}
		dec, err = base64.RawStdEncoding.DecodeString(enc)
		if err != nil {
			dec = nil
		}
	}
	var salt []byte
	if len(dec) > 20 {
		salt = dec[20:]
	}
	h := sha1.New()
	h.Write([]byte(password))
	h.Write(salt)
	out := append(h.Sum(nil), salt...)
	return "{SSHA}" + base64.StdEncoding.EncodeToString(out)
}

// libcCrypt is what glibc's crypt() (libxcrypt) answers for the schemes
// htpasswd files use; a setting it would refuse gives "" (no match).
func libcCrypt(password, setting string) (string, error) {
	switch {
	case strings.HasPrefix(setting, "$2a$"), strings.HasPrefix(setting, "$2b$"), strings.HasPrefix(setting, "$2y$"):
		return bcryptHash(password, setting), nil
	case strings.HasPrefix(setting, "$1$"):
		return md5Crypt(password, setting, "$1$"), nil
	case strings.HasPrefix(setting, "$5$"):
		return shaCrypt(password, setting, false), nil
	case strings.HasPrefix(setting, "$6$"):
		return shaCrypt(password, setting, true), nil
	case strings.HasPrefix(setting, "$"), strings.HasPrefix(setting, "_"):
		if knownUnsupported(setting) {
			return "", ErrUnsupported
		}
		return "", nil
	}
	return desCrypt(password, setting), nil
}

// knownUnsupported lists the other schemes libxcrypt implements.
func knownUnsupported(setting string) bool {
	for _, p := range []string{"$y$", "$gy$", "$7$", "$md5", "$sha1$", "$3$", "$2x$", "_"} {
		if strings.HasPrefix(setting, p) {
			return true
		}
	}
	return false
}

// crypt64 is crypt(3)'s base64 alphabet.
const crypt64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// validSalt reports whether s uses crypt64 only.
func validSalt(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(crypt64, s[i]) < 0 {
			return false
		}
	}
	return true
}

// appendB64 appends n characters of v, least significant 6 bits first.
func appendB64(b []byte, v uint32, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, crypt64[v&0x3f])
		v >>= 6
	}
	return b
}
