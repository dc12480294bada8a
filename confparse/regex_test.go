package confparse_test

import (
	"strings"
	"testing"
	"time"

	"goproxy/confparse"
)

// TestRegexEngines: what RE2 reads as PCRE does runs on RE2; look-around,
// back-references, atomic groups and possessive quantifiers run on the
// backtracking engine; a brace, "+" in a class or a quantified \p{..} are
// not mistaken for PCRE-only syntax.
func TestRegexEngines(t *testing.T) {
	for _, c := range []struct{ src, engine, match, nomatch string }{
		{`^(?P<name>www\p{N}+)\.example\.com$`, "RE2;", "www2.example.com", "www.example.com"},
		{`^\p{L}{2,}+x`, "backtracking (a possessive quantifier)", "", "abx"},
		{`^a{2}+`, "backtracking (a possessive quantifier)", "aa", "a"},
		{`^a++b`, "backtracking (a possessive quantifier)", "aab", "b"},
		{`^a*+a`, "backtracking (a possessive quantifier)", "", "aaa"},
		{`^a?+b`, "backtracking (a possessive quantifier)", "ab", "aab"},
		{`^[*+]+$`, "RE2;", "*+*", "a"},
		{`^[]+]+$`, "RE2;", "]+", "a"},
		{`^a{x}+$`, "RE2;", "a{x}}", "a{x"},
		{`^\Qa++\E$`, "RE2;", "a++", "aa"},
		{`^\x{41}+$`, "RE2;", "AA", "B"},
		{`^(?:ab)+`, "RE2", "abab", "ba"},
		{`^/(?i)[a-j]+\.PHP\b`, "RE2", "/ABc.php", "/abk.php"},
		{`^/(?i)k`, "RE2; backtracking for non-ASCII", "/K", "/\u212a"},
		{`^(a)\1`, "backtracking (a back-reference)", "aa", "ab"},
		{`^(?<q>['"]).*\k<q>$`, "backtracking (a back-reference)", `"x"`, `"x'`},
		{`^/(?!index|remote)`, "backtracking (a look-ahead)", "/x", "/index"},
		{`(?<=/a)b`, "backtracking (a look-behind)", "/ab", "/cb"},
		{`^(?>a+)a`, "backtracking (an atomic group)", "", "aaa"},
		{`^\w+\s\d$`, "RE2; backtracking for subjects ending", "ab\v1", "é 1"},
		{`^/.$`, "RE2; backtracking for non-ASCII subjects and", "/\xff", "/é"},
		{`\.php`, "RE2", "/a.php", "/aphp"},
		{`^/(a*)+$`, "backtracking (a repeated group that can capture nothing)", "/aa", "/b"},
		{`^/a{1,2000}$`, "backtracking (what RE2 refuses)", "/aaa", "/b"},
	} {
		re, err := confparse.CompileRegex(c.src, false)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if e := re.Engine(); !strings.HasPrefix(e, c.engine) || c.engine == "RE2" && e != "RE2" {
			t.Errorf("%s: engine %q, want %q", c.src, re.Engine(), c.engine)
		}
		if ok, err := re.Match(c.match); c.match != "" && (!ok || err != nil) {
			t.Errorf("%s does not match %q (%v)", c.src, c.match, err)
		}
		if ok, _ := re.Match(c.nomatch); ok {
			t.Errorf("%s matches %q", c.src, c.nomatch)
		}
	}
}

// TestRegexMatchLimit: a pattern that backtracks exponentially stops at
// the match limit with PCRE's error, instead of stalling.
func TestRegexMatchLimit(t *testing.T) {
	re, err := confparse.CompileRegex(`^(?!x)(a+)+$`, false)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	m, err := re.FindIndex(strings.Repeat("a", 40) + "b")
	if m != nil || err == nil || !strings.Contains(err.Error(), "pcre2_match() failed: -47 on") {
		t.Fatalf("match %v, err %v", m, err)
	}
	if d := time.Since(start); d > 30*confparse.MatchLimit {
		t.Errorf("the match ran %v", d)
	}
}
