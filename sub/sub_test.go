package sub

import (
	"bytes"
	"testing"

	"goproxy/confparse"
	"goproxy/httpcore"
)

func lit(s string) *confparse.Template {
	return &confparse.Template{Raw: s, Parts: []confparse.Part{{Lit: s}}}
}

// TestReplacerSplits feeds bodies in every split into two writes: a
// match cut between writes is found as in one write, and only the start
// of a possible match is held back.
func TestReplacerSplits(t *testing.T) {
	for _, c := range []struct {
		pairs    []string // match, value, ...
		once     bool
		in, want string
	}{
		{[]string{"za", "ZA"}, true, "xyzazab", "xyZAzab"},
		{[]string{"abc", "2", "ab", "1", "b", "3"}, false, "abcabxabAB", "21x1AB"},
		{[]string{"ab", "1", "abc", "2", "b", "3"}, false, "abcabxab", "1c1x1"},
		{[]string{"aabc", "2", "ab", "1"}, false, "xaabxab", "xa1x1"},
		{[]string{"aabc", "2", "ab", "1"}, false, "xaab", "xaab"},
		{[]string{"ab", "1", "b", "2"}, true, "abbab", "12ab"},
		{[]string{"foo", "bar"}, false, "FoO fOo", "bar bar"},
	} {
		for cut := 0; cut <= len(c.in); cut++ {
			var out bytes.Buffer
			r := &replacer{rq: &httpcore.Request{}, next: &out, once: c.once}
			for i := 0; i < len(c.pairs); i += 2 {
				r.pats = append(r.pats, pattern{match: []byte(c.pairs[i]), value: lit(c.pairs[i+1])})
			}
			r.Write([]byte(c.in[:cut]))
			held := len(r.pending)
			r.Write([]byte(c.in[cut:]))
			r.Close()
			if out.String() != c.want {
				t.Errorf("%q cut at %d: got %q, want %q", c.in, cut, out.String(), c.want)
			}
			if held > maxLen(r.pats)-1 {
				t.Errorf("%q cut at %d: held back %d bytes", c.in, cut, held)
			}
		}
	}
}

func maxLen(ps []pattern) int {
	n := 0
	for _, p := range ps {
		n = max(n, len(p.match))
	}
	return n
}
