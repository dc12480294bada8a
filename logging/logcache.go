package logging

// logcache.go writes access logs whose path has variables, as nginx
// does: without open_log_file_cache the file is opened for each line and
// closed after it; with it, descriptors are kept in a cache bounded by
// max=, closed when not used for inactive=, kept only for files used
// min_uses= times, and the name checked again after valid= (a file
// removed or rotated is opened anew). Clients choose these paths, so
// nothing here grows with them.

import (
	"container/list"
	"os"
	"sync"
	"syscall"
	"time"

	"goproxy/confparse"
)

// WriteVarLog writes one line to a path computed for the request or
// session, through the cache c (nil: opened for the line and closed).
func WriteVarLog(c *FileCache, path string, line []byte) error {
	if c == nil {
		f, err := openLog(path)
		if err != nil {
			return err
		}
		_, err = f.Write(line)
		f.Close()
		return err
	}
	return c.write(path, line)
}

// FileCache is one open_log_file_cache (a level that wrote it, and the
// levels inside that inherit it).
type FileCache struct {
	conf  *confparse.LogFileCache
	mu    sync.Mutex
	files map[string]*list.Element // of *cachedFile, most recent first
	order list.List
}

type cachedFile struct {
	path     string
	f        *os.File // nil until used min_uses times
	ino, dev uint64
	uses     int
	accessed time.Time
	checked  time.Time // when the name was last checked (valid=)
	writing  int       // writes in progress on f
	dropped  bool      // out of the cache: the last writer closes f
}

func NewFileCache(c *confparse.LogFileCache) *FileCache {
	return &FileCache{conf: c, files: map[string]*list.Element{}}
}

func (c *FileCache) write(path string, line []byte) error {
	now := time.Now()
	c.mu.Lock()
	c.expire(now, false)
	el, ok := c.files[path]
	var e *cachedFile
	if ok {
		e = el.Value.(*cachedFile)
		c.order.MoveToFront(el)
	} else {
		if c.order.Len() >= c.conf.Max {
			c.expire(now, true)
		}
		e = &cachedFile{path: path}
		c.files[path] = c.order.PushFront(e)
	}
	e.uses++
	e.accessed = now
	if e.f != nil && now.Sub(e.checked) >= c.conf.Valid {
		// The name may point to another file now (logrotate) or to
		// none: the next line opens it again.
		if st, err := os.Stat(path); err != nil || !sameFile(st, e) {
			c.close(e)
			e = &cachedFile{path: path, uses: e.uses, accessed: now}
			c.files[path].Value = e
		} else {
			e.checked = now
		}
	}
	if e.f == nil && e.uses >= c.conf.MinUses {
		f, err := openLog(path)
		if err != nil {
			c.remove(c.files[path])
			c.mu.Unlock()
			return err
		}
		e.f, e.checked = f, now
		if st, err := f.Stat(); err == nil {
			e.dev, e.ino = fileID(st)
		}
	}
	f := e.f
	if f == nil {
		c.mu.Unlock()
		return WriteVarLog(nil, path, line)
	}
	e.writing++
	c.mu.Unlock()
	_, err := f.Write(line)
	c.mu.Lock()
	if e.writing--; e.writing == 0 && e.dropped {
		f.Close()
	}
	c.mu.Unlock()
	return err
}

// expire removes up to two entries unused for inactive=, from the
// oldest; force removes the oldest in any case first (the cache is
// full), as nginx's expiry does at each lookup.
func (c *FileCache) expire(now time.Time, force bool) {
	n := 1
	if force {
		n = 0
	}
	for ; n < 3; n++ {
		el := c.order.Back()
		if el == nil {
			return
		}
		if n > 0 && now.Sub(el.Value.(*cachedFile).accessed) <= c.conf.Inactive {
			return
		}
		c.remove(el)
	}
}

func (c *FileCache) remove(el *list.Element) {
	e := el.Value.(*cachedFile)
	delete(c.files, e.path)
	c.order.Remove(el)
	c.close(e)
}

// close lets go of an entry's descriptor, at once or after the writes in
// progress.
func (c *FileCache) close(e *cachedFile) {
	e.dropped = true
	if e.f != nil && e.writing == 0 {
		e.f.Close()
	}
}

// Close empties the cache (its configuration is released).
func (c *FileCache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.order.Len() > 0 {
		c.remove(c.order.Back())
	}
}

func fileID(st os.FileInfo) (dev, ino uint64) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Dev), s.Ino
	}
	return 0, 0
}

func sameFile(st os.FileInfo, e *cachedFile) bool {
	dev, ino := fileID(st)
	return dev == e.dev && ino == e.ino
}
