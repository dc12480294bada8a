package staticfs

import (
	"net/http"
	"slices"
	"strings"
	"syscall"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// ErrorLogger receives nginx's error-log lines for failed file access.
type ErrorLogger interface {
	// FileError logs `open() "/x" failed (2: No such file or directory)`
	// at the given nginx level ("error", "crit").
	FileError(rq *httpcore.Request, level, msg string)
}

// Handler is the static content handler: random_index, index, then
// autoindex, then the file itself, in the order nginx's content phase
// tries them; and the location content handlers that serve files
// (flv, mp4) or fixed content (empty_gif).
type Handler struct {
	Cache *Cache
	Log   ErrorLogger
}

// New makes a handler with its open-file cache.
func New(log ErrorLogger) *Handler {
	return &Handler{Cache: NewCache(10000), Log: log}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := httpcore.From(w)
	if rq == nil {
		http.Error(w, "staticfs needs a goproxy request", 500)
		return
	}
	// The location's own content handler, when a module set one.
	switch {
	case rq.Loc.EmptyGif.On:
		EmptyGif(rq)
		return
	case rq.Loc.Flv.On:
		h.Flv(rq)
		return
	case rq.Loc.Mp4.On:
		h.Mp4(rq)
		return
	}
	m := r.Method
	if slices.Contains(rq.Loc.Dav.Methods, m) { // dav_methods
		h.dav(rq)
		return
	}
	if m != "GET" && m != "HEAD" && m != "POST" {
		rq.Error(405)
		return
	}
	if strings.HasSuffix(rq.URI, "/") {
		h.dirIndex(rq)
		return
	}
	h.file(rq)
}

// dirIndex is the content phase's handlers for a URI ending in "/":
// random_index first, then index and autoindex.
func (h *Handler) dirIndex(rq *httpcore.Request) {
	if *rq.Loc.RandomIndex.On && h.randomIndex(rq) {
		return
	}
	h.directory(rq)
}

// directory serves a URI ending in "/" as nginx's index module and
// content phase do: the first index entry that exists (a directory too)
// is redirected to; the directory itself is checked when the first
// entry is missing; then autoindex, else 403.
func (h *Handler) directory(rq *httpcore.Request) {
	rq.MapURIToPath()
	dir := rq.Filename
	if dir == "" {
		rq.Error(404)
		return
	}
	dirTested := false
	for _, t := range rq.Loc.Index.Files {
		name := rq.Eval(t)
		if strings.HasPrefix(name, "/") {
			// An absolute index is redirected to without a check.
			rq.Eng.InternalRedirect(rq, name, rq.Args)
			return
		}
		if _, _, err := h.openFor(rq, dir+name, false); err == nil {
			rq.Eng.InternalRedirect(rq, rq.URI+name, rq.Args)
			return
		} else if no := errnoOf(err); no == syscall.ENOTDIR || no == syscall.ENAMETOOLONG || no == syscall.EACCES {
			h.indexError(rq, dir+name, err)
			return
		} else if no == syscall.ELOOP || no == syscall.EMLINK {
			// A link disable_symlinks refuses (or a loop): forbidden,
			// and nginx logs nothing.
			rq.Error(403)
			return
		} else if !dirTested {
			if !h.testDir(rq, dir, dir+name) {
				return
			}
			dirTested = true
			if no != syscall.ENOENT {
				h.logErr(rq, "error", openOp(err)+` "`+dir+name+`" failed (`+confparse.ErrnoText(err)+`)`)
				rq.Error(500)
				return
			}
		} else if no != syscall.ENOENT {
			h.logErr(rq, "error", openOp(err)+` "`+dir+name+`" failed (`+confparse.ErrnoText(err)+`)`)
			rq.Error(500)
			return
		}
	}
	if *rq.Loc.Autoindex.On && (rq.R.Method == "GET" || rq.R.Method == "HEAD") {
		h.autoindex(rq, dir)
		return
	}
	h.logErr(rq, "error", `directory index of "`+dir+`" is forbidden`)
	rq.Error(403)
}

// testDir is the index module's check that the directory exists once
// index, its first index file, was not found: false when it answered.
// As nginx's, its messages name the index file, not the directory.
func (h *Handler) testDir(rq *httpcore.Request, dir, index string) bool {
	fi, _, err := h.openFor(rq, strings.TrimSuffix(dir, "/"), false)
	switch no := errnoOf(err); {
	case err == nil && fi.isDir:
		return true
	case err == nil:
		h.logErr(rq, "alert", `"`+index+`" is not a directory`)
	case no == syscall.ELOOP || no == syscall.EMLINK:
		rq.Error(403)
		return false
	case no == syscall.ENOENT:
		h.indexError(rq, index, err)
		return false
	case no == syscall.EACCES:
		return true // searching the directory was allowed
	default:
		h.logErr(rq, "crit", statOp(err)+` "`+strings.TrimSuffix(dir, "/")+`" failed (`+confparse.ErrnoText(err)+`)`)
	}
	rq.Error(500)
	return false
}

// TestFile is try_files' test of one entry: whether path is a file (or,
// with dir, a directory) as disable_symlinks lets the request see it.
// Failures other than a missing file are logged as nginx does, at crit.
func (h *Handler) TestFile(rq *httpcore.Request, path string, dir bool) bool {
	fi, _, err := h.openFor(rq, path, false)
	if err == nil {
		return fi.isDir == dir
	}
	switch errnoOf(err) {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG:
	default:
		h.logErr(rq, "crit", statOp(err)+` "`+path+`" failed (`+confparse.ErrnoText(err)+`)`)
	}
	return false
}

// indexError answers a missing (404) or forbidden (403) index path.
func (h *Handler) indexError(rq *httpcore.Request, path string, err error) {
	if errnoOf(err) == syscall.EACCES {
		h.logErr(rq, "error", `"`+path+`" is forbidden (`+confparse.ErrnoText(err)+`)`)
		rq.Error(403)
		return
	}
	if *rq.Loc.Core.LogNotFound {
		h.logErr(rq, "error", `"`+path+`" is not found (`+confparse.ErrnoText(err)+`)`)
	}
	rq.Error(404)
}

func (h *Handler) logErr(rq *httpcore.Request, level, msg string) {
	if h.Log != nil {
		h.Log.FileError(rq, level, msg)
	}
}

// errStatus maps a file error to nginx's status: 404 for missing, 403
// for denied, 500 otherwise.
func errStatus(err error) int {
	switch errnoOf(err) {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG:
		return 404
	case syscall.EACCES, syscall.EPERM, syscall.ELOOP, syscall.EMLINK:
		return 403
	}
	return 500
}
