// Package userid is ngx_http_userid_module's run time: it reads the
// client's identifying cookie ($uid_got), makes one for a client that
// has none ($uid_set) and sends it with the response.
//
// The cookie is nginx's: the base64 of 16 bytes, four 32-bit words that
// "v1" writes in the machine's order and "on" in network order, and that
// $uid_got and $uid_set print as nginx does on the little-endian machines
// it runs on (x86, arm64), so cookies pass between nginx and goproxy.
package userid

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
)

type ctxKey struct{}

// state is the main request's: the cookie it came with (got, valid when
// its last word is not zero, as nginx tests) and the one to send (set).
type state struct {
	cookie string
	got    [16]byte
	set    [16]byte
	reset  bool
}

func nonZero(uid *[16]byte) bool { return binary.LittleEndian.Uint32(uid[12:]) != 0 }

// startValue and the sequences are the parts of a new uid that tell
// apart the ones made in the same second: nginx takes the former from
// the microseconds and the pid when a worker starts.
var (
	startValue = uint32(time.Now().Nanosecond()/1000/20)<<16 | uint32(os.Getpid())
	seqMu      sync.Mutex
	seqV1      uint32 = 1
	seqV2      uint32 = 0x03030302
)

var variables = []httpcore.Variable{
	{Name: "uid_got", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		main := mainOf(rq)
		u := conf(main)
		if u == nil || mode(u) == "off" {
			return "", false
		}
		st := get(main, u)
		if !nonZero(&st.got) {
			return "", false
		}
		return format(u, &st.got), true
	}},
	{Name: "uid_set", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		main := mainOf(rq)
		u := conf(main)
		if u == nil || !sets(u) {
			return "", false
		}
		st := get(main, u)
		create(main, st, u)
		if !nonZero(&st.set) {
			return "", false
		}
		return format(u, &st.set), true
	}},
	// "set $uid_reset" asks for a new cookie; otherwise it is empty.
	{Name: "uid_reset", Get: func(*httpcore.Request, string) (string, bool) { return "", true }},
}

func init() {
	httpcore.RegisterVariables(variables)
	httpcore.RegisterHeaderFilter(httpcore.OrderUserid, filter)
}

func mainOf(rq *httpcore.Request) *httpcore.Request {
	for rq.Parent != nil {
		rq = rq.Parent
	}
	return rq
}

func conf(rq *httpcore.Request) *confparse.UseridLoc {
	if rq.Loc == nil {
		return nil
	}
	return &rq.Loc.Userid
}

func mode(u *confparse.UseridLoc) string {
	if u.Mode == nil {
		return "off"
	}
	return *u.Mode
}

// sets says the level makes cookies ("v1" or "on"; "log" only reads).
func sets(u *confparse.UseridLoc) bool { m := mode(u); return m == "v1" || m == "on" }

func name(u *confparse.UseridLoc) string {
	if u.Name == nil {
		return "uid"
	}
	return *u.Name
}

func mark(u *confparse.UseridLoc) byte {
	if u.Mark == nil || *u.Mark == "" {
		return 0
	}
	return (*u.Mark)[0]
}

// format is "name=" and the four words in hex.
func format(u *confparse.UseridLoc, uid *[16]byte) string {
	le := binary.LittleEndian
	return fmt.Sprintf("%s=%08X%08X%08X%08X", name(u), le.Uint32(uid[0:]), le.Uint32(uid[4:]), le.Uint32(uid[8:]), le.Uint32(uid[12:]))
}

// get reads the cookie once a request: its first 22 characters are
// the base64 of the uid (what follows may be a mark or a broken "==").
func get(rq *httpcore.Request, u *confparse.UseridLoc) *state {
	if st, ok := rq.ModCtx(ctxKey{}).(*state); ok {
		return st
	}
	st := &state{}
	rq.SetModCtx(ctxKey{}, st)
	line := ""
	for _, h := range rq.R.Header.Values("Cookie") {
		if v := httpcore.CookieVar([]string{h}, name(u)); v != "" {
			st.cookie, line = v, h
			break
		}
	}
	if line == "" {
		return st
	}
	if len(st.cookie) < 22 {
		logf(rq, confparse.LevelError, `client sent too short userid cookie "`+line+`"`)
		return st
	}
	src := st.cookie[:22]
	if i := strings.IndexByte(src, '='); i >= 0 {
		src = src[:i] // nginx's decoder stops at padding
	}
	b, err := base64.RawStdEncoding.DecodeString(src)
	if err != nil {
		logf(rq, confparse.LevelError, `client sent invalid userid cookie "`+line+`"`)
		return st
	}
	copy(st.got[:], b)
	return st
}

func logf(rq *httpcore.Request, level confparse.Level, msg string) {
	if l, ok := rq.Eng.(httpcore.RequestLogger); ok {
		l.LogRequest(rq, level, msg)
	}
}

// create decides the uid to send, once: none for a client whose cookie
// is good (and marked, with userid_mark) unless $uid_reset is set (not
// "0"); the client's own to add the mark; else a new one.
func create(rq *httpcore.Request, st *state, u *confparse.UseridLoc) {
	if nonZero(&st.set) {
		return
	}
	if nonZero(&st.got) {
		reset, _ := rq.Var("uid_reset")
		if reset == "" || reset == "0" {
			m := mark(u)
			if m == 0 || len(st.cookie) > 23 && st.cookie[22] == m && st.cookie[23] == '=' {
				return
			}
			st.set = st.got
			return
		}
		st.reset = true
		if reset == "log" {
			logf(rq, confparse.LevelNotice, `userid cookie "`+format(u, &st.got)+`" was reset`)
		}
	}
	now := uint32(time.Now().Unix())
	seqMu.Lock()
	defer seqMu.Unlock()
	if mode(u) == "v1" {
		le := binary.LittleEndian
		if u.Service != nil {
			le.PutUint32(st.set[0:], uint32(*u.Service))
		}
		le.PutUint32(st.set[4:], now)
		le.PutUint32(st.set[8:], startValue)
		le.PutUint32(st.set[12:], seqV1)
		seqV1 += 0x100
		return
	}
	be := binary.BigEndian
	if u.Service != nil {
		be.PutUint32(st.set[0:], uint32(*u.Service))
	} else {
		copy(st.set[0:4], localAddr(rq))
	}
	be.PutUint32(st.set[4:], now)
	be.PutUint32(st.set[8:], startValue)
	be.PutUint32(st.set[12:], seqV2)
	seqV2 += 0x100
	if seqV2 < 0x03030302 {
		seqV2 = 0x03030302
	}
}

// localAddr is the server's address as "on" puts it first: an IPv4
// address, the last four bytes of an IPv6 one, zero for a unix socket.
func localAddr(rq *httpcore.Request) []byte {
	a, _ := rq.Var("server_addr")
	ip := net.ParseIP(a)
	if ip == nil {
		return make([]byte, 4)
	}
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip[12:16]
}

// filter sends the cookie (and P3P) with the main response where the
// location's userid is v1 or on.
func filter(rq *httpcore.Request, _ int) {
	u := conf(rq)
	if rq.Parent != nil || u == nil || !sets(u) {
		return
	}
	st := get(rq, u)
	create(rq, st, u)
	if !nonZero(&st.set) {
		return
	}
	h := rq.W.Header()
	h["Set-Cookie"] = append(h["Set-Cookie"], cookie(u, st))
	if u.P3P != nil && *u.P3P != "" {
		h["P3p"] = append(h["P3p"], *u.P3P)
		rq.NoteHeader("P3p", "P3P")
	}
}

// cookie is the Set-Cookie value, written as nginx writes it.
func cookie(u *confparse.UseridLoc, st *state) string {
	var b strings.Builder
	b.WriteString(name(u))
	b.WriteByte('=')
	m := mark(u)
	if !nonZero(&st.got) || st.reset {
		v := []byte(base64.StdEncoding.EncodeToString(st.set[:]))
		if m != 0 {
			v[len(v)-2] = m
		}
		b.Write(v)
	} else {
		b.WriteString(st.cookie[:22])
		b.WriteByte(m)
		b.WriteByte('=')
	}
	if u.Expires != nil {
		switch e := *u.Expires; {
		case e == confparse.MaxUseridExpires:
			b.WriteString("; expires=Thu, 31-Dec-37 23:55:55 GMT")
		case e > 0:
			b.WriteString("; expires=" + cookieTime(time.Now().Add(e)))
		}
	}
	if u.Domain != nil {
		b.WriteString(*u.Domain)
	}
	if u.Path != nil {
		b.WriteString(*u.Path)
	} else {
		b.WriteString("; path=/")
	}
	for _, f := range []string{"secure", "httponly", "samesite=strict", "samesite=lax", "samesite=none"} {
		for _, g := range u.Flags {
			if f == g {
				b.WriteString("; " + f)
			}
		}
	}
	return b.String()
}

// cookieTime is nginx's cookie date: a two-digit year up to 2037 (for
// old browsers), four digits after.
func cookieTime(t time.Time) string {
	t = t.UTC()
	if t.Year() > 2037 {
		return t.Format("Mon, 02-Jan-2006 15:04:05 GMT")
	}
	return t.Format("Mon, 02-Jan-06 15:04:05 GMT")
}
