package router_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// regexCases are PCRE patterns, each in a location of its own server
// (Host: cN), with the URIs to try (percent-encoded; nginx matches the
// decoded bytes). vars are the named captures the answer shows.
var regexCases = []struct {
	mod, pattern, vars string
	uris               []string
}{
	{"~", `^/(?!index|remote|public|core\/ajax\/update|ocs\/v[12])`, "", []string{"/index.php", "/foo", "/ocs/v2", "/ocs/v3"}},
	{"~", `(?<=/a)b$`, "", []string{"/ab", "/cb"}},
	{"~", `^/x(?<!y)z`, "", []string{"/xz", "/yz"}},
	{"~", `^/(\w)\1$`, "", []string{"/aa", "/ab"}},
	{"~", `^/(?<q>x+)-\k<q>$`, "$q", []string{"/xx-xx", "/xx-x"}},
	{"~", `^/(?P<q>x+)-(?P=q)$`, "$q", []string{"/x-x", "/x-xx"}},
	{"~", `^/(?>a+)b`, "", []string{"/aab", "/b"}},
	{"~", `^/(?>a*)a`, "", []string{"/aaa"}},
	{"~", `^/a++b$`, "", []string{"/aab", "/b"}},
	{"~", `^/a*+a`, "", []string{"/aaa"}},
	{"~", `^/(a|ab)(c|bcd)(d*)$`, "", []string{"/abcd"}},
	{"~", `^/(a*)+$`, "", []string{"/b", "/aa", "/"}},
	{"~", `^/(a|b)*$`, "", []string{"/abab"}},
	{"~", `^/(?:(a)|b)+$`, "", []string{"/ab", "/ba"}},
	{"~", `^/(a)?(b)?$`, "", []string{"/b", "/a"}},
	{"~", `^/x$`, "", []string{"/x", "/x%0A", "/x%0A%0A"}},
	{"~", `^/x\Z`, "", []string{"/x", "/x%0A", "/x%0Ay"}},
	{"~", `^/x\z`, "", []string{"/x", "/x%0A"}},
	{"~", `(?m)^y$`, "", []string{"/x%0Ay", "/x%0Ay%0A"}},
	{"~", `^/.$`, "", []string{"/a", "/%C3%A9"}},
	{"~", `^/..$`, "", []string{"/a", "/%C3%A9"}},
	{"~", `^/(.+?)(.*)$`, "", []string{"/%C3%A9", "/ab"}},
	{"~", `^/[^a]$`, "", []string{"/b", "/%C3%A9"}},
	{"~", `^/\W\W$`, "", []string{"/%C3%A9", "/--"}},
	{"~", `^/\w+$`, "", []string{"/abc_1", "/%C3%A9"}},
	{"~", `^/\s$`, "", []string{"/%0B", "/%20", "/x"}},
	{"~", `^/[\s]$`, "", []string{"/%0B", "/%0C"}},
	{"~", `^/\S$`, "", []string{"/%0B", "/x"}},
	{"~", `^/\h$`, "", []string{"/%09", "/%A0", "/%0B"}},
	{"~", `^/\d+$`, "", []string{"/123", "/%D9%A3"}},
	{"~", `^/[[:alpha:]]+$`, "", []string{"/abc", "/a1", "/%C3%A9"}},
	{"~", `^/[[:^digit:]]$`, "", []string{"/a", "/1"}},
	{"~", `^/\x41\101\o{102}\x{43}$`, "", []string{"/AABC"}},
	{"~", `^/caf\xc3\xa9$`, "", []string{"/caf%C3%A9", "/cafe"}},
	{"~", `^/café+$`, "", []string{"/caf%C3%A9", "/caf%C3%A9%A9", "/caf%C3%A9%C3%A9"}},
	{"~", `^/[é]$`, "", []string{"/%C3", "/%C3%A9"}},
	{"~", `^/[\x80-\xff]+$`, "", []string{"/%C3%A9", "/a"}},
	{"~*", `^/ci/é$`, "", []string{"/ci/%C3%A9", "/ci/%C3%89", "/CI/%C3%A9"}},
	{"~*", `^/k$`, "", []string{"/K", "/%E2%84%AA"}},
	{"~*", `^/[a-z]+\.php$`, "", []string{"/INDEX.PHP", "/%C5%BF.php"}},
	{"~", `^/(?i)abc$`, "", []string{"/ABC", "/abC"}},
	{"~", `^/(?<year>\d{4})/(?P<m>\d\d)/(?'d'\d\d)$`, "$year $m $d", []string{"/2024/03/09", "/2024/3/09"}},
	{"~", `^/(?<a>x)(y)(?<c>z)`, "$a $c", []string{"/xyz"}},
	{"~", `^/(?<a>x)(y)(?<c>z)(?!q)`, "$a $c", []string{"/xyz", "/xyzq"}},
	{"~", `^/(?<a>.)(.)(?<c>\xa9)(?!q)`, "$a $c", []string{"/%C3%A9%A9", "/x%C3%A9"}},
	{"~", `^/\Qa.b\E$`, "", []string{"/a.b", "/axb"}},
	{"~", `^/(a{2,3}?)`, "", []string{"/aaaa"}},
	{"~", `^/a{,2}$`, "", []string{"/a{,2}", "/aa"}},
	{"~", `^/(?#note)x$`, "", []string{"/x"}},
	{"~", `^/(?x) a b # comment`, "", []string{"/ab", "/a%20b"}},
	{"~", `\Bb`, "", []string{"/ab", "/b", "/%C3%A9b"}},
	{"~", `^/\R$`, "", []string{"/%0D%0A", "/%0A", "/%0B"}},
	{"~", `^/((?U)a+)(.*)`, "", []string{"/aaa"}},
	{"~", `^/(a+?)(a*?)$`, "", []string{"/aaa"}},
	{"~", `^/(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\10$`, "", []string{"/abcdefghijj", "/abcdefghija0"}},
}

// TestRegexDifferential runs each pattern on each URI in nginx and in
// goproxy: the same location must be chosen with the same captures.
func TestRegexDifferential(t *testing.T) {
	var conf strings.Builder
	conf.WriteString("events {}\nhttp {\n  server { listen 127.0.0.1:{{PORT}}; return 200 \"default\\n\"; }\n")
	for i, c := range regexCases {
		fmt.Fprintf(&conf, "  server {\n    listen 127.0.0.1:{{PORT}};\n    server_name c%d;\n"+
			"    location %s \"%s\" { return 200 \"match [$1] [$2] [$3] [$10] %s\\n\"; }\n"+
			"    location / { return 200 \"none\\n\"; }\n  }\n", i, c.mod, c.pattern, c.vars)
	}
	conf.WriteString("}\n")
	p := nginxtest.Start(t, conf.String(), nginxtest.Options{})
	for i, c := range regexCases {
		for _, u := range c.uris {
			ng, _ := p.Compare(t, "GET "+u+" HTTP/1.1\r\nHost: c"+fmt.Sprint(i)+"\r\nConnection: close\r\n\r\n")
			if testing.Verbose() {
				t.Logf("%s %q on %s: %s", c.mod, c.pattern, u, ng.Body)
			}
		}
	}
}

// TestRegexMatchLimitDiff: "(a+)+$" on "aaa…b" backtracks without end
// in PCRE. Where a look-ahead puts it on the backtracking engine, both
// servers stop at the match limit, log PCRE's error at alert and answer
// 500 (a location, a rewrite, an if); another request is answered
// meanwhile. On RE2 (no look-ahead) goproxy finds there is no match in
// linear time, where nginx gives up with a 500.
func TestRegexMatchLimitDiff(t *testing.T) {
	p := nginxtest.Start(t, `events {}
http {
  server {
    listen 127.0.0.1:{{PORT}};
    location ~ ^/l/(?=a)(a+)+$ { return 200 "location\n"; }
    location ~ ^/re2/(a+)+$ { return 200 "re2\n"; }
    location /r/ { rewrite ^/r/(?=a)(a+)+$ /x; return 200 "rewrite\n"; }
    location /i/ { if ($uri ~ ^/i/(?=a)(a+)+$) { return 200 "if\n"; } return 200 "no\n"; }
    location / { return 200 "fast\n"; }
  }
}
`, nginxtest.Options{})
	long := strings.Repeat("a", 32) + "b"
	for _, u := range []string{"/l/", "/r/", "/i/"} {
		ng, _ := p.Compare(t, nginxtest.Get(u+long))
		if ng.Status != 500 {
			t.Errorf("nginx answered %s%s with %d", u, long, ng.Status)
		}
	}
	want := `pcre2_match() failed: -47 on "/l/` + long + `" using "^/l/(?=a)(a+)+$"`
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		if !logged(s.ErrorLog(), "[alert]", want) {
			t.Errorf("%s's error log lacks %q at alert:\n%s", s.Name, want, s.ErrorLog())
		}
	}
	start := time.Now()
	if r := nginxtest.Do(t, p.Go.Addr(), nginxtest.Get("/re2/"+strings.Repeat("a", 5000)+"b")); r.Status != 200 || string(r.Body) != "fast\n" {
		t.Errorf("RE2 answered %d %q after %v", r.Status, r.Body, time.Since(start))
	}
	// A request while another is backtracking is answered at once.
	c, err := net.Dial("tcp", p.Go.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(nginxtest.Get("/l/" + strings.Repeat("a", 64) + "b")))
	start = time.Now()
	if r := nginxtest.Do(t, p.Go.Addr(), nginxtest.Get("/fast")); r.Status != 200 || time.Since(start) > 2*time.Second {
		t.Errorf("the concurrent request got %d after %v", r.Status, time.Since(start))
	}
}

// logged says whether a line of log has both level and msg.
func logged(log, level, msg string) bool {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, level) && strings.Contains(l, msg) {
			return true
		}
	}
	return false
}
