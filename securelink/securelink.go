// Package securelink is ngx_http_secure_link_module's run time:
// $secure_link says whether the request carries a valid link, and
// $secure_link_expires the expiry it gave.
package securelink

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"goproxy/httpcore"
)

// ctxKey keeps the request's state: the expiry a $secure_link
// evaluation read, which is all $secure_link_expires knows (before it,
// or without a comma, it has no value, as in nginx), and what
// $secure_link_expires gave first, which it keeps giving: nginx caches
// the variable, so a link whose secure_link_md5 uses it verifies only
// where $secure_link is evaluated first.
type ctxKey struct{}

type state struct {
	expires     string
	hasExpires  bool
	read        bool // $secure_link_expires was evaluated
	readExpires string
	readOK      bool
}

func stateOf(rq *httpcore.Request) *state {
	st, _ := rq.ModCtx(ctxKey{}).(*state)
	if st == nil {
		st = &state{}
		rq.SetModCtx(ctxKey{}, st)
	}
	return st
}

var variables = []httpcore.Variable{
	{Name: "secure_link", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		if rq.Loc == nil {
			return "", false
		}
		c := &rq.Loc.SecureLink
		if c.Secret != nil && !c.Secret.Hidden {
			uri, _ := rq.Var("request_uri")
			return inURI(uri, c.Secret.Word)
		}
		if c.Link == nil || c.MD5 == nil {
			return "", false
		}
		return withMD5(rq, rq.Eval(c.Link), func() string { return rq.Eval(c.MD5) })
	}},
	{Name: "secure_link_expires", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		st := stateOf(rq)
		if !st.read {
			st.read, st.readExpires, st.readOK = true, st.expires, st.hasExpires
		}
		return st.readExpires, st.readOK
	}},
}

func init() { httpcore.RegisterVariables(variables) }

// withMD5 checks "hash[,expires]": the hash is the base64url MD5 of what
// secure_link_md5 gives (evaluated only once the hash reads well, as
// nginx does); "1" for a good link, "0" for a good one that expired, no
// value otherwise. A positive expiry is recorded before the hash is
// checked.
func withMD5(rq *httpcore.Request, link string, expr func() string) (string, bool) {
	var expires int64
	if hash, exp, ok := strings.Cut(link, ","); ok {
		n, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || n <= 0 || exp[0] == '+' || exp[0] == '-' {
			return "", false
		}
		expires = n
		st := stateOf(rq)
		st.expires, st.hasExpires = exp, true
		link = hash
	}
	got, ok := decodeHash(link)
	if !ok {
		return "", false
	}
	if md5.Sum([]byte(expr())) != got {
		return "", false
	}
	if expires != 0 && expires < time.Now().Unix() {
		return "0", true
	}
	return "1", true
}

// decodeHash reads the hash as nginx's base64url decoder does: at most
// 24 characters, which end at the first "=" (padding or not, what
// follows is ignored), and must make 16 bytes.
func decodeHash(s string) ([md5.Size]byte, bool) {
	var out [md5.Size]byte
	if len(s) > 24 {
		return out, false
	}
	if i := strings.IndexByte(s, '='); i >= 0 {
		s = s[:i]
	}
	// Go's decoder skips line breaks; nginx's refuses them.
	if len(s)%4 == 1 || strings.ContainsAny(s, "\r\n") {
		return out, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != md5.Size {
		return out, false
	}
	copy(out[:], b)
	return out, true
}

// inURI is the secure_link_secret form: the request URI (with its
// arguments) is "/prefix/HASH/link", HASH the hex MD5 of link and the
// secret; the value is link, or none when the hash is wrong.
func inURI(uri, secret string) (string, bool) {
	if len(uri) < 1 {
		return "", false
	}
	_, rest, ok := strings.Cut(uri[1:], "/")
	if !ok {
		return "", false
	}
	hash, link, ok := strings.Cut(rest, "/")
	if !ok || len(hash) != 2*md5.Size || link == "" {
		return "", false
	}
	want := md5.Sum([]byte(link + secret))
	got, err := hex.DecodeString(hash)
	if err != nil || string(got) != string(want[:]) {
		return "", false
	}
	return link, true
}
