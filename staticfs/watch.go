package staticfs

// watch.go lets the open-file cache skip the stat() it would otherwise
// make on every request: the kernel tells us (inotify) when anything in
// a directory whose files are cached changes, and those entries are
// dropped. A file is still stat()ed when its directory cannot be watched
// (no inotify, watch limit reached), when a change raced with its
// lookup, and at least once a second in any case, which bounds the harm
// of a change inotify cannot see (a directory higher up renamed).

import (
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

const watchMask = syscall.IN_MODIFY | syscall.IN_ATTRIB | syscall.IN_CLOSE_WRITE |
	syscall.IN_MOVED_FROM | syscall.IN_MOVED_TO | syscall.IN_CREATE | syscall.IN_DELETE |
	syscall.IN_DELETE_SELF | syscall.IN_MOVE_SELF

type watcher struct {
	fd    int
	mu    sync.Mutex
	dirs  map[string]int // directory -> watch descriptor
	wds   map[int]string
	gen   map[string]uint64 // changes seen per directory
	drop  func(prefix string, exact bool)
	limit bool // the watch limit was reached: stop adding
}

// newWatcher starts watching; drop is called for every changed path
// (exact) or directory (prefix). It returns nil without inotify.
func newWatcher(drop func(path string, exact bool)) *watcher {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC)
	if err != nil {
		return nil
	}
	w := &watcher{fd: fd, dirs: map[string]int{}, wds: map[int]string{}, gen: map[string]uint64{}, drop: drop}
	go w.read()
	return w
}

// watch makes sure dir is watched; it reports whether it is, and the
// directory's change generation to compare after a stat.
func (w *watcher) watch(dir string) (bool, uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.dirs[dir]; ok {
		return true, w.gen[dir]
	}
	if w.limit {
		return false, 0
	}
	wd, err := syscall.InotifyAddWatch(w.fd, dir, watchMask)
	if err != nil {
		if err == syscall.ENOSPC {
			w.limit = true
		}
		return false, 0
	}
	w.dirs[dir], w.wds[wd] = wd, dir
	return true, w.gen[dir]
}

// generation is dir's change count now.
func (w *watcher) generation(dir string) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gen[dir]
}

// read handles events until the descriptor fails.
func (w *watcher) read() {
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.Read(w.fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := ""
			if ev.Len > 0 {
				raw := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
				name = strings.TrimRight(string(raw), "\x00")
			}
			off += syscall.SizeofInotifyEvent + int(ev.Len)
			w.event(int(ev.Wd), ev.Mask, name)
		}
	}
}

func (w *watcher) event(wd int, mask uint32, name string) {
	w.mu.Lock()
	dir, ok := w.wds[wd]
	if ok {
		w.gen[dir]++
	}
	gone := mask&(syscall.IN_DELETE_SELF|syscall.IN_MOVE_SELF|syscall.IN_IGNORED) != 0
	if ok && gone {
		delete(w.wds, wd)
		delete(w.dirs, dir)
		if mask&syscall.IN_IGNORED == 0 {
			syscall.InotifyRmWatch(w.fd, uint32(wd))
		}
	}
	w.mu.Unlock()
	if !ok {
		return
	}
	switch {
	case gone:
		w.drop(dir+"/", false)
	case name != "":
		// A file, or a directory whose cached files now have other paths.
		w.drop(dir+"/"+name, true)
		w.drop(dir+"/"+name+"/", false)
	default:
		w.drop(dir+"/", false)
	}
}
