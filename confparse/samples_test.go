package confparse_test

// samples_test.go loads every sample configuration under
// testdata/configs and compares the typed model (Config.Dump) and the
// "-T" output (Config.WriteFiles) with golden files. Run
// "go test ./confparse -update" to rewrite the goldens after a deliberate
// change, then review the diff.

import (
	"bytes"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"goproxy/confparse"
	goldenfiles "goproxy/internal/golden"
	"goproxy/internal/nginxtest"
)

// testdataDir is the repository's testdata directory, absolute.
func testdataDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs("../testdata")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// portable replaces the machine's testdata path with a placeholder.
func portable(b []byte, testdata string) []byte {
	return bytes.ReplaceAll(b, []byte(testdata), []byte("{{TESTDATA}}"))
}

// golden compares got with the file, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *goldenfiles.Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./confparse -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the loaded configuration (go test ./confparse -update rewrites it):\n%s",
			filepath.Base(path), firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + a + "\n  got:  " + b
		}
	}
	return ""
}

func samples(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(testdataDir(t), "configs", "*", "nginx.conf"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no samples found: %v", err)
	}
	for i, d := range dirs {
		dirs[i] = filepath.Dir(d)
	}
	return dirs
}

// unsupported says whether a load error names a feature goproxy lacks.
func unsupported(err error) bool {
	return strings.Contains(err.Error(), "is not supported by goproxy")
}

func TestSamples(t *testing.T) {
	td := testdataDir(t)
	for _, dir := range samples(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg, err := confparse.Load(confparse.Options{Path: filepath.Join(dir, "nginx.conf")})
			if err != nil {
				if unsupported(err) {
					t.Skipf("needs a feature goproxy lacks: %v", err)
				}
				if m := getpwnamRe.FindStringSubmatch(err.Error()); m != nil {
					// As nginx -t as root: the user must exist here.
					t.Skipf("this machine has no user %q, which a load as root needs: %v", m[1], err)
				}
				t.Fatalf("load: %v", err)
			}
			model, err := cfg.Dump()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join(dir, "model.golden.json"), portable(append(model, '\n'), td))
			var dump bytes.Buffer
			if err := cfg.WriteFiles(&dump); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join(dir, "dump.golden"), portable(dump.Bytes(), td))
		})
	}
}

// emergRe finds the message of nginx's first [emerg] line, after the
// optional "PID#TID: " of a timestamped line.
var emergRe = regexp.MustCompile(`\[emerg\] (?:\d+#\d+: )?(.*)`)

// nginxEmerg returns the first [emerg] message nginx printed, or "".
func nginxEmerg(out []byte) string {
	if m := emergRe.FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return ""
}

var getpwnamRe = regexp.MustCompile(`^getpw(?:nam|grnam)\("([^"]+)"\) failed`)

// TestSamplesNginx checks that the reference nginx accepts every sample,
// except for the differences a sample's nginx-t.err names (the message
// nginx gives, as in testdata/broken).
func TestSamplesNginx(t *testing.T) {
	nginxtest.RequireNginx(t)
	for _, dir := range samples(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			conf := filepath.Join(dir, "nginx.conf")
			out, err := exec.Command(nginxtest.NginxPath, "-t", "-c", conf).CombinedOutput()
			msg := nginxEmerg(out)
			if m := getpwnamRe.FindStringSubmatch(msg); m != nil {
				if _, uerr := user.Lookup(m[1]); uerr != nil {
					t.Skipf("this machine has no user %q, which nginx -t needs as root: %s", m[1], msg)
				}
			}
			want := ""
			if b, rerr := os.ReadFile(filepath.Join(dir, "nginx-t.err")); rerr == nil {
				want = strings.TrimSpace(strings.ReplaceAll(string(b), "{{FILE}}", conf))
			}
			switch {
			case want == "" && err != nil:
				t.Fatalf("nginx -t failed: %v\n%s", err, out)
			case want != "" && msg != want:
				t.Fatalf("nginx -t: want [emerg] %s\ngot:\n%s", want, out)
			}
		})
	}
}
