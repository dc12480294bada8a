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
	fi := &fileInfo{path: path, size: st.Size, ino: st.Ino}
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
	return fi, nil
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
		if err := syscall.Stat(path, &st); err == nil && st.Mtim.Nano() == fi.mtimeNs &&
			st.Size == fi.size && st.Ino == fi.ino {
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
	c.mu.Lock()
	if len(c.entries) >= c.max {
		// Drop an arbitrary entry; nginx drops the least recently used.
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[path] = nfi
	c.mu.Unlock()
	if watched && c.watch.generation(dir) == gen {
		nfi.verified.Store(time.Now().UnixNano())
		nfi.watched.Store(true)
	}
	return nfi, nil
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
		if err == nil && int64(len(b)) != fi.size {
			err = errors.New("file changed while reading")
		}
		fi.body, fi.bodyErr = b, err
	})
	return fi.body, fi.bodyErr
}

// Describe implements prometheus.Collector for the cache's counters.
func (c *Cache) Describe(ch chan<- *prometheus.Desc) { ch <- metrics.FileCache }

// Collect implements prometheus.Collector.
func (c *Cache) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(metrics.FileCache, prometheus.CounterValue, float64(c.Hits.Load()), "hit")
	ch <- prometheus.MustNewConstMetric(metrics.FileCache, prometheus.CounterValue, float64(c.Misses.Load()), "miss")
}
