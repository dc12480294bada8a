package confparse_test

import (
	"strings"
	"testing"

	"goproxy/confparse"
)

// TestRegexEngineLimits: what RE2 cannot match as PCRE does is refused
// by name; what only looks like it (a quantifier after \p{..}, "+" in a
// class, a literal brace) compiles and matches.
func TestRegexEngineLimits(t *testing.T) {
	for _, c := range []struct{ src, refused, match string }{
		{`^(?P<name>www\p{N}+)\.example\.com$`, "", "www2.example.com"},
		{`^\p{L}{2,}+x`, "possessive", ""},
		{`^a{2}+`, "possessive", ""},
		{`^a++b`, "possessive", ""},
		{`^a*+b`, "possessive", ""},
		{`^a?+b`, "possessive", ""},
		{`^[*+]+$`, "", "*+*"},
		{`^[]+]+$`, "", "]+"},
		{`^a{x}+$`, "", "a{x}}"},
		{`^\Qa++\E$`, "", "a++"},
		{`^\x{41}+$`, "", "AA"},
		{`^(?:ab)+$`, "", "abab"},
		{`^(?i)+`, "", ""},
		{`^(a)\1`, "back-reference", ""},
		{`^(?!x)`, "look-ahead", ""},
		{`^(?<=x)`, "look-behind", ""},
		{`^(?>x)`, "atomic group", ""},
	} {
		re, err := confparse.CompileRegex(c.src, false)
		switch {
		case c.refused != "":
			if err == nil || !strings.Contains(err.Error(), c.refused) {
				t.Errorf("%s: err %v, want it refused as %s", c.src, err, c.refused)
			}
		case err != nil:
			t.Errorf("%s: %v", c.src, err)
		case c.match != "" && !re.Re.MatchString(c.match):
			t.Errorf("%s does not match %q", c.src, c.match)
		}
	}
}
