package main

// compare.go sets a run beside the reference (what nginx 1.22 passes)
// and beside the ratchet (what goproxy passed when the list was last
// recorded), and explains every subtest nginx passes that goproxy does
// not.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Reference is the suite's reference-nginx-1.22.json.
type Reference map[string]struct {
	Pass []int `json:"pass"`
	Plan int   `json:"plan"`
}

// Passing is the ratchet: subtests goproxy passes, by file.
type Passing map[string][]int

func readJSON(name string, v any) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(b, '\n'), 0o644)
}

// Missed is a reference subtest goproxy failed, with its explanation.
type Missed struct {
	Sub    int    `json:"sub"`
	Kind   string `json:"kind,omitempty"` // "" when unexplained
	Reason string `json:"reason,omitempty"`
}

// FileReport is one file compared.
type FileReport struct {
	*Result
	Reference int   `json:"reference"` // subtests nginx passes
	Passed    int   `json:"passed"`    // of those, goproxy passes
	Beyond    []int `json:"beyond,omitempty"`
	// NoReference: nginx 1.22 cannot run the file; its passes count
	// against its plan.
	NoReference bool     `json:"no_reference,omitempty"`
	Missed      []Missed `json:"missed,omitempty"`
	// Regressed lists ratchet subtests that failed in every run.
	Regressed []int `json:"regressed,omitempty"`
	// New lists passes the ratchet does not have yet.
	New []int `json:"new,omitempty"`
}

// Totals sums a run.
type Totals struct {
	Passed    int `json:"passed"`
	Reference int `json:"reference"`
	// InScope counts the reference subtests of modules goproxy has
	// (failures not explained as "missing"), and InScopePassed how many
	// of them pass.
	InScope       int `json:"in_scope"`
	InScopePassed int `json:"in_scope_passed"`
	Beyond        int `json:"beyond"`
	// Unreferenced counts passes in files nginx 1.22 cannot run (the
	// HTTP/2 files use nginx 1.25's "http2 on"), against their plans.
	Unreferenced     int `json:"unreferenced"`
	UnreferencedPlan int `json:"unreferenced_plan"`
	Unexplained      int `json:"unexplained"`
	Regressed        int `json:"regressed"`
	New              int `json:"new"`
	ByKind           map[string]int
}

// Report is the whole run, as written to the results file.
type Report struct {
	Commit  string        `json:"commit"`
	Binary  string        `json:"binary"`
	Suite   string        `json:"suite"`
	Seconds float64       `json:"seconds"`
	Totals  Totals        `json:"totals"`
	Files   []*FileReport `json:"files"`
}

func set(l []int) map[int]bool {
	m := make(map[int]bool, len(l))
	for _, n := range l {
		m[n] = true
	}
	return m
}

// Compare builds the report of results.
func Compare(results []*Result, ref Reference, ratchet Passing, ex Explanations) *Report {
	rep := &Report{Totals: Totals{ByKind: map[string]int{}}}
	for _, res := range results {
		fr := &FileReport{Result: res}
		pass := set(res.TAP.Pass)
		refEntry, hasRef := ref[res.File]
		refPass := refEntry.Pass
		refSet := set(refPass)
		fr.NoReference = !hasRef
		fr.Reference = len(refPass)
		for _, n := range refPass {
			if pass[n] {
				fr.Passed++
				continue
			}
			m := Missed{Sub: n}
			if r := ex.Explain(res.File, n); r != nil {
				m.Kind, m.Reason = r.Kind, r.Reason
			}
			fr.Missed = append(fr.Missed, m)
		}
		for _, n := range res.TAP.Pass {
			if hasRef && !refSet[n] {
				fr.Beyond = append(fr.Beyond, n)
			}
		}
		if old, ok := ratchet[res.File]; ok {
			for _, n := range old {
				if !pass[n] {
					fr.Regressed = append(fr.Regressed, n)
				}
			}
		}
		had := set(ratchet[res.File])
		for _, n := range res.TAP.Pass {
			if !had[n] {
				fr.New = append(fr.New, n)
			}
		}
		t := &rep.Totals
		if !hasRef {
			t.Unreferenced += len(res.TAP.Pass)
			if res.TAP.Plan > 2 {
				t.UnreferencedPlan += res.TAP.Plan - 2
			}
		}
		t.Passed += fr.Passed
		t.Reference += fr.Reference
		t.Beyond += len(fr.Beyond)
		t.Regressed += len(fr.Regressed)
		t.New += len(fr.New)
		inScope := fr.Reference
		for _, m := range fr.Missed {
			t.ByKind[kindOrUnexplained(m.Kind)]++
			if m.Kind == "" {
				t.Unexplained++
			}
			if m.Kind == "missing" {
				inScope--
			}
		}
		t.InScope += inScope
		t.InScopePassed += fr.Passed
		rep.Files = append(rep.Files, fr)
	}
	return rep
}

func kindOrUnexplained(k string) string {
	if k == "" {
		return "unexplained"
	}
	return k
}

// ranges prints 1,2,3,5 as "1-3,5".
func ranges(l []int) string {
	var b strings.Builder
	for i := 0; i < len(l); {
		j := i
		for j+1 < len(l) && l[j+1] == l[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(l[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(l[j]))
		}
		i = j + 1
	}
	return b.String()
}

// Print writes the human report: a line per file with what it misses,
// grouped by explanation, then the totals.
func (rep *Report) Print(w io.Writer, quiet bool) {
	for _, fr := range rep.Files {
		complete := len(fr.Missed) == 0 && len(fr.Regressed) == 0 &&
			(!fr.NoReference || len(fr.TAP.Pass) >= fr.TAP.Plan-2)
		if quiet && complete {
			continue
		}
		line := fmt.Sprintf("%-40s %4d/%-4d", fr.File, fr.Passed, fr.Reference)
		if fr.NoReference {
			line = fmt.Sprintf("%-40s %4d/%-4d of its plan (no nginx 1.22 reference)", fr.File, len(fr.TAP.Pass), max(fr.TAP.Plan-2, 0))
		}
		if fr.TAP.Skip != "" {
			line += "  skipped: " + fr.TAP.Skip
		}
		if fr.TimedOut {
			line += "  TIMED OUT"
		}
		if len(fr.Beyond) > 0 {
			line += "  beyond nginx: " + ranges(fr.Beyond)
		}
		fmt.Fprintln(w, line)
		groups := map[string][]int{}
		var order []string
		for _, m := range fr.Missed {
			k := kindOrUnexplained(m.Kind)
			if m.Reason != "" {
				k += ": " + m.Reason
			}
			if groups[k] == nil {
				order = append(order, k)
			}
			groups[k] = append(groups[k], m.Sub)
		}
		for _, k := range order {
			fmt.Fprintf(w, "    %s  %s\n", ranges(groups[k]), k)
		}
		if len(fr.Regressed) > 0 {
			fmt.Fprintf(w, "    REGRESSED (passed before): %s\n", ranges(fr.Regressed))
		}
	}
	t := rep.Totals
	kinds := make([]string, 0, len(t.ByKind))
	for k := range t.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var by []string
	for _, k := range kinds {
		by = append(by, fmt.Sprintf("%s %d", k, t.ByKind[k]))
	}
	fmt.Fprintf(w, "\nnot passed, by reason: %s\n", strings.Join(by, ", "))
	fmt.Fprintf(w, "modules goproxy has: %d/%d (%.1f%%)\n", t.InScopePassed, t.InScope, pct(t.InScopePassed, t.InScope))
	fmt.Fprintf(w, "passed where nginx 1.22 fails: %d\n", t.Beyond)
	if t.UnreferencedPlan > 0 {
		fmt.Fprintf(w, "files without a reference (HTTP/2, nginx 1.25 syntax): %d/%d of their plans\n", t.Unreferenced, t.UnreferencedPlan)
	}
	if t.New > 0 {
		fmt.Fprintf(w, "new passes not in the ratchet: %d (record them with scripts/nginx-tests -update)\n", t.New)
	}
	if t.Regressed > 0 {
		fmt.Fprintf(w, "REGRESSIONS: %d subtests that passed before fail now\n", t.Regressed)
	}
	fmt.Fprintf(w, "nginx-tests: %d/%d (%.1f%%) in %.0f s\n", t.Passed, t.Reference, pct(t.Passed, t.Reference), rep.Seconds)
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}
