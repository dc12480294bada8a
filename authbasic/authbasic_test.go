package authbasic

import (
	"crypto/des"
	"encoding/binary"
	"math/rand"
	"strings"
	"testing"
)

// Vectors from this system's crypt(3) (libxcrypt), openssl passwd -apr1.
var vectors = []struct{ password, setting, want string }{
	{"hello", "ab", "abl0JrMf6tlhw"},
	{"hello", "..", "..dR0/E99ehpU"},
	{"password", "Zz", "ZziFATVXHo2.6"},
	{"longpassword12", "x/", "x/xTSn2RjfhAI"},
	{"a", "99", "99WIKHSsNBmGg"},
	{"hello", "$1$saltsalt$", "$1$saltsalt$fFhQNRZ9A4AYLdo7vOe8a0"},
	{"", "$1$saltsalt$", "$1$saltsalt$5Jhcit4zN9UlGiA0txPkO0"},
	{long, "$1$saltsalt$", "$1$saltsalt$43ikagNzeU1SPhgCuWGM01"},
	{"hello", "$1$", "$1$$/PWPe740uvaQxKzRH.Zxj1"},
	{"hello", "$1$abc", "$1$abc$jWy0FsfCoVBK.I85XpXf30"},
	{"hello", "$5$rounds=1000$salt$", "$5$rounds=1000$salt$LOwWr9mMJrAtf7FfCf.shKLAf.rccucF5dcSaCW2ur3"},
	{"", "$5$rounds=1000$salt$", "$5$rounds=1000$salt$oacEarljCLl1hnwSHaKByNaFLSC8faCZtGSPISXgwZ."},
	{long, "$5$rounds=1000$salt$", "$5$rounds=1000$salt$yX/l2/BRXEqK/EXQE1.hVq/GhB8l7BHd4Xquf9JX61C"},
	{"hello", "$5$saltstring", "$5$saltstring$4mLzDd7PmpYGnmV6HHYAR6tJydOUyhkrRSQDy8q2eK8"},
	{long, "$5$saltstring", "$5$saltstring$Hjfqvo.cpq0IWf6O24pQeS1D1elIIB/2Ie1GNePBij6"},
	{"hello", "$6$rounds=5000$salt", "$6$rounds=5000$salt$ghQ6Rhatj/sug12c6v8Ao/bXUoyJ1O1SqdumufgGEO3b3NYPvm/dSWDKWfNm1VxFoFiy/cw9eRaY0xu4GDQSU/"},
	{"", "$6$rounds=5000$salt", "$6$rounds=5000$salt$r6qPcj2UeIkfklWHvleGJk8OKTInFYR/fxyuwcC656IWiZBpIFZ9.hMRG2ZQnnyMFrKOe461f9iT9Ljn0wJ5l."},
	{long, "$6$abcdefghijklmnopqr", "$6$abcdefghijklmnop$Jol32AveAaNmuINTwxTh15SAqUfCmAE1IpMMuilU6TH0M.9FQ1DS2Q4W07nH5fjE9OOasG3C/FeUHVkhGzH6J0"},
	{"hello", "$6$salt", "$6$salt$ghQ6Rhatj/sug12c6v8Ao/bXUoyJ1O1SqdumufgGEO3b3NYPvm/dSWDKWfNm1VxFoFiy/cw9eRaY0xu4GDQSU/"},
	{"hello", "$5$rounds=1000$", "$5$rounds=1000$$S9N0YmqVuVy2YtUnvHX0TcZlQveW9y1gngy.wwsbqN7"},
	// libxcrypt refuses these settings ("*0"): no hash matches.
	{"hello", "$1$a:b$", ""},
	{"hello", "$5$rounds=10$salt$", ""},
	{"hello", "$5$rounds=0010$salt$", ""},
	{"hello", "$5$rounds=1000000000$s$", ""},
	{"hello", "a!", ""},
	{"hello", "a", ""},
}

const long = "a much longer password that exceeds sixty four bytes for sure, yes indeed it does"

func TestCryptVectors(t *testing.T) {
	for _, v := range vectors {
		got, err := libcCrypt(v.password, v.setting)
		if err != nil || got != v.want {
			t.Errorf("crypt(%q, %q) = %q, %v; want %q", v.password, v.setting, got, err, v.want)
		}
	}
}

func TestVerify(t *testing.T) {
	for _, c := range []struct {
		password, hash string
		ok             bool
	}{
		{"hello", "$apr1$xyz$V9Ia6WfootzHtHT4Rjgs7.", true},
		{"hellO", "$apr1$xyz$V9Ia6WfootzHtHT4Rjgs7.", false},
		{"", "$apr1$abcdefgh$L.PT565ESX4Tp2bqNs7Ie.", true},
		{"pass", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.9JXofHN.pDSNKTkK2gqWn2UvOF6E9d6", true},
		{"pass", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.9JXofHN.pDSNKTkK2gqWn2UvOF6E9d6", true},
		{"pass", "$2y$05$CCCCCCCCCCCCCCCCCCCCC.9JXofHN.pDSNKTkK2gqWn2UvOF6E9d6", true},
		{"pasS", "$2y$05$CCCCCCCCCCCCCCCCCCCCC.9JXofHN.pDSNKTkK2gqWn2UvOF6E9d6", false},
		{strings.Repeat("x", 80), "$2y$04$abcdefghijklmnopqrstuubzadhGtS2zEF.gu0yd0opP6cVzb.e0i", true},
		{"hello", "{PLAIN}hello", true},
		{"hello", "{PLAIN}hell", false},
		{"hello", "{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=", true},
		{"hello", "{SSHA}" + sshaHash("hello", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAc2FsdA==")[6:], true},
		{"hello", "abl0JrMf6tlhw", true},
		{"hello1234", "abl0JrMf6tlhw", false},
		{"hellx", "abl0JrMf6tlhw", false},
	} {
		ok, err := Verify(c.password, c.hash)
		if ok != c.ok || err != nil {
			t.Errorf("Verify(%q, %q) = %v, %v; want %v", c.password, c.hash, ok, err, c.ok)
		}
	}
	// DES uses the first 8 characters only.
	if ok, _ := Verify("password-and-more", "ZziFATVXHo2.6"); !ok {
		t.Error("DES crypt must ignore characters after the 8th")
	}
	if _, err := Verify("x", "$y$j9T$salt$/PqW6IciqCarq7pllKWtXjd4smemv/.KoEdn9kTyR6B"); err != ErrUnsupported {
		t.Errorf("yescrypt: err = %v", err)
	}
}

// TestDESMatchesStdlib checks the hand-written DES (salt 0) against
// crypto/des.
func TestDESMatchesStdlib(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		var key, block [8]byte
		r.Read(key[:])
		r.Read(block[:])
		c, _ := des.NewCipher(key[:])
		var want [8]byte
		c.Encrypt(want[:], block[:])
		ks := desSubkeys(binary.BigEndian.Uint64(key[:]))
		got := desEncrypt(binary.BigEndian.Uint64(block[:]), &ks, 0)
		if got != binary.BigEndian.Uint64(want[:]) {
			t.Fatalf("DES(%x, %x) = %x, want %x", key, block, got, want)
		}
	}
}

func TestCredentials(t *testing.T) {
	for _, c := range []struct {
		h, user, pw string
		ok          bool
	}{
		{"Basic dXNlcjpwYXNz", "user", "pass", true},
		{"basic   dXNlcjpwYXNz", "user", "pass", true},
		{"BASIC dXNlcjpwYXNzOng=", "user", "pass:x", true},
		{"Basic dXNlcjpwYXNzOng", "user", "pass:x", true},
		{"Basic OnBhc3M=", "", "", false},
		{"Basic dXNlcg==", "", "", false},
		{"Basic ", "", "", false},
		{"Bearer dXNlcjpwYXNz", "", "", false},
		{"Basic !!!!", "", "", false},
	} {
		u, p, ok := Credentials(c.h)
		if u != c.user || p != c.pw || ok != c.ok {
			t.Errorf("Credentials(%q) = %q, %q, %v", c.h, u, p, ok)
		}
	}
}

func TestLookup(t *testing.T) {
	file := []byte("# comment\nbob:x\r\n\nalice:{PLAIN}a:comment\n#alice:no\nalice:second\ncarol:last")
	for _, c := range []struct {
		user, hash string
		found      bool
	}{
		{"bob", "x", true}, {"alice", "{PLAIN}a", true}, {"carol", "last", true},
		{"al", "", false}, {"#alice", "", false}, {"dave", "", false},
	} {
		h, ok := Lookup(file, c.user)
		if h != c.hash || ok != c.found {
			t.Errorf("Lookup(%q) = %q, %v", c.user, h, ok)
		}
	}
}
