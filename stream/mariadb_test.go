package stream_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// startMariaDB runs a MariaDB server of its own (datadir, socket and a
// free port) for the test, with a user "gp" that may log in over TCP;
// it returns the port. Skipped where Debian's mariadb-server is not
// installed (scripts/test-deps installs it).
func startMariaDB(t *testing.T) int {
	t.Helper()
	server, err := exec.LookPath("mariadbd")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/mariadbd"); err != nil {
			t.Skip("no mariadbd (Debian's mariadb-server)")
		}
		server = "/usr/sbin/mariadbd"
	}
	if _, err := exec.LookPath("mariadb"); err != nil {
		t.Skip("no mariadb client (Debian's mariadb-client)")
	}
	dir := t.TempDir()
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "mysqld.sock")
	install := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=socket", "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	port := nginxtest.FreePort(t)
	cmd := exec.Command(server, "--no-defaults", "--datadir="+data, "--socket="+sock, "--user=root",
		"--bind-address=127.0.0.1", "--port="+strconv.Itoa(port), "--skip-name-resolve",
		"--pid-file="+filepath.Join(dir, "mysqld.pid"), "--log-error="+filepath.Join(dir, "error.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	setup := "CREATE USER 'gp'@'%' IDENTIFIED BY 'secret'; GRANT ALL ON *.* TO 'gp'@'%';"
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := exec.Command("mariadb", "--no-defaults", "--socket="+sock, "-uroot", "-e", setup).CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("MariaDB did not come up: %v\n%s\n%s", err, out, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return port
}

// mariadbQuery runs the mariadb client against a TCP port.
func mariadbQuery(t *testing.T, port int, sql string) string {
	t.Helper()
	cmd := exec.Command("mariadb", "--no-defaults", "--protocol=TCP", "-h127.0.0.1", "-P"+strconv.Itoa(port),
		"-ugp", "-psecret", "--batch", "--skip-column-names", "-e", sql)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb through port %d: %v\n%s", port, err, out)
	}
	return string(out)
}

// TestMariaDBThroughStreamProxy puts nginx and goproxy in front of a real
// MariaDB server (the seed's database use: stream { proxy_pass db; })
// and runs the real client through both: the login handshake, a write,
// and a result of a few megabytes must come back alike, and the access
// log must count the session's bytes as nginx does.
func TestMariaDBThroughStreamProxy(t *testing.T) {
	needStreamModule(t)
	db := startMariaDB(t)
	conf := fmt.Sprintf(loadStream+`events {}
stream {
    log_format s "$protocol $status $upstream_addr";
    upstream db { server 127.0.0.1:%d; }
    server {
        listen 127.0.0.1:{{PORT0}};
        proxy_pass db;
        access_log {{DIR}}/db.log s;
    }
}
`, db)
	p := nginxtest.Start(t, conf, nginxtest.Options{})
	for i, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		port := s.Ports[0]
		name := fmt.Sprintf("t%d", i)
		got := mariadbQuery(t, port, "CREATE DATABASE "+name+"; CREATE TABLE "+name+".kv (k INT PRIMARY KEY, v TEXT);"+
			" INSERT INTO "+name+".kv VALUES (1, 'one'), (2, 'two'); SELECT k, v FROM "+name+".kv ORDER BY k;")
		if want := "1\tone\n2\ttwo\n"; got != want {
			t.Errorf("%s: rows = %q, want %q", s.Name, got, want)
		}
		big := mariadbQuery(t, port, "SELECT LENGTH(REPEAT('x', 4000000)), MD5(REPEAT('ab', 1500000)), REPEAT('y', 3000000);")
		if f := strings.SplitN(strings.TrimSpace(big), "\t", 3); len(f) != 3 || f[0] != "4000000" ||
			len(f[2]) != 3000000 || strings.Trim(f[2], "y") != "" {
			t.Errorf("%s: a large result came back as %d bytes: %.80q", s.Name, len(big), big)
		}
	}
	want := waitLog(filepath.Join(p.Nginx.Dir, "db.log"), 2)
	got := waitLog(filepath.Join(p.Go.Dir, "db.log"), 2)
	if got != want || !strings.Contains(want, "TCP 200 127.0.0.1:") {
		t.Errorf("access log:\n goproxy %q\n   nginx %q", got, want)
	}
}
