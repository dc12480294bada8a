// Package staticfs serves files as nginx's static, index and autoindex
// modules do, behind an open-file cache.
package staticfs

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"goproxy/metrics"
)

// fileInfo is what the cache keeps of a path: nginx's open_file_cache
// entry plus the headers derived from it and, for small files, the body.
type fileInfo struct {
	path    string
	isDir   bool
	regular bool
	size    int64
	mtime   time.Time
	mtimeNs int64
	ino     uint64
	// mode, uid and gid are compared too: a chmod or chown decides
	// whether the file can still be read.
	mode     uint32
	uid, gid uint32
	// Precomputed header values, and the same as one-element header
	// slices (cap == len, so a filter that appends copies them first)
	// that every response for the file shares.
	lastModified string
	etag         string
	hLastMod     []string
	hETag        []string
	hLength      []string
	// body is the whole file for small files, read once.
	body     []byte
	bodyOnce sync.Once
	bodyErr  error
	// watched says inotify reports changes to the file; verified is when
	// it was last known current (unix nanoseconds).
	watched  atomic.Bool
	verified atomic.Int64
}

// smallFile is the size up to which bodies are kept in memory.
const smallFile = 64 << 10

// Cache is an open-file cache validated by modification time, size and
// inode: an entry is reused only while the file on disk still matches,
// which each request checks with one stat() unless "valid" allows it to
// skip the check for a while.
type Cache struct {
	mu      sync.RWMutex
	entries map[string]*fileInfo
	max     int
	// Hits and Misses count lookups, for metrics.
	Hits, Misses atomic.Int64
	watch        *watcher // nil without inotify
	listings     map[string]*listing
}

// NewCache makes a cache of at most max entries.
func NewCache(max int) *Cache {
	c := &Cache{entries: map[string]*fileInfo{}, listings: map[string]*listing{}, max: max}
	c.watch = newWatcher(c.drop)
	return c
}

// errnoOf extracts the errno of a failed stat/open.
func errnoOf(err error) syscall.Errno {
	var no syscall.Errno
	if errors.As(err, &no) {
		return no
	}
	return 0
}

func statPath(path string) (*fileInfo, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return newInfo(path, &st), nil
}

// same reports whether st still describes the file fi was made from.
func (fi *fileInfo) same(st *syscall.Stat_t) bool {
	return st.Mtim.Nano() == fi.mtimeNs && st.Size == fi.size && st.Ino == fi.ino &&
		st.Mode == fi.mode && st.Uid == fi.uid && st.Gid == fi.gid
}

func newInfo(path string, st *syscall.Stat_t) *fileInfo {
	fi := &fileInfo{path: path, size: st.Size, ino: st.Ino, mode: st.Mode, uid: st.Uid, gid: st.Gid}
	fi.mtimeNs = st.Mtim.Nano()
	fi.mtime = time.Unix(st.Mtim.Sec, st.Mtim.Nsec)
	mode := st.Mode & syscall.S_IFMT
	fi.isDir = mode == syscall.S_IFDIR
	fi.regular = mode == syscall.S_IFREG
	fi.lastModified = time.Unix(st.Mtim.Sec, 0).UTC().Format(http.TimeFormat)
	fi.etag = `"` + strconv.FormatInt(st.Mtim.Sec, 16) + "-" + strconv.FormatInt(st.Size, 16) + `"`
	fi.hLastMod = []string{fi.lastModified}
	fi.hETag = []string{fi.etag}
	fi.hLength = []string{strconv.FormatInt(st.Size, 10)}
	return fi
}

// recheck is how long a watched entry is trusted without a stat().
const recheck = time.Second

// Lookup returns the current information for path.
func (c *Cache) Lookup(path string) (*fileInfo, error) {
	c.mu.RLock()
	fi := c.entries[path]
	c.mu.RUnlock()
	if fi != nil {
		now := time.Now().UnixNano()
		if fi.watched.Load() && now-fi.verified.Load() < int64(recheck) {
			c.Hits.Add(1)
			return fi, nil
		}
		var st syscall.Stat_t
		if err := syscall.Stat(path, &st); err == nil && fi.same(&st) {
			fi.verified.Store(now)
			c.Hits.Add(1)
			return fi, nil
		}
	}
	c.Misses.Add(1)
	// The directory is watched before the stat, and its change count
	// compared after: a change in between leaves the entry unverified.
	dir := filepath.Dir(path)
	watched, gen := false, uint64(0)
	if c.watch != nil {
		watched, gen = c.watch.watch(dir)
	}
	nfi, err := statPath(path)
	if err != nil {
		if fi != nil {
			c.mu.Lock()
			delete(c.entries, path)
			c.mu.Unlock()
		}
		return nil, err
	}
	c.store(path, nfi)
	if watched && c.watch.generation(dir) == gen {
		nfi.verified.Store(time.Now().UnixNano())
		nfi.watched.Store(true)
	}
	return nfi, nil
}

func (c *Cache) store(path string, fi *fileInfo) {
	c.mu.Lock()
	if len(c.entries) >= c.max {
		// Drop an arbitrary entry; nginx drops the least recently used.
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[path] = fi
	c.mu.Unlock()
}

// remember returns the entry for path as st (an fstat of a descriptor
// opened by the caller) describes it: the cached one while it is the
// same file, else a new one.
func (c *Cache) remember(path string, st *syscall.Stat_t) *fileInfo {
	c.mu.RLock()
	fi := c.entries[path]
	c.mu.RUnlock()
	if fi != nil && fi.same(st) {
		c.Hits.Add(1)
		return fi
	}
	c.Misses.Add(1)
	fi = newInfo(path, st)
	c.store(path, fi)
	return fi
}

// drop forgets a path (exact) or every path under a directory prefix.
func (c *Cache) drop(p string, exact bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if exact {
		delete(c.entries, p)
		return
	}
	for k := range c.entries {
		if strings.HasPrefix(k, p) {
			delete(c.entries, k)
		}
	}
	for k := range c.listings {
		if strings.HasPrefix(k+"/", p) {
			delete(c.listings, k)
		}
	}
}

// Body returns the whole content of a small regular file, read once per
// cache entry.
func (fi *fileInfo) Body() ([]byte, error) {
	fi.bodyOnce.Do(func() {
		b, err := os.ReadFile(fi.path)
		fi.setBody(b, err)
	})
	return fi.body, fi.bodyErr
}

// loadBody reads the body of a small file from fd, a descriptor of the
// file fi describes, unless it is known already.
func (fi *fileInfo) loadBody(fd int) {
	fi.bodyOnce.Do(func() {
		b := make([]byte, fi.size)
		n, err := syscall.Pread(fd, b, 0)
		if err != nil {
			err = &os.PathError{Op: "pread", Path: fi.path, Err: err}
		}
		fi.setBody(b[:max(n, 0)], err)
	})
}

func (fi *fileInfo) setBody(b []byte, err error) {
	if err == nil && int64(len(b)) != fi.size {
		err = errors.New("file changed while reading")
	}
	fi.body, fi.bodyErr = b, err
}

// Describe implements prometheus.Collector for the cache's counters.
func (c *Cache) Describe(ch chan<- *prometheus.Desc) { ch <- metrics.FileCache }

// Collect implements prometheus.Collector.
func (c *Cache) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(metrics.FileCache, prometheus.CounterValue, float64(c.Hits.Load()), "hit")
	ch <- prometheus.MustNewConstMetric(metrics.FileCache, prometheus.CounterValue, float64(c.Misses.Load()), "miss")
}
