package staticfs

// symlinks.go is disable_symlinks: with "on" no component of a path may
// be a symbolic link, with "if_not_owner" a link must belong to its
// target's owner. As in nginx, the path is opened one component at a
// time with openat(), each directory with O_PATH (and O_NOFOLLOW for
// "on"), so a link swapped in between the check and the use cannot take
// the request elsewhere: what is served is the descriptor checked. A
// link in the middle of the path is then opened as itself, and the next
// openat fails with ENOTDIR, as nginx's does; the last component fails
// with ELOOP. "from=" names a leading part opened normally, links and
// all. Errors name openat(), nginx's wording.

import (
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"goproxy/httpcore"
)

// How a path is opened.
const (
	followLinks = iota // disable_symlinks off
	noLinks            // on
	ownLinks           // if_not_owner
)

// symlinkMode is rq's disable_symlinks for path: the mode, and the
// length of the leading part that is opened following links (0: none),
// as nginx's ngx_http_set_disable_symlinks decides it.
func symlinkMode(rq *httpcore.Request, path string) (mode, from int) {
	ds := rq.Loc.Core.DisableSymlinks
	switch ds.Mode {
	case "off":
		return followLinks, 0
	case "on":
		mode = noLinks
	default:
		mode = ownLinks
	}
	if ds.From == nil {
		return mode, 0
	}
	f := rq.Eval(ds.From)
	if f == "" || len(f) > len(path) || path[:len(f)] != f {
		return mode, 0
	}
	switch {
	case len(f) == len(path):
		return followLinks, 0 // the whole path is the trusted part
	case path[len(f)] == '/':
		return mode, len(f)
	case f[len(f)-1] == '/':
		return mode, len(f) - 1
	}
	return mode, 0
}

// openChecked opens path for reading (O_RDONLY|O_NONBLOCK, so that a
// FIFO does not block) with every component checked as mode says. The
// error is an *os.PathError whose Op is the call nginx names.
func openChecked(path string, mode, from int) (int, error) {
	fail := func(op string, err error) (int, error) {
		return -1, &os.PathError{Op: op, Path: path, Err: err}
	}
	at, rest := unix.AT_FDCWD, path
	var err error
	switch {
	case from > 0:
		at, err = unix.Open(path[:from], unix.O_PATH|unix.O_CLOEXEC, 0)
		rest = path[from+1:]
	case strings.HasPrefix(path, "/"):
		at, err = unix.Open("/", unix.O_PATH|unix.O_CLOEXEC, 0)
		rest = path[1:]
	}
	if err != nil {
		return fail("open", err)
	}
	closeAt := func() {
		if at != unix.AT_FDCWD {
			unix.Close(at)
		}
	}
	for {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			break
		}
		if i == 0 {
			rest = rest[1:]
			continue
		}
		fd, err := openAt(at, rest[:i], unix.O_PATH, mode)
		closeAt()
		if err != nil {
			return fail("openat", err)
		}
		at, rest = fd, rest[i+1:]
	}
	const final = unix.O_RDONLY | unix.O_NONBLOCK
	var fd int
	if rest == "" {
		// A trailing slash: the last component is a directory.
		fd, err = unix.Openat(at, ".", final|unix.O_CLOEXEC, 0)
	} else {
		fd, err = openAt(at, rest, final, mode)
	}
	closeAt()
	if err != nil {
		return fail("openat", err)
	}
	return fd, nil
}

// openAt opens one component under the directory at: without following
// a link (noLinks), or following it only when the link and its target
// have the same owner (ownLinks; ELOOP otherwise, as nginx answers).
func openAt(at int, name string, flags, mode int) (int, error) {
	flags |= unix.O_CLOEXEC
	if mode == noLinks {
		return unix.Openat(at, name, flags|unix.O_NOFOLLOW, 0)
	}
	fd, err := unix.Openat(at, name, flags, 0)
	if err != nil {
		return -1, err
	}
	var link, target unix.Stat_t
	if err := unix.Fstatat(at, name, &link, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Fstat(fd, &target); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if link.Uid != target.Uid {
		unix.Close(fd)
		return -1, unix.ELOOP
	}
	return fd, nil
}

// openFor looks path up for rq. With disable_symlinks off it is the
// cache's stat(). Otherwise the path is opened component by component;
// keep returns the descriptor for a regular file whose body is read
// from disk (larger than smallFile), so that what is sent is what was
// checked; small bodies are read from it into the cache entry.
func (h *Handler) openFor(rq *httpcore.Request, path string, keep bool) (*fileInfo, *os.File, error) {
	mode, from := symlinkMode(rq, path)
	if mode == followLinks {
		fi, err := h.Cache.Lookup(path)
		return fi, nil, err
	}
	fd, err := openChecked(path, mode, from)
	if err != nil {
		return nil, nil, err
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	fi := h.Cache.remember(path, &st)
	if fi.regular && fi.size <= smallFile {
		fi.loadBody(fd)
	}
	if keep && fi.regular && fi.size > smallFile {
		syscall.SetNonblock(fd, false) // read in blocking mode, as openFile's
		return fi, os.NewFile(uintptr(fd), path), nil
	}
	unix.Close(fd)
	return fi, nil, nil
}

// openOp is the call nginx names when a lookup fails: openat() when
// disable_symlinks walked the path, else open().
func openOp(err error) string {
	if pe, ok := err.(*os.PathError); ok && pe.Op == "openat" {
		return "openat()"
	}
	return "open()"
}

// statOp is the call nginx names when a test of a path fails (index,
// try_files): openat() as openOp, else stat(), for without
// disable_symlinks nginx only stats the path.
func statOp(err error) string {
	if op := openOp(err); op == "openat()" {
		return op
	}
	return "stat()"
}
