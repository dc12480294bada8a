package process_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
)

// TestServesAsUser starts goproxy as root with "user nobody nogroup" —
// built with and without cgo, whose setuid(2) paths differ — and checks
// that requests are served as nobody (a root-only file answers 403 with
// nginx's log line), that every thread has nobody's credentials and no
// effective capability, that exactly one thread keeps the two a reload
// needs, and that a reload still reads root-only files (a certificate
// changed, an included file), binds a port below 1024 and opens a new log
// file in a root-only directory, as do log reopening and the pid file's
// removal at exit.
func TestServesAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	if _, err := user.LookupGroup("nogroup"); err != nil {
		t.Skip("no group nogroup")
	}
	for _, cgo := range []string{"0", "1"} {
		t.Run("CGO_ENABLED="+cgo, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "goproxy")
			build := exec.Command("go", "build", "-o", bin, "goproxy/cmd/goproxy")
			build.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
			if out, err := build.CombinedOutput(); err != nil {
				if cgo == "1" {
					t.Skipf("no cgo build here: %v\n%s", err, out)
				}
				t.Fatalf("build: %v\n%s", err, out)
			}
			servesAsUser(t, bin, nobody.Uid)
		})
	}
}

func servesAsUser(t *testing.T, bin, uid string) {
	dir, err := os.MkdirTemp("", "privileges-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	for _, d := range []string{"html", "certs", "logs", "cache", "bodytemp"} {
		os.Mkdir(filepath.Join(dir, d), 0o700)
	}
	os.Chmod(filepath.Join(dir, "html"), 0o755)
	write := func(name, body string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(dir, name), mode)
	}
	write("html/index.html", "index\n", 0o644)
	write("html/secret.txt", "root only\n", 0o600)
	big := strings.Repeat("0123456789abcdef", 1<<14) // 256 KiB
	write("html/big.txt", big, 0o644)
	ca := testcerts.NewCA(t, "CA")
	cert := func(cn string) {
		c := ca.Server(t, testcerts.Opts{}, cn)
		write("certs/site.crt", string(c.ChainPEM()), 0o600)
		write("certs/site.key", string(c.KeyPEM), 0o600)
	}
	cert("one.test")
	write("certs/extra.conf", "", 0o600)
	port, tlsPort := nginxtest.FreePort(t), nginxtest.FreePort(t)
	write("nginx.conf", fmt.Sprintf(`user nobody nogroup;
pid %[1]s/run.pid;
error_log %[1]s/logs/error.log info;
events {}
http {
    access_log %[1]s/logs/access.log;
    proxy_cache_path %[1]s/cache keys_zone=c:1m;
    server {
        listen 127.0.0.1:%[2]d; root %[1]s/html;
        location /cached/ {
            proxy_pass http://127.0.0.1:%[2]d/; proxy_cache c; proxy_cache_valid 1m;
            add_header X-Cache $upstream_cache_status;
        }
        # Request bodies spilled to files: in the default
        # client_body_temp (made at start) and in a directory root made.
        client_body_buffer_size 1k;
        location /body/ { proxy_pass http://%[4]s/; }
        location /body/levels/ {
            client_body_temp_path %[1]s/bodytemp 1 2;
            proxy_pass http://%[4]s/;
        }
        location /up/ { proxy_pass http://127.0.0.1:%[2]d/; proxy_buffer_size 1k; proxy_buffers 4 1k; }
    }
    server {
        listen 127.0.0.1:%[3]d ssl;
        ssl_certificate %[1]s/certs/site.crt;
        ssl_certificate_key %[1]s/certs/site.key;
        return 200 "tls\n";
    }
    include %[1]s/certs/extra.conf;
}
`, dir, port, tlsPort, bodyLength(t)), 0o644)

	cmd := exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-g", "daemon off;")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	errorLog := func() string { b, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log")); return string(b) }
	eventually(t, 10*time.Second, func() bool { return get(addr, "/index.html") != 0 },
		func() string { return "not listening: " + out.String() + errorLog() })

	if s := get(addr, "/index.html"); s != 200 {
		t.Errorf("index.html: %d", s)
	}
	if s := get(addr, "/secret.txt"); s != 403 {
		t.Errorf("a file only root can read answered %d, want 403 (served as root?)", s)
	}
	eventually(t, 5*time.Second, func() bool {
		return strings.Contains(errorLog(), `[error] `) &&
			strings.Contains(errorLog(), `open() "`+dir+`/html/secret.txt" failed (13: Permission denied)`)
	}, func() string { return "no open() line:\n" + errorLog() })
	checkThreads(t, cmd.Process.Pid, uid)
	// The cache directory root made (0700) is given to "user", as
	// nginx's master does, so the second request is a HIT.
	for i, want := range []string{"MISS", "HIT"} {
		resp, err := http.Get("http://" + addr + "/cached/index.html")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Cache"); got != want {
			t.Errorf("cached request %d: X-Cache %q, want %q:\n%s", i+1, got, want, errorLog())
		}
	}
	tempPaths(t, addr, dir, uid, big, errorLog)
	// A cache directory the user cannot write: the response is sent,
	// not stored, and the error log says why at crit.
	os.Chown(filepath.Join(dir, "cache"), 0, 0)
	os.Chmod(filepath.Join(dir, "cache"), 0o755)
	for i := 0; i < 2; i++ {
		resp, err := http.Get("http://" + addr + "/cached/big.txt")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("X-Cache"); got != "MISS" || string(b) != big {
			t.Errorf("unwritable cache, request %d: X-Cache %q, %d bytes", i+1, got, len(b))
		}
	}
	eventually(t, 5*time.Second, func() bool {
		return regexp.MustCompile(`\[crit\] .*open\(\) "` + dir + `/cache/[^"]*\.tmp" failed \(13: Permission denied\) while reading upstream, .*upstream: "http://127\.0\.0\.1:\d+/big\.txt"`).MatchString(errorLog())
	}, func() string { return "no crit line for the cache write:\n" + errorLog() })
	if cn := peerCN(t, tlsPort); cn != "one.test" {
		t.Errorf("certificate %q before the reload", cn)
	}

	// The reload: a new certificate and key, an included file (all
	// readable by root only) adding a port below 1024 with a new log in
	// a root-only directory.
	low := lowPort(t)
	cert("two.test")
	write("certs/extra.conf", fmt.Sprintf("server { listen 127.0.0.1:%d; access_log %s/logs/low.log; return 200 \"low\\n\"; }\n", low, dir), 0o600)
	cmd.Process.Signal(syscall.SIGHUP)
	lowAddr := fmt.Sprintf("127.0.0.1:%d", low)
	eventually(t, 10*time.Second, func() bool { return get(lowAddr, "/") == 200 },
		func() string { return "the reload did not bind port " + strconv.Itoa(low) + ":\n" + errorLog() })
	if !strings.Contains(errorLog(), "reconfiguring done") {
		t.Errorf("no reconfiguring done:\n%s", errorLog())
	}
	if cn := peerCN(t, tlsPort); cn != "two.test" {
		t.Errorf("certificate %q after the reload, want the new one", cn)
	}
	eventually(t, 5*time.Second, func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "logs", "low.log"))
		return strings.Contains(string(b), `"GET / HTTP/1.1" 200`)
	}, func() string { return "nothing in the new log file" })
	// Many requests at once make the runtime start threads; none may
	// get the privileged thread's capabilities.
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); get(addr, "/index.html") }()
	}
	wg.Wait()
	checkThreads(t, cmd.Process.Pid, uid)

	// Log rotation: the file moved away, USR1 makes a new one in the
	// root-only directory.
	access := filepath.Join(dir, "logs", "access.log")
	os.Rename(access, access+".1")
	cmd.Process.Signal(syscall.SIGUSR1)
	eventually(t, 5*time.Second, func() bool {
		get(addr, "/index.html?after-reopen")
		b, _ := os.ReadFile(access)
		return strings.Contains(string(b), "after-reopen")
	}, func() string { return "USR1 did not reopen the access log:\n" + errorLog() })

	cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("exit: %v\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGQUIT")
	}
	if _, err := os.Stat(filepath.Join(dir, "run.pid")); !os.IsNotExist(err) {
		t.Errorf("the pid file is still there (%v)", err)
	}
}

// checkThreads reads every thread's credentials: the user's uids and
// gids, no effective capability, and one thread only (the privileged
// one) with CAP_NET_BIND_SERVICE and CAP_DAC_OVERRIDE permitted.
func checkThreads(t *testing.T, pid int, uid string) {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) < 2 {
		t.Fatalf("threads: %v %v", tasks, err)
	}
	ids := strings.Repeat(uid+"\t", 3) + uid
	privileged := 0
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue // the thread ended
		}
		f := map[string]string{}
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":\t"); ok {
				f[k] = v
			}
		}
		name := filepath.Base(filepath.Dir(task))
		if f["Uid"] != ids || f["Gid"] != ids || strings.TrimSpace(f["Groups"]) != "65534" {
			t.Errorf("thread %s: Uid %q Gid %q Groups %q, want %s", name, f["Uid"], f["Gid"], f["Groups"], uid)
		}
		if f["CapEff"] != "0000000000000000" {
			t.Errorf("thread %s has effective capabilities %s", name, f["CapEff"])
		}
		switch f["CapPrm"] {
		case "0000000000000000":
		case "0000000000000402": // CAP_NET_BIND_SERVICE | CAP_DAC_OVERRIDE
			privileged++
		default:
			t.Errorf("thread %s has permitted capabilities %s", name, f["CapPrm"])
		}
	}
	if privileged != 1 {
		t.Errorf("%d threads keep the reload's capabilities, want 1", privileged)
	}
}

func get(addr, path string) int {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return 0
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path)
	buf := make([]byte, 12)
	if n, _ := c.Read(buf); n < 12 {
		return 0
	}
	s, _ := strconv.Atoi(string(buf[9:12]))
	return s
}

func peerCN(t *testing.T, port int) string {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp",
		fmt.Sprintf("127.0.0.1:%d", port), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS: %v", err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// lowPort finds a free port below 1024 on the loopback address.
func lowPort(t *testing.T) int {
	for p := 1023; p > 900; p-- {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			l.Close()
			return p
		}
	}
	t.Skip("no free port below 1024")
	return 0
}

// eventually waits until ok holds, failing with why after d.
func eventually(t *testing.T, d time.Duration, ok func() bool, why func() string) {
	t.Helper()
	for deadline := time.Now().Add(d); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(why())
		}
	}
}

// tempPaths: the client_body_temp_path directories are made (0700) and
// given to "user" before the privilege drop, as nginx's master does, so
// a request body too big for client_body_buffer_size goes to a file
// there (500 and an open() line otherwise); a big proxied response
// reaches the client whole.
func tempPaths(t *testing.T, addr, dir, uid, big string, errorLog func() string) {
	t.Helper()
	for _, tc := range []struct{ path, dir string }{
		{"/body/", "client_body_temp"},
		{"/body/levels/", "bodytemp"},
	} {
		fi, err := os.Stat(filepath.Join(dir, tc.dir))
		if err != nil {
			t.Errorf("%s: %v", tc.dir, err)
			continue
		}
		if st := fi.Sys().(*syscall.Stat_t); fmt.Sprint(st.Uid) != uid || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: owner %d mode %o, want %s and 700", tc.dir, st.Uid, fi.Mode().Perm(), uid)
		}
		resp, err := http.Post("http://"+addr+tc.path, "text/plain", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != fmt.Sprintf("%d\n", len(big)) {
			t.Errorf("POST %s: %d %q:\n%s", tc.path, resp.StatusCode, b, errorLog())
		}
	}
	for _, d := range []string{"client_body_temp/", "bodytemp/"} {
		if !strings.Contains(errorLog(), "a client request body is buffered to a temporary file "+dir+"/"+d) {
			t.Errorf("no body file under %s:\n%s", d, errorLog())
		}
	}
	resp, err := http.Get("http://" + addr + "/up/big.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != big {
		t.Errorf("GET /up/big.txt: %d, %d bytes of %d:\n%s", resp.StatusCode, len(b), len(big), errorLog())
	}
}

// bodyLength is an upstream that reads the request body and answers
// its length; it returns the upstream's address.
func bodyLength(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%d\n", n)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}
