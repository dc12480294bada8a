package proxy_test

// memcached_test.go runs memcached_pass against a real memcached, started
// by the test (Debian's memcached package), beside nginx on the same
// keys, and against a scripted server for the answers a real memcached
// never gives.

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testupstream"
)

// startMemcached starts a memcached on a free port, or skips the test.
func startMemcached(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("memcached")
	if err != nil {
		t.Skip("memcached is not installed (apt-get install -y memcached)")
	}
	port := nginxtest.FreePort(t)
	args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-t", "1"}
	if os.Getuid() == 0 {
		args = append(args, "-u", "nobody")
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("memcached did not start")
	return ""
}

// memcachedDo sends one command and reads its answer to the line that
// ends it.
func memcachedDo(t *testing.T, addr, cmd, last string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, cmd)
	br := bufio.NewReader(c)
	var out strings.Builder
	for {
		line, err := br.ReadString('\n')
		out.WriteString(line)
		if err != nil || strings.HasPrefix(line, last) || line == "ERROR\r\n" {
			return out.String()
		}
	}
}

func memcachedSet(t *testing.T, addr, key string, flags int, value string) {
	t.Helper()
	got := memcachedDo(t, addr, fmt.Sprintf("set %s %d 0 %d\r\n%s\r\n", key, flags, len(value), value), "STORED")
	if got != "STORED\r\n" {
		t.Fatalf("set %s: %q", key, got)
	}
}

// memcachedConns is memcached's count of connections it accepted.
func memcachedConns(t *testing.T, addr string) int {
	t.Helper()
	for _, l := range strings.Split(memcachedDo(t, addr, "stats\r\n", "END"), "\r\n") {
		if v, ok := strings.CutPrefix(l, "STAT total_connections "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatal("no total_connections in stats")
	return 0
}

// compareNoRanges compares the two answers but for Accept-Ranges:
// nginx allows ranges on a memcached value, goproxy does not (yet).
func compareNoRanges(t *testing.T, p *nginxtest.Pair, raw string) (ng, gp *nginxtest.Response) {
	t.Helper()
	ng, gp = p.Both(t, raw)
	delete(ng.Header, "Accept-Ranges")
	if d := p.Diff(ng, gp); d != "" {
		t.Errorf("request %q:\n%s\n--- nginx:\n%s\n--- goproxy:\n%s", strings.SplitN(raw, "\r\n", 2)[0], d, ng.Raw, gp.Raw)
	}
	return ng, gp
}

func TestMemcachedReal(t *testing.T) {
	nginxtest.RequireNginx(t)
	addr := startMemcached(t)
	memcachedSet(t, addr, "/hit", 0, "SEE-THIS")
	memcachedSet(t, addr, "/page.html", 0, "<b>html</b>")
	memcachedSet(t, addr, "/a%20b", 0, "spaced")
	memcachedSet(t, addr, "/gz/z", 2, "not really gzip")
	memcachedSet(t, addr, "/big", 0, strings.Repeat("0123456789", 100000))
	c := conf(`    upstream memd { server `+addr+`; keepalive 4; }
`, `
        location / {
            set $memcached_key $uri;
            memcached_pass memd;
        }
        location /gz/ {
            set $memcached_key $uri;
            memcached_gzip_flag 2;
            memcached_pass `+addr+`;
        }
        location /fallback/ {
            set $memcached_key $uri;
            memcached_pass `+addr+`;
            error_page 404 = /hit;
        }
        location /unset {
            memcached_pass `+addr+`;
        }
        location /dead {
            set $memcached_key $uri;
            memcached_pass 127.0.0.1:1;
        }
`)
	p := nginxtest.Start(t, c, nginxtest.Options{})
	for _, raw := range []string{
		nginxtest.Get("/hit"),
		nginxtest.Get("/missing"),
		nginxtest.Req("HEAD", "/hit"),
		nginxtest.Get("/page.html"),
		nginxtest.Get("/a%20b"),
		nginxtest.Get("/gz/z"),
		nginxtest.Get("/big"),
		nginxtest.Get("/fallback/none"),
		nginxtest.Get("/unset"),
		nginxtest.Get("/dead"),
		"POST /hit HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc",
	} {
		compareNoRanges(t, p, raw)
	}
	if !strings.Contains(p.Go.ErrorLog(), `the "$memcached_key" variable is not set`) {
		t.Errorf("no error logged for an unset key:\n%s", p.Go.ErrorLog())
	}

	// The connections go back to the pool, a miss's too; a HEAD's,
	// with the value unread, does not.
	nginxtest.Do(t, p.Go.Addr(), nginxtest.Get("/hit"))
	before := memcachedConns(t, addr)
	for _, path := range []string{"/hit", "/missing", "/hit", "/missing"} {
		nginxtest.Do(t, p.Go.Addr(), nginxtest.Get(path))
	}
	if n := memcachedConns(t, addr) - before; n != 1 { // the stats connection
		t.Errorf("%d connections for 4 requests on a kept one, want none", n-1)
	}
	before = memcachedConns(t, addr)
	nginxtest.Do(t, p.Go.Addr(), nginxtest.Req("HEAD", "/hit"))
	nginxtest.Do(t, p.Go.Addr(), nginxtest.Get("/hit"))
	if n := memcachedConns(t, addr) - before; n != 2 {
		t.Errorf("%d new connections after a HEAD, want 1 (the HEAD's was closed)", n-1)
	}
}

// fakeMemcached answers each "get KEY" with answers[KEY], as written.
func fakeMemcached(t *testing.T, answers map[string]string) string {
	t.Helper()
	return testupstream.Listen(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			key := strings.TrimSuffix(strings.TrimPrefix(line, "get "), "\r\n")
			a, ok := answers[key]
			if !ok {
				a = "END\r\n"
			}
			c.Write([]byte(a))
			if strings.HasSuffix(a, "#close") {
				return
			}
		}
	})
}

// TestMemcachedInvalid checks the answers nginx refuses (502 and its
// log line) or cuts (a wrong trailer), beside nginx.
func TestMemcachedInvalid(t *testing.T) {
	nginxtest.RequireNginx(t)
	addr := fakeMemcached(t, map[string]string{
		"/err":      "ERROR\r\n",
		"/badkey":   "VALUE /other 0 5\r\nhello\r\nEND\r\n",
		"/badlen":   "VALUE /badlen 0 x5\r\nhello\r\nEND\r\n",
		"/cas":      "VALUE /cas 0 5 77\r\nhello\r\nEND\r\n",
		"/flags":    "VALUE /flags x 5\r\nhello\r\nEND\r\n",
		"/lf":       "VALUE /lf 0 5\nhello\r\nEND\r\n",
		"/trailer":  "VALUE /trailer 0 5\r\nhelloXXEND\r\n",
		"/extra":    "VALUE /extra 0 5\r\nhello\r\nEND\r\nEXTRA",
		"/short":    "VALUE /short 0 10\r\nhello#close",
		"/halfline": "VALUE /halfline 0#close",
		"/long":     "VALUE /long 0 5" + strings.Repeat(" ", 9000) + "\r\nhello\r\nEND\r\n",
		"/ok":       "VALUE /ok 1 5\r\nhello\r\nEND\r\n",
	})
	c := conf("", `
        location / {
            set $memcached_key $uri;
            memcached_pass `+addr+`;
        }
        location /flags {
            set $memcached_key $uri;
            memcached_gzip_flag 4;
            memcached_pass `+addr+`;
        }
`)
	p := nginxtest.Start(t, c, nginxtest.Options{})
	for _, path := range []string{"/err", "/badkey", "/badlen", "/cas", "/flags", "/lf", "/trailer", "/extra", "/short", "/halfline", "/long", "/ok", "/none"} {
		compareNoRanges(t, p, nginxtest.Get(path))
	}
	log := p.Go.ErrorLog()
	for _, want := range []string{
		`memcached sent invalid response: "ERROR" while reading response header from upstream`,
		`memcached sent invalid key in response "VALUE /other 0 5" for key "/badkey"`,
		`memcached sent invalid length in response "VALUE /cas 0 5 77" for key "/cas"`,
		`memcached sent invalid flags in response "VALUE /flags x 5" for key "/flags"`,
		`memcached sent invalid response: "VALUE /lf 0 5"`,
		`memcached sent invalid trailer while reading response header from upstream`,
		`upstream sent too big header while reading response header from upstream`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("error log lacks %q:\n%s", want, log)
		}
	}
}
