package logging

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"goproxy/confparse"
)

// writes records each write the buffer makes.
type writes struct {
	mu sync.Mutex
	w  [][]byte
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.w = append(w.w, append([]byte(nil), p...))
	return len(p), nil
}

func (w *writes) all() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([][]byte(nil), w.w...)
}

// TestBufferWritesWhenFull: lines wait until the next does not fit, then
// go out in one write; a line longer than the buffer goes out alone.
func TestBufferWritesWhenFull(t *testing.T) {
	var out writes
	b := newBufferedLog(&out, 16, 0, 0)
	b.Write([]byte("aaaaa\n"))
	b.Write([]byte("bbbbb\n"))
	if n := len(out.all()); n != 0 {
		t.Fatalf("%d writes before the buffer filled", n)
	}
	b.Write([]byte("ccccc\n")) // 18 > 16: the first two go out
	b.Write([]byte(strings.Repeat("x", 20) + "\n"))
	b.stop()
	want := []string{"aaaaa\nbbbbb\n", "ccccc\n", strings.Repeat("x", 20) + "\n"}
	got := out.all()
	if len(got) != len(want) {
		t.Fatalf("writes %q, want %q", got, want)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("write %d: %q, want %q", i, got[i], want[i])
		}
	}
}

// TestBufferGzipMembers: with gzip each write is a gzip member of its
// own, and the whole reads back as one stream, as zcat reads it.
func TestBufferGzipMembers(t *testing.T) {
	var out writes
	b := newBufferedLog(&out, 64, 0, 1)
	var want strings.Builder
	for i := range 20 {
		line := strings.Repeat(string(rune('a'+i)), 10) + "\n"
		want.WriteString(line)
		b.Write([]byte(line))
	}
	b.stop()
	got := out.all()
	if len(got) < 4 {
		t.Fatalf("%d writes for 220 bytes through a 64-byte buffer", len(got))
	}
	for i, w := range got {
		zr, err := gzip.NewReader(bytes.NewReader(w))
		if err != nil {
			t.Fatalf("write %d is not a gzip member: %v", i, err)
		}
		zr.Multistream(false)
		if _, err := io.ReadAll(zr); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(bytes.Join(got, nil)))
	if err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(zr)
	if err != nil || string(all) != want.String() {
		t.Errorf("read back %q (%v), want %q", all, err, want.String())
	}
}

// TestBufferFlushTimer: flush= writes out a buffer that does not fill.
func TestBufferFlushTimer(t *testing.T) {
	var out writes
	b := newBufferedLog(&out, 1<<20, 20*time.Millisecond, 0)
	defer b.stop()
	b.Write([]byte("one\n"))
	for deadline := time.Now().Add(10 * time.Second); len(out.all()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("flush= never wrote the buffer out")
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.Write([]byte("two\n")) // into the empty buffer: the timer again
	for deadline := time.Now().Add(10 * time.Second); len(out.all()) < 2; {
		if time.Now().After(deadline) {
			t.Fatal("flush= did not write out the second line")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := out.all(); string(got[0]) != "one\n" || string(got[1]) != "two\n" {
		t.Errorf("writes %q", got)
	}
}

// TestSinkGzipFile goes through the access log's sink to a file: a
// reload (another reference released) writes the buffer out, the last
// release too, and the file reads back with a gzip reader.
func TestSinkGzipFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log.gz")
	tmpl := &confparse.Template{Raw: path, Parts: []confparse.Part{{Lit: path}}}
	al := &confparse.AccessLog{Path: tmpl, Format: "combined", Buffer: 64 << 10, Gzip: 5}
	old, err := OpenSink(al)
	if err != nil {
		t.Fatal(err)
	}
	old.Line([]byte("first"))
	cur, err := OpenSink(al) // the reloaded configuration
	if err != nil {
		t.Fatal(err)
	}
	old.Release()
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("the buffer was not written out when the old configuration went: %v", err)
	}
	cur.Line([]byte("second"))
	cur.Release()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil || string(b) != "first\nsecond\n" {
		t.Errorf("read back %q (%v)", b, err)
	}
}
