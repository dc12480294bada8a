package confparse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGonginxBuildsSamples checks that for every sample configuration
// file gonginx's tree is the one used (it agrees with nginx's reading),
// and that where gonginx reads nginx's syntax differently the scanner's
// tree takes over.
func TestGonginxBuildsSamples(t *testing.T) {
	files, _ := filepath.Glob("../testdata/configs/*/*.conf")
	more, _ := filepath.Glob("../testdata/configs/*/*/*.conf")
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("only %d sample files found", len(files))
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc, serr := scanFile(text, false)
		if serr != nil {
			t.Errorf("%s: %s", f, serr.msg)
			continue
		}
		if gonginxTree(text, sc.tree) == nil {
			t.Errorf("%s: gonginx and nginx's reading disagree", f)
		}
	}
	// An escaped ";" outside quotes: one word for nginx, two statements
	// for gonginx. The scanner's reading must win.
	text := []byte("events {}\nhttp { add_header X a\\;b; }\n")
	sc, _ := scanFile(text, false)
	if gonginxTree(text, sc.tree) != nil {
		t.Fatal("gonginx's reading of a\\;b was accepted")
	}
	stmts, _ := parseText(text, "x.conf", false)
	if got := strings.Join(stmts[1].Block[0].Args, "|"); got != `X|a\;b` {
		t.Fatalf("add_header words = %q", got)
	}
}
