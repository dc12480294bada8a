// Package filecache is nginx's ngx_http_file_cache: a directory of cached
// responses named by the md5 of their key in nginx's levels layout, and
// the keys zone that indexes them, bounded by its size as nginx's shared
// memory zone is. The upstream modules (proxy, and fastcgi, uwsgi, scgi
// later) decide what to cache; this package stores, finds, locks and
// expires entries.
//
// An entry is written to a temporary file in the cache directory and
// renamed into place once complete, so a crash or a cut upstream never
// leaves a torn entry where a lookup finds it. A loader indexes what is on
// disk when a zone opens (in the background; lookups meanwhile find
// entries on disk all the same), and a manager removes entries not used
// for "inactive" and keeps max_size and min_free.
package filecache

import (
	"container/list"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"goproxy/confparse"
)

// nodeSize is what one key costs in the keys zone: nginx's
// ngx_http_file_cache_node_t with the slab allocator's rounding, which
// makes its documented "about 8 thousand keys" per megabyte.
const nodeSize = 128

// processToken names this process's temporary files: the loader removes
// those of an earlier process (a crash mid-write), never one being
// written now.
var processToken = strconv.FormatUint(rand.Uint64(), 36)

// Key is the md5 of a cache key, as nginx names entries.
type Key [md5.Size]byte

// KeyOf hashes a key text.
func KeyOf(s string) Key { return md5.Sum([]byte(s)) }

// Hex is the entry's file name.
func (k Key) Hex() string { return hex.EncodeToString(k[:]) }

// Zone is one cache path and its keys zone.
type Zone struct {
	Conf    *confparse.CacheZone
	maxKeys int

	mu    sync.Mutex
	nodes map[Key]*node
	lru   list.List // of *node, most recently used first
	size  int64     // bytes on disk of the entries indexed
	stop  chan struct{}
	done  sync.WaitGroup
	// loaded is closed when the loader has walked the directory.
	loaded chan struct{}
	// now is the clock, for tests.
	now func() time.Time
	// counts are the zone's request outcomes and bytes, for metrics.
	counts Counts
	heads  int // nodes with a head
}

// Counts are a zone's running totals: requests by cache status (as
// $upstream_cache_status says it) and body bytes sent from entries and
// written to them.
type Counts struct {
	mu       sync.Mutex
	byStatus map[string]int64
	Sent     atomic.Int64
	Stored   atomic.Int64
}

// Count records one request's cache status.
func (z *Zone) Count(status string) {
	c := &z.counts
	c.mu.Lock()
	if c.byStatus == nil {
		c.byStatus = map[string]int64{}
	}
	c.byStatus[status]++
	c.mu.Unlock()
}

// Statuses is a copy of the request counts by cache status.
func (z *Zone) Statuses() map[string]int64 {
	c := &z.counts
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.byStatus))
	for k, v := range c.byStatus {
		out[k] = v
	}
	return out
}

// Sent adds body bytes sent from the zone's entries.
func (z *Zone) Sent(n int64) { z.counts.Sent.Add(n) }

// Bytes are the body bytes sent from the zone's entries and committed
// to it.
func (z *Zone) Bytes() (sent, stored int64) {
	return z.counts.Sent.Load(), z.counts.Stored.Load()
}

// node is a key in the keys zone.
type node struct {
	key      Key
	elem     *list.Element
	uses     int
	exists   bool // an entry is on disk
	size     int64
	accessed time.Time
	// validUntil mirrors the entry's validity, so an expired entry is
	// known without opening it.
	validUntil time.Time
	// updating says a request is fetching the key (proxy_cache_lock,
	// use_stale updating); done is closed when it ends.
	updating bool
	lockedAt time.Time
	done     chan struct{}
	// head is the entry's decoded head while the zone keeps it
	// (maxHeads), so that a hit does not read and parse it again.
	head *decoded
}

// maxHeads bounds the decoded heads a zone keeps: the most recently
// used entries' (the keys zone may index far more entries than is worth
// keeping heads of in memory).
const maxHeads = 4096

// Open makes the cache directory, starts the loader and the manager.
func Open(c *confparse.CacheZone) (*Zone, error) {
	z := newZone(c)
	if err := os.MkdirAll(c.Path, 0o700); err != nil {
		return nil, err
	}
	z.stop, z.loaded = make(chan struct{}), make(chan struct{})
	z.done.Add(2)
	go z.load()
	go z.manage()
	return z, nil
}

func newZone(c *confparse.CacheZone) *Zone {
	z := &Zone{Conf: c, maxKeys: int(c.Size / nodeSize), nodes: map[Key]*node{}, now: time.Now}
	if z.maxKeys < 1 {
		z.maxKeys = 1
	}
	return z
}

// Close stops the zone's goroutines; entries stay on disk.
func (z *Zone) Close() {
	if z.stop != nil {
		close(z.stop)
		z.done.Wait()
		z.stop = nil
	}
}

// Path is where the entry of key lives: the levels' directories take
// their names from the end of the hex name, as in nginx.
func (z *Zone) Path(k Key) string {
	var name [2 * md5.Size]byte
	hex.Encode(name[:], k[:])
	var b strings.Builder
	b.Grow(len(z.Conf.Path) + 3*len(z.Conf.Levels) + 1 + len(name))
	b.WriteString(z.Conf.Path)
	end := len(name)
	for _, l := range z.Conf.Levels {
		b.WriteByte('/')
		b.Write(name[end-l : end])
		end -= l
	}
	b.WriteByte('/')
	b.Write(name[:])
	return b.String()
}

// touch finds or adds the node of k and marks it used now; with the
// zone full, the least recently used key is forced out with its entry.
// z.mu is held.
func (z *Zone) touch(k Key) *node {
	n := z.nodes[k]
	if n == nil {
		for len(z.nodes) >= z.maxKeys && z.evictOne(false) {
		}
		n = &node{key: k}
		n.elem = z.lru.PushFront(n)
		z.nodes[k] = n
	} else {
		z.lru.MoveToFront(n.elem)
	}
	n.accessed = z.now()
	return n
}

// evictOne removes the least recently used key that nobody is updating,
// and its entry; onlyEntries skips keys without one. z.mu is held.
func (z *Zone) evictOne(onlyEntries bool) bool {
	for e := z.lru.Back(); e != nil; e = e.Prev() {
		n := e.Value.(*node)
		if n.updating || (onlyEntries && !n.exists) {
			continue
		}
		z.remove(n)
		return true
	}
	return false
}

// setHead keeps (or with nil drops) the decoded head of n's entry; past
// maxHeads, those of the least recently used entries go. z.mu is held.
func (z *Zone) setHead(n *node, d *decoded) {
	if (n.head == nil) != (d == nil) {
		if d == nil {
			z.heads--
		} else {
			z.heads++
		}
	}
	n.head = d
	if z.heads <= maxHeads {
		return
	}
	for e := z.lru.Back(); e != nil && z.heads > maxHeads*3/4; e = e.Prev() {
		if o := e.Value.(*node); o.head != nil && o != n {
			o.head = nil
			z.heads--
		}
	}
}

// remove drops a node and its entry. z.mu is held.
func (z *Zone) remove(n *node) {
	z.setHead(n, nil)
	if n.exists {
		os.Remove(z.Path(n.key))
		z.size -= n.size
	}
	z.lru.Remove(n.elem)
	delete(z.nodes, n.key)
}

// Lookup is one request's view of a key.
type Lookup struct {
	z   *Zone
	n   *node
	Key Key
	// Uses counts the requests for the key while it was indexed, this
	// one included (proxy_cache_min_uses).
	Uses int
	// Entry is the entry on disk, fresh or not; nil when there is none.
	Entry *Entry
	// Updating says another request is fetching the key.
	Updating bool
	held     chan struct{} // the lock this lookup took
}

// Find looks a key up and opens its entry if there is one. The caller
// closes Entry when done with it.
func (z *Zone) Find(k Key) *Lookup {
	z.mu.Lock()
	n := z.touch(k)
	n.uses++
	lk := &Lookup{z: z, n: n, Key: k, Uses: n.uses}
	lk.Updating = n.updating && z.now().Sub(n.lockedAt) < time.Hour
	known := n.head
	z.mu.Unlock()
	e, d, err := readEntry(z.Path(k), known)
	if err != nil {
		if !os.IsNotExist(err) {
			os.Remove(z.Path(k)) // never served, never found again
		}
		z.mu.Lock()
		if n.exists && z.nodes[k] == n {
			n.exists = false
			z.size -= n.size
			n.size = 0
		}
		if z.nodes[k] == n {
			z.setHead(n, nil)
		}
		z.mu.Unlock()
		return lk
	}
	z.mu.Lock()
	if d != known && z.nodes[k] == n {
		z.setHead(n, d)
	}
	if !n.exists && z.nodes[k] == n {
		n.exists, n.size = true, diskSize(e.BodyOffset+e.BodySize)
		z.size += n.size
	}
	n.validUntil = e.ValidUntil
	z.mu.Unlock()
	lk.Entry = e
	return lk
}

// Zone is the zone the lookup was made in.
func (lk *Lookup) Zone() *Zone { return lk.z }

// Lock makes this request the one that fetches the key. When another one
// already does, since less than age, it returns a channel closed when
// that one is done, how long until its lock is past age, and false.
func (lk *Lookup) Lock(age time.Duration) (<-chan struct{}, time.Duration, bool) {
	z := lk.z
	z.mu.Lock()
	defer z.mu.Unlock()
	n := lk.n
	if held := z.now().Sub(n.lockedAt); n.updating && held < age {
		return n.done, age - held, false
	}
	if n.updating {
		close(n.done) // the old holder is past lock_age: waiters look again
	}
	n.updating, n.lockedAt, n.done = true, z.now(), make(chan struct{})
	lk.held = n.done
	return nil, 0, true
}

// MarkUpdating records that this request fetches the key without making
// others wait (use_stale updating).
func (lk *Lookup) MarkUpdating() bool {
	_, _, ok := lk.Lock(time.Hour)
	return ok
}

// Unlock ends this request's fetch: waiting requests look again.
func (lk *Lookup) Unlock() {
	z := lk.z
	z.mu.Lock()
	if lk.n.updating && lk.n.done == lk.held {
		lk.n.updating = false
		close(lk.n.done)
	}
	lk.held = nil
	z.mu.Unlock()
}

// Revalidated records a new validity for the entry after the upstream
// confirmed it (a 304 to a conditional request).
func (lk *Lookup) Revalidated(f Freshness, date time.Time) error {
	if lk.Entry != nil {
		lk.Entry.ValidUntil, lk.Entry.Date, lk.Entry.Stale = f.Until, date, f.Stale
	}
	lk.z.mu.Lock()
	lk.n.validUntil = f.Until
	lk.z.setHead(lk.n, nil)
	lk.z.mu.Unlock()
	return rewriteValidity(lk.z.Path(lk.Key), f.Until, date, f.Stale)
}

// Writer writes a new entry; Commit puts it in place, Abort drops it.
type Writer struct {
	lk   *Lookup
	f    *os.File
	tmp  string
	n    int64
	meta *Meta
	err  error
}

// Create starts writing the entry of the lookup's key.
func (lk *Lookup) Create(m *Meta) (*Writer, error) {
	z := lk.z
	tmp := z.Conf.Path + "/" + lk.Key.Hex() + "." + processToken + "." + strconv.FormatUint(rand.Uint64(), 36) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fileError("open()", tmp, err)
	}
	w := &Writer{lk: lk, f: f, tmp: tmp, meta: m}
	if err := encodeHead(w, m); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// Write adds body bytes.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	if err != nil {
		err = fileError("pwritev()", w.tmp, err)
	}
	w.err = err
	return n, err
}

// Abort removes the temporary file.
func (w *Writer) Abort() {
	if w.f != nil {
		w.f.Close()
		os.Remove(w.tmp)
		w.f = nil
	}
}

// Commit renames the complete entry into place and indexes it; the
// zone's max_size is kept right away.
func (w *Writer) Commit() error {
	if w.f == nil {
		return os.ErrClosed
	}
	err := w.err
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fileError("close()", w.tmp, cerr)
	}
	w.f = nil
	z := w.lk.z
	final := z.Path(w.lk.Key)
	if err == nil {
		err = rename(w.tmp, final)
	}
	if err != nil {
		os.Remove(w.tmp)
		return err
	}
	z.mu.Lock()
	n := z.nodes[w.lk.Key]
	if n == nil {
		n = z.touch(w.lk.Key)
	}
	if n.exists {
		z.size -= n.size
	}
	z.setHead(n, nil) // a new file
	n.exists, n.size, n.validUntil = true, diskSize(w.n), w.meta.ValidUntil
	z.size += n.size
	z.counts.Stored.Add(w.n)
	if max := z.Conf.MaxSize; max > 0 {
		for z.size > max && z.evictOne(true) {
		}
	}
	z.mu.Unlock()
	return nil
}

// rename puts a complete file in place, making its level directories
// when they are missing, as nginx's ngx_ext_rename_file: an error says
// which call failed in nginx's words.
func rename(tmp, final string) error {
	err := os.Rename(tmp, final)
	if errors.Is(err, fs.ErrNotExist) {
		if merr := os.MkdirAll(filepath.Dir(final), 0o700); merr != nil {
			dir := filepath.Dir(final)
			var pe *fs.PathError
			if errors.As(merr, &pe) {
				dir = pe.Path
			}
			return fileError("mkdir()", dir, merr)
		}
		err = os.Rename(tmp, final)
	}
	if err != nil {
		return fmt.Errorf("rename() \"%s\" to \"%s\" failed (%s)", tmp, final, confparse.ErrnoText(err))
	}
	return nil
}

// fileError is nginx's line for a failed file call: `open() "path"
// failed (13: Permission denied)`.
func fileError(call, path string, err error) error {
	return fmt.Errorf("%s \"%s\" failed (%s)", call, path, confparse.ErrnoText(err))
}

// diskSize rounds a length up to the file system blocks it takes, as
// nginx counts cache sizes.
func diskSize(n int64) int64 { return (n + 4095) &^ 4095 }

// Stats are a zone's numbers for metrics.
type Stats struct {
	Keys    int
	Entries int
	Size    int64
}

// Stats reports the keys and bytes the zone holds.
func (z *Zone) Stats() Stats {
	z.mu.Lock()
	defer z.mu.Unlock()
	s := Stats{Keys: len(z.nodes), Size: z.size}
	for _, n := range z.nodes {
		if n.exists {
			s.Entries++
		}
	}
	return s
}

// load indexes the entries on disk, a directory at a time, and removes
// temporary files a crash left behind (not those of writes under way).
func (z *Zone) load() {
	defer z.done.Done()
	defer close(z.loaded)
	filepath.WalkDir(z.Conf.Path, func(p string, d os.DirEntry, err error) error {
		select {
		case <-z.stop:
			return filepath.SkipAll
		default:
		}
		if err != nil || d.IsDir() {
			return nil
		}
		name := d.Name()
		if strings.HasSuffix(name, ".tmp") {
			if !strings.Contains(name, "."+processToken+".") {
				os.Remove(p)
			}
			return nil
		}
		b, err := hex.DecodeString(name)
		if err != nil || len(b) != md5.Size {
			return nil
		}
		var k Key
		copy(k[:], b)
		if z.Path(k) != p {
			return nil // not where this zone's levels put it
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		z.mu.Lock()
		if _, ok := z.nodes[k]; !ok && len(z.nodes) < z.maxKeys {
			n := z.touch(k)
			n.exists, n.size = true, diskSize(fi.Size())
			z.lru.MoveToBack(n.elem) // loaded entries go first
			z.size += n.size
		}
		z.mu.Unlock()
		return nil
	})
}

// manage is nginx's cache manager: entries unused for "inactive" go, and
// the least recently used ones while max_size or min_free is exceeded.
func (z *Zone) manage() {
	defer z.done.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-z.stop:
			return
		case <-t.C:
			z.expire()
		}
	}
}

// expire is one pass of the manager.
func (z *Zone) expire() {
	z.mu.Lock()
	defer z.mu.Unlock()
	now := z.now()
	for e := z.lru.Back(); e != nil; {
		n := e.Value.(*node)
		prev := e.Prev()
		if now.Sub(n.accessed) < z.Conf.Inactive {
			break
		}
		if !n.updating {
			z.remove(n)
		}
		e = prev
	}
	if max := z.Conf.MaxSize; max > 0 {
		for z.size > max && z.evictOne(true) {
		}
	}
	if z.Conf.MinFree > 0 {
		for i := 0; i < z.Conf.ManagerFiles && freeSpace(z.Conf.Path) < z.Conf.MinFree && z.evictOne(true); i++ {
		}
	}
}

// freeSpace is the space left on the cache's file system.
func freeSpace(path string) int64 {
	var s syscall.Statfs_t
	if syscall.Statfs(path, &s) != nil {
		return 1 << 62
	}
	return int64(s.Bavail) * int64(s.Bsize)
}
