package logging

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"goproxy/confparse"
)

// TestFileCacheInactive: a file not written for inactive= is closed at a
// later lookup (nginx expires at lookups, two entries at a time), and
// max= bounds what stays open; a file written again stays.
func TestFileCacheInactive(t *testing.T) {
	dir := t.TempDir()
	c := NewFileCache(&confparse.LogFileCache{Max: 2, Inactive: 50 * time.Millisecond, MinUses: 1, Valid: time.Minute})
	defer c.Close()
	path := func(n string) string { return filepath.Join(dir, n+".log") }
	write := func(n string) {
		t.Helper()
		if err := c.write(path(n), []byte(n+"\n")); err != nil {
			t.Fatal(err)
		}
	}
	open := func(n string) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		el, ok := c.files[path(n)]
		return ok && el.Value.(*cachedFile).f != nil
	}
	write("a")
	write("b")
	if !open("a") || !open("b") {
		t.Fatal("the first two files are not kept open")
	}
	write("c") // max=2: the least recently used goes
	if open("a") || !open("c") {
		t.Errorf("max=2: a open %v, c open %v", open("a"), open("c"))
	}
	time.Sleep(120 * time.Millisecond)
	write("c")
	if open("b") || !open("c") {
		t.Errorf("after inactive=: b open %v (want closed), c open %v", open("b"), open("c"))
	}
	for _, n := range []string{"a", "b", "c"} {
		if b, _ := os.ReadFile(path(n)); len(b) == 0 {
			t.Errorf("%s.log is empty", n)
		}
	}
}
