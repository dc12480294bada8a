package staticfs

// randomindex.go is ngx_http_random_index_module: a URI ending in "/"
// goes to one of the directory's files, picked at random, before the
// index module is asked.

import (
	"math/rand/v2"
	"os"
	"strings"
	"syscall"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// randomIndex answers (true) with an internal redirect to a random file
// of the directory, or an error opening it; false when the directory
// has no file (names starting with "." do not count), so the index
// module serves.
func (h *Handler) randomIndex(rq *httpcore.Request) bool {
	rq.MapURIToPath()
	dir := rq.Filename
	if dir == "" {
		return false
	}
	d, err := os.Open(dir)
	if err != nil {
		status := 500
		level := "crit"
		switch errnoOf(err) {
		case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG:
			status, level = 404, "error"
		case syscall.EACCES:
			status, level = 403, "error"
		}
		h.logErr(rq, level, `opendir() "`+dir+`" failed (`+confparse.ErrnoText(err)+`)`)
		rq.Error(status)
		return true
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	var files []string
	for _, n := range names {
		if strings.HasPrefix(n, ".") {
			continue
		}
		// A link counts as what it points to, as nginx stats it.
		if fi, err := os.Stat(dir + n); err == nil && fi.Mode().IsRegular() {
			files = append(files, n)
		}
	}
	if len(files) == 0 {
		return false
	}
	rq.Eng.InternalRedirect(rq, rq.URI+files[rand.IntN(len(files))], rq.Args)
	return true
}
