package ssi

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"goproxy/confparse"
	"goproxy/httpcore"
)

func newState(out *bytes.Buffer) *state {
	vl, f := int64(255), false
	rq := &httpcore.Request{R: httptest.NewRequest("GET", "/dir/page.html?a=1", nil), URI: "/dir/page.html", Args: "a=1"}
	st := &state{rq: rq, conf: &confparse.SSILoc{ValueLength: &vl, SilentErrors: &f}, next: out,
		output: true, encoding: encEntity, timefmt: defaultTimefmt, errmsg: defaultErrmsg}
	rq.SSI = st
	return st
}

// TestParseAcrossWrites feeds a page whole and a byte at a time: text,
// commands, prefixes that turn out to be text ("<!-x", "<<!--#") and
// malformed commands must come out the same however the body is cut.
func TestParseAcrossWrites(t *testing.T) {
	page := `a<b<!c<!-d<!--e<<!--#set var="v" value="x\"y" -->[<!--#echo var="v" encoding="none" -->]` +
		`<!--# echo var='arg_a' -->|<!--#if expr="$arg_a = 1" -->T<!--#else -->F<!--#endif -->` +
		`<!--#echo var="v" bad -->|<!--#bogus-->|<!--#echo var="v"--->x-->|<!--` + "\n" + `end<!-`
	want := `a<b<!c<!-d<!--e<[x"y]1|T[an error occurred while processing the directive]|` +
		`[an error occurred while processing the directive]|[an error occurred while processing the directive]|<!--` + "\nend"
	var whole bytes.Buffer
	newState(&whole).Write([]byte(page))
	if whole.String() != want {
		t.Fatalf("whole:\n got %q\nwant %q", whole.String(), want)
	}
	for cut := 1; cut < len(page); cut++ {
		var out bytes.Buffer
		st := newState(&out)
		st.Write([]byte(page[:cut]))
		st.Write([]byte(page[cut:]))
		if out.String() != want {
			t.Fatalf("cut at %d:\n got %q\nwant %q", cut, out.String(), want)
		}
	}
	var bytewise bytes.Buffer
	st := newState(&bytewise)
	for i := 0; i < len(page); i++ {
		st.Write([]byte{page[i]})
	}
	if bytewise.String() != want {
		t.Fatalf("a byte at a time:\n got %q\nwant %q", bytewise.String(), want)
	}
}

// TestEvaluate checks the expansion of parameter values: escapes,
// ${name}, missing variables, a relative URI's directory, errors.
func TestEvaluate(t *testing.T) {
	var out bytes.Buffer
	st := newState(&out)
	st.main().vars["v"] = "V"
	for _, c := range []struct {
		in     string
		prefix bool
		want   string
		ok     bool
	}{
		{`a\"b\\c\d`, false, `a"b\c\d`, true},
		{`x${v}y$v.$nope!`, false, `xVyV.!`, true},
		{`$ARG_A`, false, `1`, true},
		{`part.html`, true, `/dir/part.html`, true},
		{`$v/x`, true, `/dir/V/x`, true},
		{`/abs`, true, `/abs`, true},
		{`a$`, false, ``, false},
		{`${v`, false, ``, false},
		{`$-`, false, ``, false},
	} {
		got, ok := st.evaluate([]byte(c.in), c.prefix)
		if got != c.want || ok != c.ok {
			t.Errorf("evaluate(%q, %v) = %q, %v; want %q, %v", c.in, c.prefix, got, ok, c.want, c.ok)
		}
	}
}

func TestParseUnsafeURI(t *testing.T) {
	for _, c := range []struct {
		in, path, args string
		ok             bool
	}{
		{"/a%62c?x=1", "/abc", "x=1", true},
		{"/a%3fb", "/a?b", "", true},
		{"/a/../b", "", "", false},
		{"/a/%2e%2e/b", "", "", false},
		{"?x", "", "", false},
		{"/a%00", "", "", false},
	} {
		p, a, ok := parseUnsafeURI(c.in)
		if ok != c.ok || ok && (p != c.path || a != c.args) {
			t.Errorf("parseUnsafeURI(%q) = %q, %q, %v", c.in, p, a, ok)
		}
	}
}
