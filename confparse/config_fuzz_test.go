package confparse

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzConfig reads any text as a configuration file. The scanner's tree,
// written out again word by word (quoted, on the same lines), scans to
// the same tree; loading either text gives the same verdict and the same
// model; an error is a Diag at a line of the file. Seeds:
// testdata/fuzz/FuzzConfig (the sample configurations and nginx's
// syntax edge cases). Text that includes other files is only scanned,
// and names are not resolved (the fuzzer would reach the network).
func FuzzConfig(f *testing.F) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text []byte) {
		text = text[:min(len(text), 32<<10)]
		sc, serr := scanFile(text, false)
		if serr != nil {
			if serr.line < 1 || serr.line > bytes.Count(text, []byte("\n"))+1 {
				t.Fatalf("syntax error %q at line %d of %d", serr.msg, serr.line, bytes.Count(text, []byte("\n"))+1)
			}
			return
		}
		again := writeTree(sc.tree)
		sc2, serr := scanFile(again, false)
		if serr != nil || !sameTree(sc.tree, sc2.tree) {
			t.Fatalf("written out again:\n%s\nscans as %v (%v)", again, sc2.tree, serr)
		}
		if includes(sc.tree) {
			return
		}
		defer noLookups()()
		d1, e1 := load(t, dir, text)
		d2, e2 := load(t, dir, again)
		if (e1 == nil) != (e2 == nil) || e1 != nil && e1.Error() != e2.Error() || !bytes.Equal(d1, d2) {
			t.Fatalf("the same tree loads differently:\n%v\n%v\n%s\n%s", e1, e2, d1, d2)
		}
		var d *Diag
		if e1 != nil && (!errors.As(e1, &d) || d.Msg == "" || d.Line > bytes.Count(text, []byte("\n"))+1) {
			t.Fatalf("error %#v", e1)
		}
	})
}

// load loads text as dir/nginx.conf and returns the model's dump.
func load(t *testing.T, dir string, text []byte) ([]byte, error) {
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, text, 0644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(Options{Path: path, Prefix: dir + "/"})
	if err != nil {
		return nil, err
	}
	cfg.Files = nil // the text itself differs
	b, err := cfg.Dump()
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	return b, nil
}

// noLookups makes name lookups fail at once (hosts in listen,
// set_real_ip_from, upstream servers), and returns the undo.
func noLookups() func() {
	old := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no lookups while fuzzing")
	}}
	return func() { net.DefaultResolver = old }
}

func includes(stmts []*Stmt) bool {
	for _, s := range stmts {
		if s.Name == "include" || includes(s.Block) {
			return true
		}
	}
	return false
}

// writeTree writes statements so that nginx's tokenizer reads them back
// as they are: every word double-quoted with its specials escaped, each
// ";", "{" and "}" on the statement's own line.
func writeTree(stmts []*Stmt) []byte {
	var b bytes.Buffer
	line := 1
	to := func(n int) {
		for ; line < n; line++ {
			b.WriteByte('\n')
		}
	}
	var walk func([]*Stmt)
	walk = func(stmts []*Stmt) {
		for _, s := range stmts {
			for _, w := range append([]string{s.Name}, s.Args...) {
				b.WriteString(quoteWord(w) + " ")
			}
			to(s.Line)
			if !s.IsBlock {
				b.WriteString(";")
				continue
			}
			b.WriteString("{")
			walk(s.Block)
			to(s.EndLine)
			b.WriteString("}")
		}
	}
	walk(stmts)
	return b.Bytes()
}

var wordEscapes = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\t", `\t`, "\r", `\r`, "\n", `\n`)

func quoteWord(w string) string { return `"` + wordEscapes.Replace(w) + `"` }

func sameTree(a, b []*Stmt) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Name != y.Name || !reflect.DeepEqual(x.Args, y.Args) && len(x.Args)+len(y.Args) > 0 ||
			x.Line != y.Line || x.IsBlock != y.IsBlock || x.EndLine != y.EndLine || !sameTree(x.Block, y.Block) {
			return false
		}
	}
	return true
}
