package conffmt

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"goproxy/confparse"
)

// FuzzFormat: whatever parses is formatted to the same words and
// comments (Format checks that itself), and formatting again changes
// nothing.
func FuzzFormat(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/configs/*/nginx.conf")
	more, _ := filepath.Glob("../testdata/broken/*.conf")
	for _, p := range append(append(seeds, more...), "testdata/messy.conf") {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if _, err := confparse.Lex(text, "f"); err != nil || bytes.Contains(text, []byte(markByte)) {
			return
		}
		out, err := Format(text, "f")
		if err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		again, err := Format(out, "f")
		if err != nil {
			t.Fatalf("formatted text refused: %v\n%s", err, out)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%s\n---\n%s", out, again)
		}
	})
}
