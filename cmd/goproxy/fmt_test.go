package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fmtTree writes a configuration with an include through a glob and a
// symbolic link, laid out untidily.
func fmtTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "available"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte("events {}\nhttp {\n# sites\ninclude conf.d/*.conf;\n}\n"), 0o640))
	must(os.WriteFile(filepath.Join(dir, "available", "site.conf"), []byte("server {listen 127.0.0.1:8080; location / {return 200 ok;}}\n"), 0o600))
	must(os.Symlink("../available/site.conf", filepath.Join(dir, "conf.d", "site.conf")))
	return dir
}

const (
	fmtMainWant = "events {}\nhttp {\n    # sites\n    include conf.d/*.conf;\n}\n"
	fmtSiteWant = "server {\n    listen 127.0.0.1:8080;\n    location / {\n        return 200 ok;\n    }\n}\n"
)

func TestFmtCommand(t *testing.T) {
	dir := fmtTree(t)
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := read("available/site.conf")

	// Without -w: the named file's text on stdout, nothing written.
	r := runProg(t, dir, bin, "fmt", "nginx.conf")
	if r.code != 0 || r.stdout != fmtMainWant || r.stderr != "" {
		t.Fatalf("fmt: %+v", r)
	}
	// --check: the files that would change, exit 1.
	r = runProg(t, dir, bin, "fmt", "--check", "nginx.conf")
	if r.code != 1 || r.stdout != "nginx.conf\nconf.d/site.conf\n" {
		t.Fatalf("fmt --check: %+v", r)
	}
	if read("available/site.conf") != before {
		t.Fatal("fmt without -w wrote a file")
	}
	// -w: both rewritten, modes kept, the link still a link.
	r = runProg(t, dir, bin, "fmt", "-w", "nginx.conf")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("fmt -w: %+v", r)
	}
	if read("nginx.conf") != fmtMainWant || read("available/site.conf") != fmtSiteWant {
		t.Fatalf("fmt -w wrote:\n%s\n%s", read("nginx.conf"), read("available/site.conf"))
	}
	for p, mode := range map[string]os.FileMode{"nginx.conf": 0o640, "available/site.conf": 0o600} {
		if st, _ := os.Stat(filepath.Join(dir, p)); st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", p, st.Mode().Perm(), mode)
		}
	}
	if st, _ := os.Lstat(filepath.Join(dir, "conf.d", "site.conf")); st.Mode()&os.ModeSymlink == 0 {
		t.Error("the symbolic link was replaced by a file")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*", ".*fmt-*")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
	// Formatted: --check is quiet and succeeds.
	r = runProg(t, dir, bin, "fmt", "--check", "nginx.conf")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("fmt --check after -w: %+v", r)
	}
}

// TestFmtRefuses: a file with a syntax error is refused with nginx's
// wording and position, and no file is written, included ones neither.
func TestFmtRefuses(t *testing.T) {
	dir := fmtTree(t)
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("events {}\nhttp {\n  server { }}\n}\n"), 0o644)
	r := runProg(t, dir, bin, "fmt", "-w", "nginx.conf", "bad.conf")
	want := `goproxy fmt: [emerg] unexpected "}" in ` + bad + ":4\n"
	if r.code != 1 || r.stderr != want {
		t.Fatalf("got %+v, want stderr %q", r, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "nginx.conf")); string(b) == fmtMainWant {
		t.Fatal("a file was written although another was refused")
	}
	for _, args := range [][]string{{"fmt"}, {"fmt", "-x", "nginx.conf"}} {
		if r := runProg(t, dir, bin, args...); r.code != 2 || !strings.Contains(r.stderr, "usage:") {
			t.Errorf("%q: %+v", args, r)
		}
	}
}
