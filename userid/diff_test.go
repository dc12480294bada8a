package userid_test

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
	_ "goproxy/process" // the runtime, as linked in the binary
)

const conf = `events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:{{PORT0}};
        location /on/ {
            userid on;
            userid_p3p 'CP="CUR ADM"';
            userid_expires 1d;
            userid_domain example.com;
            userid_path /p;
            userid_flags secure samesite=lax httponly;
            return 200 "$uid_got|$uid_set\n";
        }
        location /v1/ { userid v1; userid_service 258; return 200 "$uid_got|$uid_set\n"; }
        location /max/ { userid v1; userid_expires max; userid_name Sess; return 200 "$uid_got|$uid_set\n"; }
        location /mark/ { userid on; userid_mark t; userid_service 7; return 200 "$uid_got|$uid_set\n"; }
        location /reset/ { userid on; set $uid_reset $arg_r; return 200 "$uid_got|$uid_set|$uid_reset\n"; }
        location /log/ { userid log; return 200 "$uid_got|$uid_set\n"; }
        location /off/ { return 200 "$uid_got|$uid_set\n"; }
    }
}
`

var (
	b64Re  = regexp.MustCompile(`=[A-Za-z0-9+/]{22}[A-Za-z0-9+/=]{2}`)
	dateRe = regexp.MustCompile(`expires=\w{3}, \d\d-\w{3}-\d\d \d\d:\d\d:\d\d GMT`)
	hexRe  = regexp.MustCompile(`=[0-9A-F]{32}`)
)

// shape hides what differs between two new uids.
func shape(s string) string {
	s = b64Re.ReplaceAllString(s, "=UID")
	s = hexRe.ReplaceAllString(s, "=HEX")
	if strings.Contains(s, "expires=Thu, 31-Dec-37") {
		return s
	}
	return dateRe.ReplaceAllString(s, "expires=DATE")
}

// words prints a cookie's uid as $uid_got does.
func words(cookie string) string {
	b, err := base64.StdEncoding.DecodeString(cookie[:22] + "==")
	if err != nil {
		return "bad cookie " + cookie
	}
	le := binary.LittleEndian
	return fmt.Sprintf("%08X%08X%08X%08X", le.Uint32(b), le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint32(b[12:]))
}

// mint asks both servers for a new uid at path and checks they make it
// alike: the same Set-Cookie and body but for the uid and the date, the
// uid in the body the one in the cookie, and the parts that do not
// depend on time or process (the address or service, the sequence's
// low byte) equal. It returns the two cookie values.
func mint(t *testing.T, p *nginxtest.Pair, path string, hdrs ...string) (ng, gp string) {
	t.Helper()
	n, g := p.Both(t, nginxtest.Get(path, hdrs...))
	var vals [2]string
	for i, r := range []*nginxtest.Response{n, g} {
		c := r.Header.Get("Set-Cookie")
		name, rest, _ := strings.Cut(c, "=")
		if len(rest) < 24 {
			t.Fatalf("%s %s: Set-Cookie %q", []string{"nginx", "goproxy"}[i], path, c)
		}
		vals[i] = rest[:24]
		body := string(r.Body)
		if !strings.Contains(body, "|"+name+"="+words(rest)) {
			t.Errorf("%s %s: body %q does not give the cookie's uid %s", []string{"nginx", "goproxy"}[i], path, body, words(rest))
		}
	}
	if a, b := shape(n.Header.Get("Set-Cookie")), shape(g.Header.Get("Set-Cookie")); a != b {
		t.Errorf("%s: Set-Cookie: nginx %q, goproxy %q", path, a, b)
	}
	if a, b := shape(string(n.Body)), shape(string(g.Body)); a != b {
		t.Errorf("%s: body: nginx %q, goproxy %q", path, a, b)
	}
	if n.Header.Get("P3P") != g.Header.Get("P3P") {
		t.Errorf("%s: P3P: nginx %q, goproxy %q", path, n.Header.Get("P3P"), g.Header.Get("P3P"))
	}
	wn, wg := words(vals[0]), words(vals[1])
	if wn[:8] != wg[:8] {
		t.Errorf("%s: first word: nginx %s, goproxy %s", path, wn, wg)
	}
	return vals[0], vals[1]
}

// TestUseridLikeNginx makes cookies in both servers and hands each
// server's to the other: $uid_got must read it as the maker's $uid_set,
// and a good cookie is not set again; it also compares the cookies made
// (v1 and on byte orders, the service, the address, expires, domain,
// path, flags, P3P, the mark), the marking of an unmarked cookie,
// $uid_reset, and the reading of broken cookies.
func TestUseridLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, conf, nginxtest.Options{})
	for _, path := range []string{"/on/", "/v1/", "/max/", "/mark/", "/reset/?r=1"} {
		ng, gp := mint(t, p, path)
		name := "uid"
		if path == "/max/" {
			name = "Sess"
		}
		// nginx's cookie to goproxy, goproxy's to nginx: read alike,
		// not set again.
		for _, c := range []string{ng, gp} {
			req := nginxtest.Get(strings.Split(path, "?")[0], "Cookie: a=b; "+name+"="+c)
			n, g := p.Compare(t, req)
			if want := name + "=" + words(c) + "|"; !strings.HasPrefix(string(n.Body), want) || !strings.HasPrefix(string(g.Body), want) {
				t.Errorf("%s with %s: nginx %q, goproxy %q, want %q…", path, c, n.Body, g.Body, want)
			}
		}
	}
	on, _ := mint(t, p, "/on/")
	marked, _ := mint(t, p, "/mark/")
	for _, req := range []string{
		// An unmarked cookie gets the mark; a marked one stays.
		nginxtest.Get("/mark/", "Cookie: uid="+on), nginxtest.Get("/mark/", "Cookie: uid="+marked),
		nginxtest.Get("/on/", "Cookie: uid="+marked), nginxtest.Get("/reset/?r=0", "Cookie: uid="+on),
		nginxtest.Get("/reset/", "Cookie: uid="+on), nginxtest.Get("/off/", "Cookie: uid="+on),
		nginxtest.Get("/log/"), nginxtest.Get("/log/", "Cookie: uid="+on), nginxtest.Get("/log/", "Cookie: UID="+on),
		nginxtest.Get("/log/", "Cookie: uid="+on[:21]), nginxtest.Get("/log/", "Cookie: uid="+on[:22]),
		nginxtest.Get("/log/", "Cookie: uid="+on[:22]+"garbage"), nginxtest.Get("/log/", "Cookie: uid=AAAA="+on[5:]),
		nginxtest.Get("/log/", "Cookie: uid=AAAAAAAAAAAAAAAAAAAAAAAA"), nginxtest.Get("/log/", "Cookie: uid=-"+on[1:]),
		nginxtest.Get("/log/", "Cookie: x=1", "Cookie: uid="+on),
	} {
		p.Compare(t, req)
	}
	mint(t, p, "/reset/?r=log", "Cookie: uid="+on)
	mint(t, p, "/on/", "Cookie: a=1; uid=short")
	for _, msg := range []string{
		`[notice]`, `userid cookie "uid=` + words(on) + `" was reset`,
		`[error]`, `client sent too short userid cookie "a=1; uid=short"`,
		`client sent invalid userid cookie "uid=-` + on[1:] + `"`,
	} {
		for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
			if !strings.Contains(s.ErrorLog(), msg) {
				t.Errorf("%s's error log lacks %q", s.Name, msg)
			}
		}
	}
}
