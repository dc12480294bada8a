package authbasic

// md5crypt.go is Poul-Henning Kamp's MD5-based crypt: "$1$" as crypt(3)
// has it and "$apr1$", Apache's variant with its own prefix.

import (
	"crypto/md5"
	"strings"
)

// md5Crypt hashes password with the salt of setting (up to 8 characters
// after magic, ended by "$"). An invalid salt gives "" for "$1$", which
// libxcrypt refuses; Apache's own code takes any salt.
func md5Crypt(password, setting, magic string) string {
	salt := setting[len(magic):]
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 8 {
		salt = salt[:8]
	}
	if magic == "$1$" && !validSalt(salt) {
		return ""
	}
	pw := []byte(password)
	alt := md5.New()
	alt.Write(pw)
	alt.Write([]byte(salt))
	alt.Write(pw)
	final := alt.Sum(nil)

	h := md5.New()
	h.Write(pw)
	h.Write([]byte(magic))
	h.Write([]byte(salt))
	for n := len(pw); n > 0; n -= 16 {
		h.Write(final[:min(n, 16)])
	}
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write([]byte{0})
		} else {
			h.Write(pw[:1])
		}
	}
	final = h.Sum(nil)

	for i := 0; i < 1000; i++ {
		r := md5.New()
		if i&1 != 0 {
			r.Write(pw)
		} else {
			r.Write(final)
		}
		if i%3 != 0 {
			r.Write([]byte(salt))
		}
		if i%7 != 0 {
			r.Write(pw)
		}
		if i&1 != 0 {
			r.Write(final)
		} else {
			r.Write(pw)
		}
		final = r.Sum(final[:0])
	}

	out := make([]byte, 0, len(magic)+len(salt)+1+22)
	out = append(out, magic...)
	out = append(out, salt...)
	out = append(out, '$')
	f := final
	for _, t := range [][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		out = appendB64(out, uint32(f[t[0]])<<16|uint32(f[t[1]])<<8|uint32(f[t[2]]), 4)
	}
	out = appendB64(out, uint32(f[11]), 2)
	return string(out)
}
