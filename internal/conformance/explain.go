package main

// explain.go reads the committed reasons for the subtests nginx passes
// and goproxy does not, so that every remaining failure in the runner's
// output says why: a module that is not built yet (and the issue that
// brings it), a deliberate difference, or a known bug left with a reason.
//
// The file has one rule a line:
//
//	GLOB[:SUBTESTS]  KIND  REASON
//
// GLOB matches file names (path.Match), SUBTESTS is "3,5-7" (all of the
// file's failures when absent), KIND is one of the kinds below. The first
// rule that matches a failing subtest explains it; rules naming subtests
// should come before the file-wide ones. "#" starts a comment line.

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
)

// Kinds of explanation.
var kinds = map[string]bool{
	"missing": true, // a module or feature goproxy does not have yet
	"differs": true, // a deliberate difference from nginx
	"bug":     true, // a known defect, left with a reason
	"env":     true, // this machine cannot run it (no IPv6, old OpenSSL...)
}

// Rule is one line of the explanations file.
type Rule struct {
	Glob   string
	Sub    map[int]bool // nil: every subtest
	Kind   string
	Reason string
	Line   int
}

// Explanations is the parsed file.
type Explanations []Rule

// LoadExplanations reads the file; a missing file explains nothing.
func LoadExplanations(name string) (Explanations, error) {
	f, err := os.Open(name)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ex Explanations
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 || !kinds[fields[1]] {
			return nil, fmt.Errorf("%s:%d: want \"GLOB[:SUBTESTS] KIND REASON\" with KIND one of missing, differs, bug, env", name, n)
		}
		r := Rule{Kind: fields[1], Line: n}
		r.Reason = strings.TrimSpace(strings.SplitN(line, fields[1], 2)[1])
		glob, subs, hasSubs := strings.Cut(fields[0], ":")
		if _, err := path.Match(glob, ""); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		r.Glob = glob
		if hasSubs {
			set, err := parseRanges(subs)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", name, n, err)
			}
			r.Sub = set
		}
		ex = append(ex, r)
	}
	return ex, sc.Err()
}

// parseRanges reads "3,5-7".
func parseRanges(s string) (map[int]bool, error) {
	set := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("bad subtest list %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("bad subtest list %q", s)
			}
		}
		for i := a; i <= b; i++ {
			set[i] = true
		}
	}
	return set, nil
}

// Explain returns the rule for a failing subtest of file, or nil.
func (ex Explanations) Explain(file string, sub int) *Rule {
	for i := range ex {
		r := &ex[i]
		if ok, _ := path.Match(r.Glob, file); !ok {
			continue
		}
		if r.Sub == nil || r.Sub[sub] {
			return r
		}
	}
	return nil
}
