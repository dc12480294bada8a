// Package docs holds goproxy's generated documentation; its test keeps
// the generated files true to the code.
package docs

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"goproxy/internal/golden"

	"goproxy/confparse"
)

// directivesDoc renders the directive registry: what goproxy supports,
// accepts as a no-op, and refuses.
func directivesDoc() string {
	var sup, noop, unsup []*confparse.Directive
	for _, d := range confparse.Directives() {
		switch d.Status {
		case confparse.Supported:
			sup = append(sup, d)
		case confparse.NoOp:
			noop = append(noop, d)
		default:
			unsup = append(unsup, d)
		}
	}
	var b strings.Builder
	b.WriteString("# Directives\n\n")
	b.WriteString("Generated from goproxy's directive registry (`confparse/mod_*.go`) by\n")
	b.WriteString("`go test ./docs -update`; a test fails when this file and the code disagree.\n\n")
	fmt.Fprintf(&b, "- %d supported: parsed, validated and honoured as nginx does.\n", len(sup))
	fmt.Fprintf(&b, "- %d no-ops: accepted and validated, with no effect in goproxy (why is given).\n", len(noop))
	fmt.Fprintf(&b, "- %d not supported: real nginx directives goproxy refuses with\n", len(unsup))
	b.WriteString("  `[emerg] \"name\" is not supported by goproxy in file:line` rather than ignore.\n\n")
	b.WriteString("## Supported\n\n| directive | contexts | module | note |\n|---|---|---|---|\n")
	for _, d := range sup {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", d.Name, d.Ctx, d.Module, d.Note)
	}
	b.WriteString("\n## No-ops\n\n| directive | contexts | why it does nothing here |\n|---|---|---|\n")
	for _, d := range noop {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", d.Name, d.Ctx, d.Note)
	}
	b.WriteString("\n## Not supported\n\n")
	byMod := map[string][]string{}
	for _, d := range unsup {
		name := "`" + d.Name + "`"
		if d.Note != "" {
			name += " (" + d.Note + ")"
		}
		byMod[d.Module] = append(byMod[d.Module], name)
	}
	mods := make([]string, 0, len(byMod))
	for m := range byMod {
		mods = append(mods, m)
	}
	sort.Strings(mods)
	for _, m := range mods {
		fmt.Fprintf(&b, "- %s: %s\n", m, strings.Join(byMod[m], ", "))
	}
	return b.String()
}

func TestDirectivesDoc(t *testing.T) {
	want := directivesDoc()
	if *golden.Update {
		if err := os.WriteFile("directives.md", []byte(want), 0644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile("directives.md")
	if err != nil || string(got) != want {
		t.Fatal("docs/directives.md is out of date: run go test ./docs -update")
	}
}

// TestNoOpsExplained makes every no-op say why it does nothing.
func TestNoOpsExplained(t *testing.T) {
	for _, d := range confparse.Directives() {
		if d.Status == confparse.NoOp && d.Note == "" {
			t.Errorf("no-op %q has no note", d.Name)
		}
	}
}
