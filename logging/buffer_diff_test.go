package logging_test

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
	"goproxy/logging"
)

const gzipConf = `events {}
http {
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        access_log {{DIR}}/gz.log combined gzip=6;
    }
}
`

// TestBufferedLogWrittenOnReloadAndReopen: a gzip access log (64k
// buffer, no flush=) holds its lines until a reload, then until the
// logs are reopened (USR1); what nginx and goproxy wrote reads back
// through a gzip reader as the same lines.
func TestBufferedLogWrittenOnReloadAndReopen(t *testing.T) {
	p := nginxtest.Start(t, gzipConf, nginxtest.Options{Files: map[string]string{"a": "x"}})
	signal := func(s *nginxtest.Server, sig syscall.Signal) {
		if s == p.Go {
			if sig == syscall.SIGHUP {
				if err := s.Proc.Reload(); err != nil {
					t.Fatal(err)
				}
			} else if err := logging.Reopen(); err != nil {
				t.Fatal(err)
			}
			return
		}
		b, err := os.ReadFile(filepath.Join(s.Dir, "run.pid"))
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		syscall.Kill(pid, sig)
	}
	for i, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1} {
		p.Both(t, nginxtest.Get("/a?n="+strconv.Itoa(i), "User-Agent: test"))
		time.Sleep(100 * time.Millisecond)
		for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
			if got := gunzipLines(t, filepath.Join(s.Dir, "gz.log"), s.Ports[0]); len(got) != i {
				t.Errorf("%s: %d lines before signal %d, want %d (the buffer holds the new one)", s.Name, len(got), sig, i)
			}
			signal(s, sig)
		}
		var ng, gp []string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			ng = gunzipLines(t, filepath.Join(p.Nginx.Dir, "gz.log"), p.Nginx.Ports[0])
			gp = gunzipLines(t, filepath.Join(p.Go.Dir, "gz.log"), p.Go.Ports[0])
			if len(ng) == i+1 && len(gp) == i+1 {
				break
			}
		}
		if strings.Join(ng, "\n") != strings.Join(gp, "\n") || len(ng) != i+1 {
			t.Errorf("after signal %d:\nnginx:\n%s\ngoproxy:\n%s", sig, strings.Join(ng, "\n"), strings.Join(gp, "\n"))
		}
	}
}

// gunzipLines reads a gzip log back (as zcat would) into normalised lines.
func gunzipLines(t *testing.T, path string, port int) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if st, _ := f.Stat(); st.Size() == 0 {
		return nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s := stamp.ReplaceAllString(string(b), "[TIME]")
	s = strings.ReplaceAll(s, ":"+strconv.Itoa(port), ":PORT")
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
