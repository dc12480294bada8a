package entrypoint

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	_ "goproxy/internal/golden" // accepts go test ./... -update
)

// scriptDir makes a /docker-entrypoint.d like the image's: the stock
// names linked to the running binary, plus whatever files are given.
func scriptDir(t *testing.T, files map[string]string) (*runner, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(dir+"/d", 0o755)
	for name := range steps {
		if err := os.Symlink(self, dir+"/d/"+name); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range files {
		mode := os.FileMode(0o755)
		if strings.HasPrefix(text, "noexec:") {
			mode = 0o644
		}
		p := filepath.Join(dir, "d", name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(text), mode)
	}
	os.WriteFile(dir+"/if_inet6", nil, 0o644)
	t.Setenv("NGINX_ENVSUBST_TEMPLATE_DIR", dir+"/no-templates")
	t.Setenv("NGINX_ENTRYPOINT_QUIET_LOGS", "")
	t.Setenv("NGINX_ENTRYPOINT_LOCAL_RESOLVERS", "")
	t.Setenv("NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE", "")
	out := &bytes.Buffer{}
	return &runner{Paths: Paths{ScriptDir: dir + "/d", DefaultConf: dir + "/default.conf",
		IfInet6: dir + "/if_inet6", NginxConf: dir + "/nginx.conf", ResolvConf: dir + "/resolv.conf"}, out: out}, out
}

func TestConfigure(t *testing.T) {
	mark := t.TempDir() + "/ran"
	r, out := scriptDir(t, map[string]string{
		"40-user.sh":  "#!/bin/sh\necho \"$NGINX_LOCAL_RESOLVERS\" > " + mark + "\n",
		"5-early.sh":  "noexec:",
		"readme.txt":  "x",
		"sub/50-x.sh": "noexec:",
	})
	os.WriteFile(r.ResolvConf, []byte("nameserver 127.0.0.11\n"), 0o644)
	t.Setenv("NGINX_ENTRYPOINT_LOCAL_RESOLVERS", "1")
	if code := r.configure("/docker-entrypoint.sh", []string{"nginx", "-g", "daemon off;"}); code != 0 {
		t.Fatalf("configure = %d; log:\n%s", code, out)
	}
	d := r.ScriptDir
	want := strings.Join([]string{
		"/docker-entrypoint.sh: " + d + "/ is not empty, will attempt to perform configuration",
		"/docker-entrypoint.sh: Looking for shell scripts in " + d + "/",
		"/docker-entrypoint.sh: Ignoring " + d + "/5-early.sh, not executable",
		"/docker-entrypoint.sh: Launching " + d + "/10-listen-on-ipv6-by-default.sh",
		"10-listen-on-ipv6-by-default.sh: info: " + r.DefaultConf + " is not a file or does not exist",
		"/docker-entrypoint.sh: Sourcing " + d + "/15-local-resolvers.envsh",
		"/docker-entrypoint.sh: Launching " + d + "/20-envsubst-on-templates.sh",
		"/docker-entrypoint.sh: Launching " + d + "/30-tune-worker-processes.sh",
		"/docker-entrypoint.sh: Launching " + d + "/40-user.sh",
		"/docker-entrypoint.sh: Ignoring " + d + "/readme.txt",
		"/docker-entrypoint.sh: Ignoring " + d + "/sub/50-x.sh, not executable",
		"/docker-entrypoint.sh: Configuration complete; ready for start up",
	}, "\n") + "\n"
	if out.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", out, want)
	}
	// The sourced step's export reaches the scripts launched after it.
	if got := read(t, mark); got != "127.0.0.11\n" {
		t.Errorf("user script saw NGINX_LOCAL_RESOLVERS=%q", got)
	}
}

func TestConfigureOnlyForNginx(t *testing.T) {
	r, out := scriptDir(t, nil)
	for _, cmd := range [][]string{nil, {"sh"}, {"/usr/sbin/nginx"}, {"goproxy-health"}} {
		if code := r.configure("/docker-entrypoint.sh", cmd); code != 0 || out.Len() != 0 {
			t.Errorf("%q: code %d, log %q", cmd, code, out)
		}
	}
	for _, cmd := range []string{"nginx", "nginx-debug", "goproxy"} {
		out.Reset()
		r.configure("/docker-entrypoint.sh", []string{cmd})
		if !strings.HasSuffix(out.String(), "Configuration complete; ready for start up\n") {
			t.Errorf("%s: log %q", cmd, out)
		}
	}
}

func TestConfigureQuietAndEmpty(t *testing.T) {
	r, out := scriptDir(t, nil)
	t.Setenv("NGINX_ENTRYPOINT_QUIET_LOGS", "1")
	t.Setenv("NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE", "1")
	if code := r.configure("/docker-entrypoint.sh", []string{"nginx"}); code != 0 || out.Len() != 0 {
		t.Errorf("quiet: code %d, log %q", code, out)
	}
	t.Setenv("NGINX_ENTRYPOINT_QUIET_LOGS", "")
	r.ScriptDir = t.TempDir()
	r.configure("/docker-entrypoint.sh", []string{"nginx"})
	if want := "/docker-entrypoint.sh: No files found in " + r.ScriptDir + "/, skipping configuration\n"; out.String() != want {
		t.Errorf("log %q, want %q", out, want)
	}
}

func TestConfigureFailingScript(t *testing.T) {
	r, out := scriptDir(t, map[string]string{"90-fail.sh": "#!/bin/sh\nexit 3\n"})
	if code := r.configure("/docker-entrypoint.sh", []string{"nginx"}); code != 3 {
		t.Errorf("code %d, want 3", code)
	}
	if strings.Contains(out.String(), "Configuration complete") {
		t.Error("configuration reported complete after a failing script")
	}
}

func TestVersionOrder(t *testing.T) {
	got := []string{"10-b.sh", "5-a.sh", "010-c.sh", "2-x.sh", "10-a.sh", "a.sh"}
	sort.Slice(got, func(i, j int) bool { return versionLess(got[i], got[j]) })
	if want := "2-x.sh 5-a.sh 10-a.sh 10-b.sh 010-c.sh a.sh"; strings.Join(got, " ") != want {
		t.Errorf("order %q, want %q", got, want)
	}
}

// The image links each stock script name to goproxy.
func TestDockerfileLinksSteps(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for name := range steps {
		if !bytes.Contains(b, []byte(name)) {
			t.Errorf("Dockerfile does not link %s", name)
		}
	}
	if !Handles(Name) || !Handles("20-envsubst-on-templates.sh") || Handles("nginx") {
		t.Error("Handles")
	}
}
