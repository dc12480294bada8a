package authbasic

// shacrypt.go is Ulrich Drepper's SHA-crypt, "$5$" (SHA-256) and "$6$"
// (SHA-512), with libxcrypt's checks: salt characters from crypt's
// alphabet, at most 16 used, "rounds=N" between 1000 and 999999999
// written without leading zeros.

import (
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strconv"
	"strings"
)

var (
	sha256Order = [][3]int{{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14},
		{15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29}}
	sha512Order = [][3]int{{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4},
		{47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10},
		{53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35}, {15, 36, 57}, {37, 58, 16},
		{59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41}}
)

func shaCrypt(password, setting string, is512 bool) string {
	magic := "$5$"
	newHash := sha256.New
	if is512 {
		magic, newHash = "$6$", sha512.New
	}
	rest := setting[3:]
	rounds, explicit := 5000, false
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		num, after, found := strings.Cut(r, "$")
		n, err := strconv.Atoi(num)
		if !found || err != nil || num == "" || num[0] < '1' || num[0] > '9' || n < 1000 || n > 999999999 {
			return ""
		}
		rounds, explicit, rest = n, true, after
	}
	salt := rest
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 16 {
		salt = salt[:16]
	}
	if !validSalt(salt) {
		return ""
	}
	pw, sb := []byte(password), []byte(salt)

	b := newHash()
	b.Write(pw)
	b.Write(sb)
	b.Write(pw)
	bSum := b.Sum(nil)
	size := len(bSum)

	a := newHash()
	a.Write(pw)
	a.Write(sb)
	repeat(a, bSum, len(pw))
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			a.Write(bSum)
		} else {
			a.Write(pw)
		}
	}
	aSum := a.Sum(nil)

	dp := newHash()
	for range len(pw) {
		dp.Write(pw)
	}
	p := fill(dp.Sum(nil), len(pw))

	ds := newHash()
	for range 16 + int(aSum[0]) {
		ds.Write(sb)
	}
	s := fill(ds.Sum(nil), len(sb))

	c := aSum
	for i := 0; i < rounds; i++ {
		r := newHash()
		if i&1 != 0 {
			r.Write(p)
		} else {
			r.Write(c)
		}
		if i%3 != 0 {
			r.Write(s)
		}
		if i%7 != 0 {
			r.Write(p)
		}
		if i&1 != 0 {
			r.Write(c)
		} else {
			r.Write(p)
		}
		c = r.Sum(c[:0])
	}

	out := []byte(magic)
	if explicit {
		out = append(out, "rounds="+strconv.Itoa(rounds)+"$"...)
	}
	out = append(out, salt...)
	out = append(out, '$')
	order := sha256Order
	if is512 {
		order = sha512Order
	}
	for _, t := range order {
		out = appendB64(out, uint32(c[t[0]])<<16|uint32(c[t[1]])<<8|uint32(c[t[2]]), 4)
	}
	if size == 32 {
		out = appendB64(out, uint32(c[31])<<8|uint32(c[30]), 3)
	} else {
		out = appendB64(out, uint32(c[63]), 2)
	}
	return string(out)
}

// repeat writes n bytes of sum over and over.
func repeat(h hash.Hash, sum []byte, n int) {
	for ; n > len(sum); n -= len(sum) {
		h.Write(sum)
	}
	h.Write(sum[:n])
}

// fill is n bytes of sum repeated.
func fill(sum []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, sum[:min(len(sum), n-len(out))]...)
	}
	return out
}
