package filecache

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"goproxy/confparse"
)

func TestValidity(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	valid := []*confparse.CacheValid{{Codes: []int{200}, Time: time.Minute}, {Time: time.Hour}}
	cases := []struct {
		name   string
		status int
		h      http.Header
		ignore string
		want   time.Duration // 0: not cached
	}{
		{"valid list", 200, http.Header{}, "", time.Minute},
		{"any", 404, http.Header{}, "", time.Hour},
		{"max-age", 200, http.Header{"Cache-Control": {"max-age=5"}}, "", 5 * time.Second},
		{"s-maxage wins", 200, http.Header{"Cache-Control": {"max-age=5, s-maxage=10"}}, "", 10 * time.Second},
		{"max-age=0", 200, http.Header{"Cache-Control": {"max-age=0"}}, "", 0},
		{"no-cache", 200, http.Header{"Cache-Control": {"no-cache"}}, "", 0},
		{"private", 200, http.Header{"Cache-Control": {"private, max-age=60"}}, "", 0},
		{"no-store ignored", 200, http.Header{"Cache-Control": {"no-store"}}, "Cache-Control", time.Minute},
		{"accel first", 200, http.Header{"X-Accel-Expires": {"7"}, "Cache-Control": {"no-cache"}}, "", 7 * time.Second},
		{"accel 0", 200, http.Header{"X-Accel-Expires": {"0"}}, "", 0},
		{"accel absolute", 200, http.Header{"X-Accel-Expires": {"@1000100"}}, "", 100 * time.Second},
		{"expires", 200, http.Header{"Expires": {now.Add(30 * time.Second).UTC().Format(http.TimeFormat)}}, "", 30 * time.Second},
		{"expires past", 200, http.Header{"Expires": {now.Add(-time.Second).UTC().Format(http.TimeFormat)}}, "", 0},
		{"cache-control before expires", 200, http.Header{"Cache-Control": {"max-age=3"},
			"Expires": {now.Add(30 * time.Second).UTC().Format(http.TimeFormat)}}, "", 3 * time.Second},
		{"set-cookie", 200, http.Header{"Set-Cookie": {"a=b"}}, "", 0},
		{"set-cookie ignored", 200, http.Header{"Set-Cookie": {"a=b"}}, "Set-Cookie", time.Minute},
		{"vary star", 200, http.Header{"Vary": {"Accept, *"}}, "", 0},
		{"vary", 200, http.Header{"Vary": {"Accept"}}, "", time.Minute},
		{"vary too long", 200, http.Header{"Vary": {strings.Repeat("X", 129)}}, "", 0},
	}
	for _, c := range cases {
		ign := func(h string) bool { return strings.EqualFold(h, c.ignore) }
		f, ok := Validity(c.status, c.h, valid, ign, now)
		if c.want == 0 {
			if ok {
				t.Errorf("%s: cached until %v, want not cached", c.name, f.Until)
			}
			continue
		}
		if !ok || f.Until.Sub(now) != c.want {
			t.Errorf("%s: got %v %v, want %v", c.name, f.Until.Sub(now), ok, c.want)
		}
	}
}

func TestStaleWindows(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	valid := []*confparse.CacheValid{{Codes: []int{200}, Time: time.Minute}}
	cases := []struct {
		cc       string
		ok       bool
		until    time.Duration
		swr, sie time.Duration
	}{
		{"max-age=1, stale-while-revalidate=10", true, time.Second, 10 * time.Second, 10 * time.Second},
		{"max-age=1, stale-if-error=5", true, time.Second, 0, 5 * time.Second},
		{"stale-if-error=3, max-age=2, stale-while-revalidate=7", true, 2 * time.Second, 7 * time.Second, 3 * time.Second},
		// Without a time of its own the list's applies, windows kept.
		{"stale-while-revalidate=10", true, time.Minute, 10 * time.Second, 10 * time.Second},
		{"max-age=1, stale-while-revalidate=1x", false, 0, 0, 0},
	}
	for _, c := range cases {
		f, ok := Validity(200, http.Header{"Cache-Control": {c.cc}}, valid, nil, now)
		if ok != c.ok || (ok && (f.Until.Sub(now) != c.until || f.WhileRevalidate != c.swr || f.IfError != c.sie)) {
			t.Errorf("%q: got %v %v %+v", c.cc, ok, f.Until.Sub(now), f.Stale)
		}
	}
}

func TestRevalidationFallsBackToStoredHeaders(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	m := &Meta{Status: 200, Header: http.Header{"Cache-Control": {"max-age=1, stale-while-revalidate=10"}}}
	// A 304 without a time of its own: the stored head counts again,
	// from now.
	f, ok := Revalidation(m, http.Header{}, nil, nil, now)
	if !ok || f.Until != now.Add(time.Second) || f.WhileRevalidate != 10*time.Second {
		t.Fatalf("stored head: %v %v %+v", ok, f.Until.Sub(now), f.Stale)
	}
	f, ok = Revalidation(m, http.Header{"Cache-Control": {"max-age=5"}}, nil, nil, now)
	if !ok || f.Until != now.Add(5*time.Second) || f.WhileRevalidate != 0 {
		t.Fatalf("the 304's own: %v %v %+v", ok, f.Until.Sub(now), f.Stale)
	}
	m.Header = http.Header{}
	valid := []*confparse.CacheValid{{Codes: []int{200}, Time: time.Minute}}
	if f, ok = Revalidation(m, http.Header{}, valid, nil, now); !ok || f.Until != now.Add(time.Minute) {
		t.Fatalf("valid list: %v %v", ok, f.Until.Sub(now))
	}
	if _, ok = Revalidation(m, http.Header{}, nil, nil, now); ok {
		t.Fatal("nothing gives a time: the entry stays as it was")
	}
}

func testZone(t *testing.T, size int64) *Zone {
	dir := t.TempDir()
	z, err := Open(&confparse.CacheZone{Name: "z", Path: dir, Levels: []int{1, 2}, Size: size, Inactive: time.Hour, ManagerFiles: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Close)
	return z
}

func store(t *testing.T, z *Zone, key, body string) {
	t.Helper()
	lk := z.Find(KeyOf(key))
	w, err := lk.Create(&Meta{Key: key, ValidUntil: time.Now().Add(time.Minute), Date: time.Now(), Status: 200,
		Reason: "OK", Header: http.Header{"Content-Type": {"text/plain"}, "X-Multi": {"a", "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, body)
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestEntryRoundTripAndLayout(t *testing.T) {
	z := testZone(t, 1<<20)
	store(t, z, "http://a/x", "hello world")
	k := KeyOf("http://a/x")
	hex := k.Hex()
	want := filepath.Join(z.Conf.Path, hex[31:], hex[29:31], hex)
	if z.Path(k) != want {
		t.Fatalf("path %s, want nginx's levels layout %s", z.Path(k), want)
	}
	lk := z.Find(k)
	e := lk.Entry
	if e == nil {
		t.Fatal("entry not found")
	}
	defer e.Close()
	b, _ := io.ReadAll(e.Body(0, e.BodySize))
	if string(b) != "hello world" || e.Key != "http://a/x" || e.Status != 200 || e.Reason != "OK" {
		t.Fatalf("read back %q %q %d %q", b, e.Key, e.Status, e.Reason)
	}
	if got := e.Header["X-Multi"]; len(got) != 2 || got[1] != "b" {
		t.Fatalf("header lines %v", got)
	}
	part, _ := io.ReadAll(e.Body(6, 5))
	if string(part) != "world" {
		t.Fatalf("range read %q", part)
	}
	// A revalidation rewrites the validity in place.
	until := time.Unix(2_000_000_000, 0)
	f := Freshness{Until: until, Stale: Stale{WhileRevalidate: 7 * time.Second, IfError: 9 * time.Second}}
	if err := lk.Revalidated(f, time.Unix(1_900_000_000, 0)); err != nil {
		t.Fatal(err)
	}
	e2 := z.Find(k).Entry
	defer e2.Close()
	if !e2.ValidUntil.Equal(until) || e2.BodySize != 11 || e2.Stale != f.Stale {
		t.Fatalf("after revalidation: %v %+v size %d", e2.ValidUntil, e2.Stale, e2.BodySize)
	}
}

func TestCrashMidWriteLeavesNoEntry(t *testing.T) {
	z := testZone(t, 1<<20)
	lk := z.Find(KeyOf("k"))
	w, err := lk.Create(&Meta{Key: "k", ValidUntil: time.Now().Add(time.Minute), Status: 200, Header: http.Header{}})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "half a bo")
	// The process dies here: no Commit, no Abort. Nothing is found.
	if e := z.Find(KeyOf("k")).Entry; e != nil {
		t.Fatal("a torn entry was found")
	}
	// A restart's loader removes the temporary file; one of this
	// process is a write under way, which it leaves alone.
	z.Close()
	z2, err := Open(z.Conf)
	if err != nil {
		t.Fatal(err)
	}
	waitLoaded(z2)
	z2.Close()
	if m, _ := filepath.Glob(z.Conf.Path + "/*.tmp"); len(m) != 1 {
		t.Fatalf("a write under way was removed: %v", m)
	}
	old := processToken
	processToken = "restarted"
	defer func() { processToken = old }()
	z2, err = Open(z.Conf)
	if err != nil {
		t.Fatal(err)
	}
	defer z2.Close()
	waitLoaded(z2)
	filepath.WalkDir(z.Conf.Path, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("left on disk: %s", p)
		}
		return nil
	})
	// A torn file in place (written by something else) is never served.
	p := z2.Path(KeyOf("k"))
	os.MkdirAll(filepath.Dir(p), 0o700)
	os.WriteFile(p, []byte("GPCACHE2 0000"), 0o600)
	if e := z2.Find(KeyOf("k")).Entry; e != nil {
		t.Fatal("a truncated entry was served")
	}
}

// waitLoaded waits for the zone's loader to finish.
func waitLoaded(z *Zone) { <-z.loaded }

func TestReloadReadsEntriesBack(t *testing.T) {
	z := testZone(t, 1<<20)
	store(t, z, "a", "AAA")
	store(t, z, "b", "BBBB")
	z.Close()
	z2, err := Open(z.Conf)
	if err != nil {
		t.Fatal(err)
	}
	defer z2.Close()
	waitLoaded(z2)
	if s := z2.Stats(); s.Entries != 2 || s.Size != 2*4096 {
		t.Fatalf("loader indexed %+v", s)
	}
	e := z2.Find(KeyOf("b")).Entry
	if e == nil {
		t.Fatal("entry lost across a restart")
	}
	defer e.Close()
	b, _ := io.ReadAll(e.Body(0, e.BodySize))
	if string(b) != "BBBB" {
		t.Fatalf("got %q", b)
	}
}

func TestKeysZoneBounded(t *testing.T) {
	z := testZone(t, 8192) // 64 keys
	for i := 0; i < 1000; i++ {
		store(t, z, "key"+string(rune('a'+i%26))+strings.Repeat("x", i/26), "v")
	}
	s := z.Stats()
	if s.Keys > 64 || s.Entries > 64 {
		t.Fatalf("keys zone holds %+v, want at most 64", s)
	}
	n := 0
	filepath.WalkDir(z.Conf.Path, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	if n != s.Entries {
		t.Fatalf("%d files on disk for %d entries", n, s.Entries)
	}
}

func TestMaxSizeAndInactive(t *testing.T) {
	z := testZone(t, 1<<20)
	z.Conf.MaxSize = 3 * 4096
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		store(t, z, k, "v")
	}
	if s := z.Stats(); s.Size > z.Conf.MaxSize {
		t.Fatalf("size %d over max_size %d", s.Size, z.Conf.MaxSize)
	}
	if z.Find(KeyOf("a")).Entry != nil {
		t.Fatal("the least recently used entry was kept")
	}
	now := time.Now()
	z.now = func() time.Time { return now.Add(2 * time.Hour) }
	z.expire()
	if s := z.Stats(); s.Entries != 0 || s.Keys != 0 {
		t.Fatalf("inactive entries kept: %+v", s)
	}
}

func TestLock(t *testing.T) {
	z := testZone(t, 1<<20)
	a := z.Find(KeyOf("k"))
	if _, _, ok := a.Lock(time.Second); !ok {
		t.Fatal("first lock refused")
	}
	b := z.Find(KeyOf("k"))
	ch, left, ok := b.Lock(time.Second)
	if ok || left <= 0 || left > time.Second {
		t.Fatalf("second lock: ok %v left %v", ok, left)
	}
	a.Unlock()
	select {
	case <-ch:
	case <-time.After(time.Second):
		t.Fatal("waiter not woken")
	}
	if _, _, ok := b.Lock(time.Second); !ok {
		t.Fatal("lock not free after unlock")
	}
}

func TestVariant(t *testing.T) {
	h1 := http.Header{"Accept-Encoding": {"gzip"}}
	h2 := http.Header{"Accept-Encoding": {"br"}}
	if Variant("Accept-Encoding", h1) == Variant("Accept-Encoding", h2) {
		t.Fatal("different values, same variant")
	}
	if Variant("accept-encoding", h1) != Variant("Accept-Encoding", h1) {
		t.Fatal("header name case changes the variant")
	}
	if Variant("Accept", http.Header{"Accept": {"foo, bar"}}) != Variant("Accept", http.Header{"Accept": {"foo,,  ,bar , "}}) ||
		Variant("Accept", http.Header{"Accept": {"foo,bar"}}) == Variant("Accept", http.Header{"Accept": {"foobar"}}) {
		t.Fatal("whitespace is not normalized as nginx does")
	}
	if Variant("", h1) != "" {
		t.Fatal("no Vary, yet a variant")
	}
}

// TestHeadKeptUntilTheFileChanges: a hit reuses the decoded head of the
// entry it found before, and a new entry at the key is read afresh.
func TestHeadKeptUntilTheFileChanges(t *testing.T) {
	z := testZone(t, 1<<20)
	k := KeyOf("k")
	put := func(v string) {
		lk := z.Find(k)
		lk.Entry.Close()
		w, err := lk.Create(&Meta{Key: "k", ValidUntil: time.Now().Add(time.Minute), Status: 200, Reason: "OK",
			Header: http.Header{"X-V": {v}}})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "body "+v)
		w.Commit()
	}
	get := func() (string, string) {
		e := z.Find(k).Entry
		if e == nil {
			t.Fatal("no entry")
		}
		defer e.Close()
		b, _ := io.ReadAll(e.Body(0, e.BodySize))
		return e.Header.Get("X-V"), string(b)
	}
	put("1")
	get()
	if z.nodes[k].head == nil {
		t.Fatal("the head was not kept")
	}
	if v, b := get(); v != "1" || b != "body 1" {
		t.Fatalf("kept head: %q %q", v, b)
	}
	put("22")
	if v, b := get(); v != "22" || b != "body 22" {
		t.Fatalf("after a new entry: %q %q", v, b)
	}
}
