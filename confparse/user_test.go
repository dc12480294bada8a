package confparse_test

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"goproxy/confparse"
	"goproxy/internal/nginxtest"
)

// TestUserDirective: as root, the names are looked up when the
// configuration is read, with nginx's errors (compared with nginx -t);
// without a user directive root serves as nobody:nogroup. As another
// user the directive is ignored with nginx's warning.
func TestUserDirective(t *testing.T) {
	dir := t.TempDir()
	load := func(directive string) (*confparse.Config, error) {
		t.Helper()
		path := filepath.Join(dir, "nginx.conf")
		os.WriteFile(path, []byte(directive+"\nevents {}\n"), 0o644)
		return confparse.Load(confparse.Options{Path: path, Prefix: dir})
	}
	if os.Geteuid() != 0 {
		cfg, err := load("user nosuchuser;")
		if err != nil || len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0].Error(),
			`the "user" directive makes sense only if the master process runs with super-user privileges, ignored in `) {
			t.Fatalf("as a user: %v %v", err, cfg)
		}
		return
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	if _, err := user.LookupGroup("nogroup"); err != nil {
		t.Skip("no group nogroup")
	}
	cfg, err := load("")
	if err != nil || cfg.Main.User == nil || cfg.Main.User.Name != "nobody" || cfg.Main.User.UID != atoi(nobody.Uid) {
		t.Fatalf("root's default user: %v %+v", err, cfg)
	}
	cfg, err = load("user root;")
	if err != nil || cfg.Main.User.UID != 0 {
		t.Fatalf("user root: %v %+v", err, cfg.Main.User)
	}
	for _, d := range []string{"user nosuchuser;", "user nobody nosuchgroup;", "user nobody;", "user 0;"} {
		want := ""
		if _, err := user.LookupGroup("nobody"); d == "user nobody;" && err == nil {
			continue // this machine has a group nobody
		}
		_, err := load(d)
		if err == nil {
			t.Errorf("%s: loaded", d)
			continue
		}
		if nginxtest.NginxPath != "" {
			out, _ := exec.Command(nginxtest.NginxPath, "-t", "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"),
				"-g", "pid "+dir+"/pid;").CombinedOutput()
			if want = nginxEmerg(out); want == "" {
				t.Errorf("%s: nginx -t did not refuse it:\n%s", d, out)
			}
		}
		if got := err.Error(); want != "" && got != want {
			t.Errorf("%s: goproxy %q, nginx %q", d, got, want)
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
