package staticfs

// gzipstatic.go is ngx_http_gzip_static_module: for "gzip_static on" a
// client that accepts gzip gets file.gz, when it exists, instead of
// file, with "Content-Encoding: gzip" and the .gz file's length, date
// and ETag, the type of the original name; "always" sends it to every
// client (gunzip can then decompress it for those that do not accept
// gzip). With gzip_vary, "on" adds "Vary: Accept-Encoding" whenever the
// .gz file exists, whoever asks.

import (
	"syscall"

	"goproxy/confparse"
	"goproxy/gzipfilter"
	"goproxy/httpcore"
)

// gzipStatic reports whether it answered the request.
func (h *Handler) gzipStatic(rq *httpcore.Request) bool {
	g := &rq.Loc.Gzip
	mode := *g.Static
	if mode == "off" || rq.R.Method != "GET" && rq.R.Method != "HEAD" {
		return false
	}
	ok := mode == "always" || gzipfilter.Accepts(rq)
	if !ok && !*g.Vary {
		return false
	}
	rq.MapURIToPath()
	if rq.Filename == "" {
		return false
	}
	path := rq.Filename + ".gz"
	fi, f, err := h.openFor(rq, path, true)
	if err != nil {
		h.gzipFailed(rq, path, err)
		return false
	}
	if f != nil {
		defer f.Close()
	}
	src := f
	if fi.regular {
		// nginx opens the file: one it cannot read is not there.
		if src, err = h.source(fi, f); err != nil {
			h.gzipFailed(rq, path, err)
			return false
		}
		if src != f {
			defer src.Close()
		}
	}
	if mode == "on" {
		rq.GzipVary = true
	}
	if !ok || fi.isDir {
		return false
	}
	if !fi.regular {
		h.logErr(rq, "crit", `"`+path+`" is not a regular file`)
		rq.Error(404)
		return true
	}
	rq.Header()["Content-Encoding"] = gzipEncoding
	h.sendFile(rq, fi, src, false)
	return true
}

// gzipFailed logs a .gz file that exists but cannot be opened; the
// request goes on with the file itself.
func (h *Handler) gzipFailed(rq *httpcore.Request, path string, err error) {
	switch errnoOf(err) {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG:
	case syscall.EACCES, syscall.EMLINK, syscall.ELOOP:
		h.logErr(rq, "error", openOp(err)+` "`+path+`" failed (`+confparse.ErrnoText(err)+`)`)
	default:
		h.logErr(rq, "crit", openOp(err)+` "`+path+`" failed (`+confparse.ErrnoText(err)+`)`)
	}
}

var gzipEncoding = []string{"gzip"}
