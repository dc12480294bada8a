package conffmt

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"goproxy/confparse"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// formatFile formats one file as a main configuration: the model guard,
// then idempotence and the comments.
func formatFile(t *testing.T, path string) []File {
	t.Helper()
	files, err := Config(confparse.Options{Path: path})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, f := range files {
		again, err := Format(f.New, f.Path)
		if err != nil {
			t.Fatalf("%s: formatted text: %v", f.Path, err)
		}
		if !bytes.Equal(again, f.New) {
			t.Errorf("%s: formatting is not idempotent:\n%s", f.Path, diff(f.New, again))
		}
		for _, c := range comments(t, f.Old, f.Path) {
			if !bytes.Contains(f.New, []byte(c)) {
				t.Errorf("%s: comment lost: %q", f.Path, c)
			}
		}
	}
	return files
}

func comments(t *testing.T, text []byte, file string) []string {
	lex, err := confparse.Lex(text, file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range lex {
		if l.Kind == confparse.LexComment {
			out = append(out, commentText(l.Text))
		}
	}
	return out
}

// diff shows the first differing line.
func diff(a, b []byte) string {
	x, y := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range max(len(x), len(y)) {
		var l, r string
		if i < len(x) {
			l = x[i]
		}
		if i < len(y) {
			r = y[i]
		}
		if l != r {
			return "  was: " + l + "\n  now: " + r
		}
	}
	return ""
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSamples formats every sample configuration with its includes.
func TestSamples(t *testing.T) {
	mains, _ := filepath.Glob("../testdata/configs/*/nginx.conf")
	mains = append(mains, "../examples/quickstart/nginx.conf")
	if len(mains) < 10 {
		t.Fatalf("only %d samples", len(mains))
	}
	for _, m := range mains {
		t.Run(filepath.Base(filepath.Dir(m)), func(t *testing.T) {
			formatFile(t, abs(t, m))
		})
	}
}

// TestFragments formats the shipped files that are included rather than
// loaded, through a main file that includes them where nginx would.
func TestFragments(t *testing.T) {
	for _, c := range []struct{ file, ctx string }{
		{"../conf/conf.d/default.conf", "http"},
		{"../conf/mime.types", "http"},
		{"../examples/compose/config/nginx/django_app.conf", "http"},
		{"../examples/compose/config/nginx-https/django_app.conf", "http"},
	} {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			main := filepath.Join(t.TempDir(), "nginx.conf")
			text := "events {}\n" + c.ctx + " {\n    include " + abs(t, c.file) + ";\n}\n"
			if err := os.WriteFile(main, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			if files := formatFile(t, main); len(files) != 2 {
				t.Fatalf("%d files formatted, want 2", len(files))
			}
		})
	}
	// The shipped main file includes /etc/nginx/mime.types and
	// conf.d/*.conf, as the image lays them out.
	if _, err := os.Stat("/etc/nginx/mime.types"); err == nil {
		formatFile(t, abs(t, "../conf/nginx.conf"))
	}
}

// TestBroken: a file nginx refuses is refused, with the error a load
// gives (nginx's wording and position).
func TestBroken(t *testing.T) {
	confs, _ := filepath.Glob("../testdata/broken/*.conf")
	if len(confs) < 30 {
		t.Fatalf("only %d broken files", len(confs))
	}
	for _, c := range confs {
		o := confparse.Options{Path: abs(t, c)}
		_, want := confparse.Load(o)
		files, err := Config(o)
		switch {
		case err == nil:
			t.Errorf("%s: formatted %d files, want a refusal", c, len(files))
		case want == nil:
			t.Errorf("%s: refused (%v), but it loads", c, err)
		case err.Error() != want.Error():
			t.Errorf("%s: refused with %q, want %q", c, err, want)
		}
	}
}

// TestGolden compares the formatting of two files with golden output
// (go test ./conffmt -update rewrites them).
func TestGolden(t *testing.T) {
	for _, c := range []struct{ in, golden string }{
		{"testdata/messy.conf", "testdata/messy.golden"},
		{"../testdata/configs/debian-default/nginx.conf", "testdata/debian-default.golden"},
	} {
		files := formatFile(t, abs(t, c.in))
		got := files[0].New
		if *update {
			if err := os.WriteFile(c.golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(c.golden)
		if err != nil {
			t.Fatalf("%v (go test ./conffmt -update creates it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s:\n%s", c.in, c.golden, diff(want, got))
		}
	}
}
