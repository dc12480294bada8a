// Package staticfs serves files as nginx's static, index and autoindex
// modules do, behind an open-file cache.
package staticfs

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
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
	// Precomputed header values.
	lastModified string
	etag         string
	// body is the whole file for small files, read once.
	body     []byte
	bodyOnce sync.Once
	bodyErr  error
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
}

// NewCache makes a cache of at most max entries.
func NewCache(max int) *Cache {
	return &Cache{entries: map[string]*fileInfo{}, max: max}
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
	return fi, nil
}

// Lookup returns the current information for path.
func (c *Cache) Lookup(path string) (*fileInfo, error) {
	c.mu.RLock()
	fi := c.entries[path]
	c.mu.RUnlock()
	if fi != nil {
		var st syscall.Stat_t
		if err := syscall.Stat(path, &st); err == nil && st.Mtim.Nano() == fi.mtimeNs &&
			st.Size == fi.size && st.Ino == fi.ino {
			c.Hits.Add(1)
			return fi, nil
		}
	}
	c.Misses.Add(1)
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
	return nfi, nil
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
