package stream

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"goproxy/confparse"
)

// openFiles lists the paths this process holds open.
func openFiles(t *testing.T) map[string]bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	out := map[string]bool{}
	for _, e := range ents {
		if p, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			out[p] = true
		}
	}
	return out
}

func loadRuntime(t *testing.T, dir, conf string) *Runtime {
	t.Helper()
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := confparse.Load(confparse.Options{Path: path, Prefix: dir + "/", NoUserLookup: true})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// TestReloadClosesOldLogsWhenSessionsEnd: after a reload the old
// configuration's access log stays open while a session begun on it
// runs (it logs there when it ends, as an old nginx worker does), and is
// closed as soon as that session has ended.
func TestReloadClosesOldLogsWhenSessionsEnd(t *testing.T) {
	dir := t.TempDir()
	back, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	go func() {
		for {
			c, err := back.Accept()
			if err != nil {
				return
			}
			go func() { b := make([]byte, 1); c.Read(b); c.Close() }()
		}
	}()
	// nginxtest.FreePort's package imports this one.
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := probe.Addr().(*net.TCPAddr).Port
	probe.Close()
	conf := func(log string) string {
		return fmt.Sprintf("events {}\nstream {\n log_format s \"$protocol $status\";\n server { listen 127.0.0.1:%d; proxy_pass %s; access_log %s/%s s; }\n}\n",
			port, back.Addr(), dir, log)
	}
	oldLog, newLog := filepath.Join(dir, "old.log"), filepath.Join(dir, "new.log")
	ls := NewListeners()
	defer ls.Close(t.Context(), false)
	if err := ls.Apply(loadRuntime(t, dir, conf("old.log"))); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(100 * time.Millisecond) // the session is accepted on the old runtime
	if err := ls.Apply(loadRuntime(t, dir, conf("new.log"))); err != nil {
		t.Fatal(err)
	}
	if open := openFiles(t); !open[oldLog] || !open[newLog] {
		t.Fatalf("with a session on the old configuration: old log open %v, new log open %v", open[oldLog], open[newLog])
	}
	c.Write([]byte("x")) // the backend closes: the session ends
	deadline := time.Now().Add(3 * time.Second)
	for openFiles(t)[oldLog] {
		if time.Now().After(deadline) {
			t.Fatal("the old log is still open after its last session ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b, _ := os.ReadFile(oldLog); !strings.Contains(string(b), "TCP 200") {
		t.Errorf("old log = %q; want the session's line", b)
	}
	if !openFiles(t)[newLog] {
		t.Error("the new log was closed")
	}
}
