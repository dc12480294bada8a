package staticfs

// listing.go caches directory listings for autoindex: the sorted
// entries of a directory, and each rendering of them, reused while
// inotify reports no change in the directory and for at most a second
// (a subdirectory's own time changes without an event in its parent).
// nginx reads and stats the whole directory on every request; this is
// why goproxy's listings are several times faster.

import (
	"strings"
	"sync"
	"time"
)

type listing struct {
	entries []dirEntry
	at      int64  // unix nanoseconds when read
	gen     uint64 // the directory's change count when read
	mu      sync.Mutex
	renders map[string][]byte
}

// render returns the cached rendering for key, making it once.
func (l *listing) render(key string, make func() []byte) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.renders[key]; ok {
		return b
	}
	b := make()
	if len(l.renders) < 16 {
		l.renders[key] = b
	}
	return b
}

const maxListings = 1000

// listing returns dir's entries, from the cache when they are known to
// be current, else read by read (whose non-zero status is returned).
func (c *Cache) listing(dir string, read func() ([]dirEntry, int)) (*listing, int) {
	now := time.Now().UnixNano()
	key := strings.TrimSuffix(dir, "/")
	c.mu.RLock()
	l := c.listings[key]
	c.mu.RUnlock()
	if l != nil && c.watch != nil && now-l.at < int64(recheck) && c.watch.generation(key) == l.gen {
		return l, 0
	}
	watched, gen := false, uint64(0)
	if c.watch != nil {
		watched, gen = c.watch.watch(key)
	}
	entries, status := read()
	if status != 0 {
		return nil, status
	}
	l = &listing{entries: entries, at: now, gen: gen, renders: map[string][]byte{}}
	if watched {
		c.mu.Lock()
		if len(c.listings) >= maxListings {
			for k := range c.listings {
				delete(c.listings, k)
				break
			}
		}
		c.listings[key] = l
		c.mu.Unlock()
	}
	return l, 0
}
