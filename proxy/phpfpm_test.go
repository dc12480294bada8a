package proxy_test

// phpfpm_test.go runs fastcgi_pass against a real PHP-FPM, started by
// the test with its own configuration (a pool on a unix socket, one on
// loopback TCP), beside nginx on the same pages.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// phpFPM finds the php-fpm binary Debian installs (php-fpmX.Y).
func phpFPM() string {
	if p, err := exec.LookPath("php-fpm"); err == nil {
		return p
	}
	m, _ := filepath.Glob("/usr/sbin/php-fpm*")
	if len(m) > 0 {
		return m[len(m)-1]
	}
	return ""
}

const phpPage = `<?php
header("X-Php: yes");
foreach (["REQUEST_METHOD", "REQUEST_URI", "QUERY_STRING", "SCRIPT_NAME", "PATH_INFO",
          "CONTENT_LENGTH", "CONTENT_TYPE", "HTTP_X_FOO", "SERVER_PROTOCOL", "GATEWAY_INTERFACE"] as $k) {
    echo $k, "=", isset($_SERVER[$k]) ? $_SERVER[$k] : "-", "\n";
}
echo "script=", basename($_SERVER["SCRIPT_FILENAME"]), "\n";
echo "post=", json_encode($_POST), "\n";
$in = file_get_contents("php://input");
echo "input=", strlen($in), " ", md5($in), "\n";
error_log("from php");
if (isset($_GET["status"])) { http_response_code((int)$_GET["status"]); }
if (isset($_GET["big"])) { echo str_repeat("0123456789", 100000); }
`

func TestPHPFPM(t *testing.T) {
	bin := phpFPM()
	if bin == "" {
		t.Skip("php-fpm is not installed (apt-get install -y php-fpm)")
	}
	nginxtest.RequireNginx(t)
	// nginx's workers (nobody) must reach the socket: a directory of
	// its own, world-searchable.
	dir, err := os.MkdirTemp("", "phpfpm-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "fpm.sock")
	port := nginxtest.FreePort(t)
	user := ""
	if os.Getuid() == 0 {
		user = "user = nobody\ngroup = nogroup\n"
	}
	cfg := "[global]\nerror_log = " + filepath.Join(dir, "fpm.log") + "\ndaemonize = no\n" +
		"[sock]\n" + user + "listen = " + sock + "\nlisten.mode = 0666\npm = static\npm.max_children = 2\ncatch_workers_output = yes\n" +
		"[tcp]\n" + user + "listen = 127.0.0.1:" + strconv.Itoa(port) + "\npm = static\npm.max_children = 2\n"
	conf := filepath.Join(dir, "php-fpm.conf")
	os.WriteFile(conf, []byte(cfg), 0o644)
	cmd := exec.Command(bin, "-F", "-n", "-y", conf, "-p", dir)
	if os.Getuid() == 0 {
		cmd.Args = append(cmd.Args, "-R")
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// SIGTERM, not SIGKILL: the master stops its workers, which a
		// killed master would leave running.
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	c := conf2(`
        root {{ROOT}};
        location ~ [^/]\.php(/|$) {
            fastcgi_split_path_info ^(.+?\.php)(/.*)$;
            try_files $fastcgi_script_name =404;
            include ` + paramsFile(t, "fastcgi.conf") + `;
            fastcgi_param PATH_INFO $fastcgi_path_info;
            fastcgi_pass unix:` + sock + `;
        }
        location /tcp/ {
            include ` + paramsFile(t, "fastcgi_params") + `;
            fastcgi_param SCRIPT_FILENAME $document_root/index.php;
            fastcgi_pass 127.0.0.1:` + strconv.Itoa(port) + `;
        }
`)
	p := nginxtest.Start(t, c, nginxtest.Options{Files: map[string]string{"index.php": phpPage}})
	form := "a=1&b=two"
	big := strings.Repeat("z", 300000)
	for _, raw := range []string{
		nginxtest.Get("/index.php?x=1", "X-Foo: bar"),
		nginxtest.Get("/index.php/extra/info?x=2"),
		nginxtest.Get("/missing.php"),
		nginxtest.Get("/index.php?status=404"),
		nginxtest.Get("/index.php?big=1"),
		nginxtest.Get("/tcp/anything?q=1"),
		"POST /index.php HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
			strconv.Itoa(len(form)) + "\r\n\r\n" + form,
		"POST /index.php HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(big)) + "\r\n\r\n" + big,
		"POST /index.php HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	} {
		ng, gp := p.Compare(t, raw)
		if ng.Status == 200 && !strings.Contains(string(gp.Body), "REQUEST_METHOD=") {
			t.Errorf("no PHP output from goproxy for %q:\n%s", strings.SplitN(raw, "\r\n", 2)[0], gp.Raw)
		}
	}
	if !strings.Contains(p.Go.ErrorLog(), `FastCGI sent in stderr: "PHP message: from php"`) {
		t.Errorf("PHP's stderr is not in the error log:\n%s", p.Go.ErrorLog())
	}
}

// conf2 is conf without the upstream placeholders.
func conf2(server string) string { return conf("", server) }
