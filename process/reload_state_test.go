package process_test

// reload_state_test.go checks what a reload keeps and what it lets go:
// limit_req zones kept as nginx keeps shared memory (same name and
// size), a changed key refused as nginx refuses it, and the log files
// of the previous configuration closed.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

func zoneConf(port int, dir, key, size, rate string) string {
	return fmt.Sprintf(`events {}
http {
    access_log off;
    limit_req_zone %s zone=z:%s rate=%s;
    server {
        listen 127.0.0.1:%d;
        root %s;
        location /z { limit_req zone=z; }
    }
}
`, key, size, rate, port, dir)
}

// TestReloadKeepsZones: a key seen before a reload is still limited
// after it while the zone's name and size stay (the rate may change); a
// new key fails the reload with nginx's message and keeps the zone; a
// new size starts an empty zone.
func TestReloadKeepsZones(t *testing.T) {
	port := nginxtest.FreePort(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "z"), []byte("ok"), 0644)
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, []byte(zoneConf(port, dir, "$arg_k", "32k", "1r/m")), 0644)
	p := start(t, dir, path)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	status := func() int { return nginxtest.Do(t, addr, nginxtest.Get("/z?k=a")).Status }
	if s := status(); s != 200 {
		t.Fatalf("first request: %d", s)
	}
	os.WriteFile(path, []byte(zoneConf(port, dir, "$arg_k", "32k", "2r/m")), 0644)
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	if s := status(); s != 503 {
		t.Errorf("after a reload that kept the zone: %d, want 503 (the key remembered)", s)
	}
	os.WriteFile(path, []byte(zoneConf(port, dir, "$arg_j", "32k", "2r/m")), 0644)
	want := `limit_req "z" uses the "$arg_j" key while previously it used the "$arg_k" key`
	if err := p.Reload(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("reload with another key: %v, want %q", err, want)
	}
	if s := status(); s != 503 {
		t.Errorf("after the refused reload: %d, want 503", s)
	}
	os.WriteFile(path, []byte(zoneConf(port, dir, "$arg_k", "64k", "2r/m")), 0644)
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	if s := status(); s != 200 {
		t.Errorf("after a reload with a new size: %d, want 200 (a new zone)", s)
	}
}

// TestReloadClosesOldLogs moves the access log and a location's
// error_log to new files: once the old configuration has no request
// left, its files are closed.
func TestReloadClosesOldLogs(t *testing.T) {
	port := nginxtest.FreePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	logs := func(name string) string {
		return fmt.Sprintf(`events {}
http {
    access_log %[1]s/%[2]s-access.log;
    server {
        listen 127.0.0.1:%[3]d;
        root %[1]s;
        location / { error_log %[1]s/%[2]s-error.log; }
    }
}
`, dir, name, port)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	os.WriteFile(path, []byte(logs("a")), 0644)
	p := start(t, dir, path)
	for i, name := range []string{"b", "c"} {
		nginxtest.Do(t, addr, nginxtest.Get("/missing"))
		os.WriteFile(path, []byte(logs(name)), 0644)
		if err := p.Reload(); err != nil {
			t.Fatal(err)
		}
		nginxtest.Do(t, addr, nginxtest.Get("/missing"))
		prev := []string{"a", "b"}[i]
		for _, f := range []string{prev + "-access.log", prev + "-error.log"} {
			if b, _ := os.ReadFile(filepath.Join(dir, f)); len(b) == 0 {
				t.Errorf("%s was never written", f)
			}
			if isOpen(t, filepath.Join(dir, f)) {
				t.Errorf("%s is still open after the reload that replaced it", f)
			}
		}
		if !isOpen(t, filepath.Join(dir, name+"-access.log")) || !isOpen(t, filepath.Join(dir, name+"-error.log")) {
			t.Errorf("the logs of %q are not open", name)
		}
	}
}

// isOpen says whether the process has a descriptor on path.
func isOpen(t *testing.T, path string) bool {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	for _, e := range ents {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && target == path {
			return true
		}
	}
	return false
}
