package main

// tap.go reads the TAP a .t file prints (Test::More's output): which
// subtests passed, which were skipped or marked TODO, and whether the
// whole file skipped itself ("1..0 # SKIP reason").

import (
	"bufio"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// TAP is what one run of a .t file reported.
type TAP struct {
	Plan int    `json:"plan"`
	Skip string `json:"skip,omitempty"` // why the whole file skipped
	// Pass lists the subtests that passed (not skipped, not TODO).
	Pass []int `json:"pass"`
	// Fail lists "not ok" subtests that are not TODO.
	Fail []int `json:"fail,omitempty"`
	// Todo lists subtests marked TODO or skipped (neither counts).
	Todo []int `json:"todo,omitempty"`
}

var (
	reResult = regexp.MustCompile(`^(not ok|ok) (\d+)\b(.*)$`)
	rePlan   = regexp.MustCompile(`^1\.\.(\d+)(?:\s*#\s*(?i:skip)\S*\s*(.*))?$`)
	reMarker = regexp.MustCompile(`(?i)#\s*(skip|todo)\b`)
)

// ParseTAP reads TAP from r. The last two subtests of a file that ran
// ("no alerts", "no sanitizer errors", which Test::Nginx adds to every
// plan) are left out, as the reference leaves them out: they pass even
// when the server never started.
func ParseTAP(r io.Reader) TAP {
	var t TAP
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	names := map[int]string{}
	for sc.Scan() {
		line := sc.Text()
		if m := rePlan.FindStringSubmatch(line); m != nil {
			t.Plan, _ = strconv.Atoi(m[1])
			if t.Plan == 0 {
				t.Skip = strings.TrimSpace(m[2])
				if t.Skip == "" {
					t.Skip = "skipped"
				}
			}
			continue
		}
		m := reResult.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		names[n] = m[3]
		switch {
		case reMarker.MatchString(m[3]):
			t.Todo = append(t.Todo, n)
		case m[1] == "ok":
			t.Pass = append(t.Pass, n)
		default:
			t.Fail = append(t.Fail, n)
		}
	}
	if t.Plan >= 2 {
		// Test::Nginx's plan is the file's own plus its two final checks.
		own := t.Plan - 2
		drop := func(l []int) []int {
			out := l[:0]
			for _, n := range l {
				if n <= own || !finalCheck(names[n]) {
					out = append(out, n)
				}
			}
			return out
		}
		t.Pass, t.Fail, t.Todo = drop(t.Pass), drop(t.Fail), drop(t.Todo)
	}
	for _, l := range [][]int{t.Pass, t.Fail, t.Todo} {
		sort.Ints(l)
	}
	if t.Pass == nil {
		t.Pass = []int{}
	}
	return t
}

// finalCheck says whether a subtest's description is one of the checks
// Test::Nginx runs on the error log when a file ends.
func finalCheck(desc string) bool {
	d := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(desc), "-"))
	return strings.HasPrefix(d, "no alerts") || strings.HasPrefix(d, "no sanitizer errors")
}
