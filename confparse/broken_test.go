package confparse_test

// broken_test.go loads every testdata/broken/NAME.conf, each of which
// nginx refuses, and checks goproxy's message against NAME.err: its first
// line is the message after "[emerg] ", with {{FILE}} for the file's path
// and {{DIR}} for testdata/broken. When nginx is installed it must fail
// with the same message, or with the one on a second line
// "nginx: MESSAGE" ("nginx: ok" when nginx accepts the file), which marks
// a deliberate difference. -update rewrites the first lines.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	goldenfiles "goproxy/internal/golden"

	"goproxy/confparse"
	"goproxy/internal/nginxtest"
)

type brokenCase struct {
	name, conf, errFile string
	want, nginx         string // nginx: "" means the same as want
}

func brokenCases(t *testing.T) []brokenCase {
	t.Helper()
	dir := filepath.Join(testdataDir(t), "broken")
	confs, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	if len(confs) < 30 {
		t.Fatalf("only %d broken configurations in %s", len(confs), dir)
	}
	var out []brokenCase
	for _, conf := range confs {
		c := brokenCase{name: strings.TrimSuffix(filepath.Base(conf), ".conf"), conf: conf,
			errFile: strings.TrimSuffix(conf, ".conf") + ".err"}
		b, err := os.ReadFile(c.errFile)
		if err != nil && !*goldenfiles.Update {
			t.Fatalf("%s: %v", c.name, err)
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		c.want = expand(lines[0], conf, dir)
		for _, l := range lines[1:] {
			if n, ok := strings.CutPrefix(l, "nginx: "); ok {
				c.nginx = expand(n, conf, dir)
			}
		}
		out = append(out, c)
	}
	return out
}

func expand(s, file, dir string) string {
	return strings.NewReplacer("{{FILE}}", file, "{{DIR}}", dir).Replace(s)
}

func TestBroken(t *testing.T) {
	dir := filepath.Join(testdataDir(t), "broken")
	for _, c := range brokenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, err := confparse.Load(confparse.Options{Path: c.conf})
			if err == nil {
				t.Fatalf("goproxy accepted %s; want: %s", c.name, c.want)
			}
			var d *confparse.Diag
			if !errors.As(err, &d) || d.Level != confparse.LevelEmerg {
				t.Errorf("error is not an [emerg] diagnostic: %#v", err)
			}
			if *goldenfiles.Update {
				rewriteFirstLine(t, c.errFile, strings.NewReplacer(c.conf, "{{FILE}}", dir, "{{DIR}}").Replace(err.Error()))
				return
			}
			if err.Error() != c.want {
				t.Errorf("goproxy:\n  got:  %s\n  want: %s", err, c.want)
			}
		})
	}
}

func rewriteFirstLine(t *testing.T, path, first string) {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines[0] = first
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrokenNginx holds the expectations to the reference: nginx -t must
// refuse each file with the expected message.
func TestBrokenNginx(t *testing.T) {
	nginxtest.RequireNginx(t)
	for _, c := range brokenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			want := c.want
			if c.nginx != "" {
				want = c.nginx
			}
			out, err := exec.Command(nginxtest.NginxPath, "-t", "-c", c.conf).CombinedOutput()
			if want == "ok" {
				if err != nil {
					t.Fatalf("nginx refused it (the .err file says nginx accepts it):\n%s", out)
				}
				return
			}
			if err == nil {
				t.Fatalf("nginx accepted it; want [emerg] %s", want)
			}
			if got := nginxEmerg(out); got != want {
				t.Errorf("nginx:\n  got:  %s\n  want: %s\n%s", got, want, out)
			}
		})
	}
}
