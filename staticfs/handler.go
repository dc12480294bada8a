package staticfs

import (
	"net/http"
	"os"
	"strings"
	"syscall"

	"goproxy/httpcore"
)

// ErrorLogger receives nginx's error-log lines for failed file access.
type ErrorLogger interface {
	// FileError logs `open() "/x" failed (2: No such file or directory)`
	// at the given nginx level ("error", "crit").
	FileError(rq *httpcore.Request, level, msg string)
}

// Handler is the static content handler: index, then autoindex, then
// the file itself, in the order nginx's content phase tries them.
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
	m := r.Method
	if m != "GET" && m != "HEAD" && m != "POST" {
		rq.Error(405)
		return
	}
	if strings.HasSuffix(rq.URI, "/") {
		h.directory(rq)
		return
	}
	h.file(rq)
}

// directory serves a URI ending in "/": an index file, an autoindex
// listing, or 403/404.
func (h *Handler) directory(rq *httpcore.Request) {
	rq.MapURIToPath()
	dir := rq.Filename
	if dir == "" {
		rq.Error(404)
		return
	}
	for _, t := range rq.Loc.Index.Files {
		name := rq.Eval(t)
		if strings.HasPrefix(name, "/") {
			// An absolute index is redirected to without a check.
			u, args, _ := strings.Cut(name, "?")
			if args == "" {
				args = rq.Args
			}
			rq.Eng.InternalRedirect(rq, u, args)
			return
		}
		fi, err := h.Cache.Lookup(dir + name)
		if err != nil {
			if no := errnoOf(err); no != syscall.ENOENT && no != syscall.ENOTDIR && no != syscall.ENAMETOOLONG {
				h.logErr(rq, "crit", `open() "`+dir+name+`" failed (`+errnoText(err)+`)`)
				rq.Error(errStatus(err))
				return
			}
			continue
		}
		if fi.isDir {
			continue
		}
		rq.Eng.InternalRedirect(rq, rq.URI+name, rq.Args)
		return
	}
	fi, err := h.Cache.Lookup(strings.TrimSuffix(dir, "/"))
	if err != nil || !fi.isDir {
		if err == nil {
			err = &os.PathError{Op: "stat", Path: dir, Err: syscall.ENOTDIR}
		}
		if errnoOf(err) == syscall.ENOENT || errnoOf(err) == syscall.ENOTDIR {
			if *rq.Loc.Core.LogNotFound {
				h.logErr(rq, "error", `"`+dir+`index.html" is not found (`+errnoText(err)+`)`)
			}
			rq.Error(404)
			return
		}
		h.logErr(rq, "crit", `stat() "`+dir+`" failed (`+errnoText(err)+`)`)
		rq.Error(errStatus(err))
		return
	}
	if *rq.Loc.Autoindex.On {
		h.autoindex(rq, dir)
		return
	}
	h.logErr(rq, "error", `directory index of "`+dir+`" is forbidden`)
	rq.Error(403)
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
	case syscall.EACCES, syscall.EPERM:
		return 403
	}
	return 500
}

// errnoText is nginx's "(2: No such file or directory)" body.
func errnoText(err error) string {
	no := errnoOf(err)
	if no == 0 {
		return err.Error()
	}
	s := no.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return itoa(int64(no)) + ": " + s
}
