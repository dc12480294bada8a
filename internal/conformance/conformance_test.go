package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	_ "goproxy/internal/golden" // accepts go test ./... -update
)

func TestParseTAP(t *testing.T) {
	out := `1..7
ok 1 - first
not ok 2 - second
#   Failed test 'second'
ok 3 - third # skip no foo
not ok 4 - fourth # TODO not yet
ok 5 - fifth
ok 6 - no alerts
ok 7 - no sanitizer errors
`
	got := ParseTAP(strings.NewReader(out))
	want := TAP{Plan: 7, Pass: []int{1, 5}, Fail: []int{2}, Todo: []int{3, 4}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	skip := ParseTAP(strings.NewReader("1..0 # SKIP no fastcgi available\n"))
	if skip.Skip != "no fastcgi available" || len(skip.Pass) != 0 {
		t.Fatalf("skip: %+v", skip)
	}
	// A file whose last subtests are its own keeps them.
	own := ParseTAP(strings.NewReader("1..3\nok 1\nok 2 - a\nok 3 - b\n"))
	if !reflect.DeepEqual(own.Pass, []int{1, 2, 3}) {
		t.Fatalf("own: %+v", own)
	}
}

func TestExplanationsAndCompare(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "explain.txt")
	os.WriteFile(name, []byte(`# comment
a.t:2,4-5  bug     parser difference
fastcgi*.t missing ngx_http_fastcgi_module (issue 14)
`), 0o644)
	ex, err := LoadExplanations(name)
	if err != nil {
		t.Fatal(err)
	}
	if r := ex.Explain("a.t", 4); r == nil || r.Kind != "bug" || r.Reason != "parser difference" {
		t.Fatalf("a.t:4 = %+v", r)
	}
	if r := ex.Explain("a.t", 3); r != nil {
		t.Fatalf("a.t:3 = %+v", r)
	}
	if r := ex.Explain("fastcgi_body.t", 9); r == nil || r.Kind != "missing" {
		t.Fatalf("fastcgi = %+v", r)
	}
	os.WriteFile(name, []byte("a.t wrongkind reason\n"), 0o644)
	if _, err := LoadExplanations(name); err == nil {
		t.Fatal("a bad kind was accepted")
	}

	ref := Reference{}
	ref["a.t"] = struct {
		Pass []int `json:"pass"`
		Plan int   `json:"plan"`
	}{Pass: []int{1, 2, 3, 4}, Plan: 7}
	res := []*Result{{File: "a.t", TAP: TAP{Plan: 7, Pass: []int{1, 3, 5}}}}
	rep := Compare(res, ref, Passing{"a.t": {1, 2}}, Explanations{{Glob: "a.t", Sub: map[int]bool{2: true}, Kind: "bug", Reason: "r"}})
	fr := rep.Files[0]
	if fr.Passed != 2 || fr.Reference != 4 {
		t.Fatalf("passed %d/%d", fr.Passed, fr.Reference)
	}
	if !reflect.DeepEqual(fr.Regressed, []int{2}) || !reflect.DeepEqual(fr.Beyond, []int{5}) ||
		!reflect.DeepEqual(fr.New, []int{3, 5}) {
		t.Fatalf("report %+v", fr)
	}
	if rep.Totals.Unexplained != 1 || rep.Totals.ByKind["bug"] != 1 {
		t.Fatalf("totals %+v", rep.Totals)
	}
	if got := ranges([]int{1, 2, 3, 5, 7, 8}); got != "1-3,5,7-8" {
		t.Fatalf("ranges %q", got)
	}
}
