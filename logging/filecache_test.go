package logging_test

// filecache_test.go checks access_log paths with variables: nginx's
// open_log_file_cache behaviour, compared with nginx, and that 10,000
// client-chosen paths leave no descriptors or memory behind.

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

const varLogConf = `events {}
http {
    log_format n '$arg_n';
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        access_log off;
        location /off { access_log {{DIR}}/logs/off-$arg_n.log n; }
        location /cached {
            open_log_file_cache max=8 valid=1m;
            access_log {{DIR}}/logs/c-$arg_n.log n;
            location /cached/inner { open_log_file_cache off; access_log {{DIR}}/logs/i-$arg_n.log n; }
        }
        location /min {
            open_log_file_cache max=8 min_uses=2 valid=1m;
            access_log {{DIR}}/logs/m-$arg_n.log n;
        }
    }
}
`

// logDir makes the directory the logs go to, writable by nginx's
// workers.
func logDir(t *testing.T, s *nginxtest.Server) string {
	d := filepath.Join(s.Dir, "logs")
	if err := os.MkdirAll(d, 0777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(d, 0777)
	return d
}

// TestVarLogFileCache removes a log file between requests: without a
// cache the next line creates it again; with one, the descriptor of the
// removed file is written until valid= (min_uses=2 keeps it from the
// second use on). Both servers must agree on every step.
func TestVarLogFileCache(t *testing.T) {
	p := nginxtest.Start(t, varLogConf, nginxtest.Options{})
	steps := []string{"/off?n=1", "rm off-1", "/off?n=1",
		"/cached?n=1", "rm c-1", "/cached?n=1", "/cached?n=2",
		"/cached/inner?n=1", "rm i-1", "/cached/inner?n=1",
		"/min?n=1", "rm m-1", "/min?n=1", "rm m-1", "/min?n=1"}
	run := func(s *nginxtest.Server) string {
		dir := logDir(t, s)
		var out []string
		for _, st := range steps {
			if name, ok := strings.CutPrefix(st, "rm "); ok {
				os.Remove(filepath.Join(dir, name+".log"))
				continue
			}
			if r := nginxtest.Do(t, s.Addr(), nginxtest.Get(st)); r.Status != 404 {
				t.Fatalf("%s %s: %d", s.Name, st, r.Status)
			}
			ents, _ := os.ReadDir(dir)
			var files []string
			for _, e := range ents {
				b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
				files = append(files, e.Name()+"="+strings.ReplaceAll(string(b), "\n", ","))
			}
			out = append(out, st+" -> "+strings.Join(files, " "))
		}
		return strings.Join(out, "\n")
	}
	ng, gp := run(p.Nginx), run(p.Go)
	if ng != gp {
		t.Errorf("nginx:\n%s\ngoproxy:\n%s", ng, gp)
	}
}

// TestVarLogPathsStayBounded writes 10,000 requests to as many log
// paths, with and without a cache: the process must not keep more
// descriptors than max=, nor memory for the paths.
func TestVarLogPathsStayBounded(t *testing.T) {
	p := nginxtest.Start(t, varLogConf, nginxtest.Options{GoOnly: true})
	dir := logDir(t, p.Go)
	c := &http.Client{Timeout: 10 * time.Second}
	send := func(from, to int) {
		for i := from; i < to; i++ {
			for _, loc := range []string{"off", "cached"} {
				resp, err := c.Get(fmt.Sprintf("http://%s/%s?n=%d", p.Go.Addr(), loc, i))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
		}
	}
	send(0, 1000)
	before := heap()
	send(1000, 10000)
	grown := int64(heap()) - int64(before)
	open := fdsUnder(t, dir)
	t.Logf("%d descriptors open on the logs, heap %+d KB over 9,000 paths", open, grown>>10)
	if open > 8 {
		t.Errorf("%d log descriptors open after 20,000 lines to distinct paths, want at most max=8", open)
	}
	if grown > 1<<20 {
		t.Errorf("the heap grew by %d KB over 9,000 log paths", grown>>10)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "off-9999.log")); err != nil || string(b) != "9999\n" {
		t.Errorf("off-9999.log: %q %v", b, err)
	}
}

// fdsUnder counts the process' descriptors open on files in dir.
func fdsUnder(t *testing.T, dir string) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(target, dir+"/") {
			n++
		}
	}
	return n
}

func heap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
