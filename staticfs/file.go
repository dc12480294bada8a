package staticfs

// file.go is ngx_http_static_module with the filters that act on its
// responses: not_modified (conditional requests) and range.

import (
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// acceptRanges is the shared "Accept-Ranges: bytes" value.
var acceptRanges = []string{"bytes"}

// ctSlices interns Content-Type values as header slices shared by all
// responses (cap == len: appending copies).
var ctSlices sync.Map

func contentTypeSlice(ct string) []string {
	if v, ok := ctSlices.Load(ct); ok {
		return v.([]string)
	}
	s := []string{ct}
	ctSlices.Store(ct, s)
	return s
}

func (h *Handler) file(rq *httpcore.Request) {
	if *rq.Loc.Gzip.Static != "off" && h.gzipStatic(rq) {
		return
	}
	rq.MapURIToPath()
	path := rq.Filename
	if path == "" {
		// A path that left its alias directory: as if it did not exist.
		h.logErr(rq, "error", `open() "`+rq.DocRoot+`" failed (2: No such file or directory)`)
		rq.Error(404)
		return
	}
	fi, f, err := h.openFor(rq, path, true)
	if err != nil {
		h.openFailed(rq, path, err)
		return
	}
	if f != nil {
		defer f.Close()
	}
	if fi.isDir {
		// nginx redirects a directory without its trailing slash.
		target := httpcore.EscapeURI(rq.URI) + "/"
		if rq.Args != "" {
			target += "?" + rq.Args
		}
		rq.Header().Set("Location", target)
		rq.Error(301)
		return
	}
	if !fi.regular {
		h.logErr(rq, "crit", `"`+path+`" is not a regular file`)
		rq.Error(404)
		return
	}
	if rq.R.Method == "POST" {
		rq.Error(405)
		return
	}
	src, err := h.source(fi, f)
	if err != nil {
		h.openFailed(rq, path, err)
		return
	}
	if src != f {
		defer src.Close()
	}
	h.sendFile(rq, fi, src, true)
}

// openFailed answers a file that could not be opened with nginx's
// status and error-log line: 404 for a missing one (logged unless
// log_not_found is off), 403 for a forbidden one, else 500.
func (h *Handler) openFailed(rq *httpcore.Request, path string, err error) {
	status := errStatus(err)
	if status != 404 || *rq.Loc.Core.LogNotFound {
		level := "error"
		if status == 500 {
			level = "crit"
		}
		h.logErr(rq, level, openOp(err)+` "`+path+`" failed (`+confparse.ErrnoText(err)+`)`)
	}
	rq.Error(status)
}

// source makes sure a regular file can be read before anything is
// sent, as nginx opens it first: a small file's body is in memory (read
// once per cache entry), a larger one is read from f, or from the file
// opened now when f is nil (the caller closes what it gets back).
func (h *Handler) source(fi *fileInfo, f *os.File) (*os.File, error) {
	if fi.size <= smallFile {
		if _, err := fi.Body(); err != nil && errnoOf(err) != 0 {
			return nil, err
		}
		return f, nil // a file that changed while read is opened by body
	}
	if f != nil {
		return f, nil
	}
	return openFile(fi.path)
}

// sendFile writes a regular file with nginx's headers, honouring
// conditional and range requests; its body comes from memory or f.
// allowRanges false is gzip_static's answer, which nginx sends whole,
// without Accept-Ranges.
func (h *Handler) sendFile(rq *httpcore.Request, fi *fileInfo, f *os.File, allowRanges bool) {
	mode := noRanges
	if allowRanges {
		mode = allRanges
	}
	h.sendEntity(rq, fi, mode, func(off, n int64) { h.body(rq, fi, f, off, n) })
}

// rangeMode is what the range filter may do with a response.
type rangeMode int

const (
	noRanges  rangeMode = iota // sent whole, without Accept-Ranges
	allRanges                  // up to max_ranges
	oneRange                   // nginx's single_range: several are answered whole
)

// sendEntity is sendFile for any body fi describes (its size, dates and
// entity tag), which body writes a part of: the file itself, or what a
// module makes of it (flv's header and tail, mp4's cut).
func (h *Handler) sendEntity(rq *httpcore.Request, fi *fileInfo, mode rangeMode, body func(off, n int64)) {
	hd := rq.Header()
	core := &rq.Loc.Core
	hd["Content-Type"] = contentTypeSlice(rq.ContentTypeFor(rq.URI))
	hd["Last-Modified"] = fi.hLastMod
	if *core.Etag {
		hd["ETag"] = fi.hETag
	}
	// The not_modified and range filters act on a 200 only: not on a
	// file sent as an error_page with its error's status.
	ok := rq.ErrStatus == 0 || rq.ErrStatus == 200
	ranges := mode != noRanges && ok && (core.MaxRanges == nil || *core.MaxRanges > 0) && rq.R.ProtoMajor > 0
	if code := notModified(rq, fi); ok && code != 0 {
		if code == 412 {
			rq.Error(412)
			return
		}
		delete(hd, "Content-Type")
		delete(hd, "Content-Encoding") // gzip_static's
		rq.WriteHeader(304)
		return
	}
	// The full length first: a compressing filter judges it
	// (gzip_min_length) before ranges are considered.
	hd["Content-Length"] = fi.hLength
	// nginx's range filter offers ranges only with a known length: not
	// when a body filter (sub_filter, addition, recoding to UTF-8) will
	// change it.
	if ranges && !rq.WillTransform(200) {
		hd["Accept-Ranges"] = acceptRanges
	}
	// Ranges are the main request's: a subrequest's output (addition)
	// is whole, as nginx's range filter skips subrequests.
	if ranges && rq.Parent == nil && !rq.WillTransform(200) {
		if rr := rq.R.Header.Get("Range"); rr != "" && ifRangeOK(rq, fi) {
			if httpcore.SendRanges(rq, fi.size, rr, mode == oneRange, body) {
				return
			}
		}
	}
	rq.WriteHeader(200)
	if rq.R.Method == "HEAD" || fi.size == 0 {
		return
	}
	body(0, fi.size)
}

// body sends bytes [off, off+n) of the file: from memory for small
// files, otherwise from f with sendfile or through a buffer, as
// "sendfile" says.
func (h *Handler) body(rq *httpcore.Request, fi *fileInfo, f *os.File, off, n int64) {
	if fi.size <= smallFile {
		if b, err := fi.Body(); err == nil {
			rq.Write(b[off : off+n])
			return
		}
	}
	if f == nil {
		// A small file that changed while it was read.
		var err error
		if f, err = openFile(fi.path); err != nil {
			h.logErr(rq, "crit", `open() "`+fi.path+`" failed (`+confparse.ErrnoText(err)+`)`)
			return
		}
		defer f.Close()
	}
	// f may have been read before (the parts of a multipart range).
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return
	}
	if *rq.Loc.Core.Sendfile {
		rq.ReadFrom(&io.LimitedReader{R: f, N: n})
	} else {
		// Hidden from the engine's sendfile: copied through a buffer.
		rq.ReadFrom(struct{ io.Reader }{&io.LimitedReader{R: f, N: n}})
	}
}

// notModified is ngx_http_not_modified_filter: 0 to send the file, 304
// or 412.
func notModified(rq *httpcore.Request, fi *fileInfo) int {
	in := rq.R.Header
	if v := in.Get("If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && fi.mtime.Unix() > t.Unix() {
			return 412
		}
	}
	if v := in.Get("If-Match"); v != "" && !etagMatch(v, etagOf(rq, fi), false) {
		return 412
	}
	ims, inm := in.Get("If-Modified-Since"), in.Get("If-None-Match")
	if ims == "" && inm == "" {
		return 0
	}
	if ims != "" {
		mode := *rq.Loc.Core.IfModifiedSince
		if mode == "off" {
			return 0
		}
		t, err := http.ParseTime(ims)
		if err != nil {
			return 0
		}
		if !(t.Unix() == fi.mtime.Unix() || (mode == "before" && fi.mtime.Unix() <= t.Unix())) {
			return 0
		}
	}
	if inm != "" && !etagMatch(inm, etagOf(rq, fi), true) {
		return 0
	}
	return 304
}

func etagOf(rq *httpcore.Request, fi *fileInfo) string {
	if *rq.Loc.Core.Etag {
		return fi.etag
	}
	return ""
}

// etagMatch compares an If-Match / If-None-Match list with the entity
// tag; weak comparison ignores "W/".
func etagMatch(list, etag string, weak bool) bool {
	if strings.TrimSpace(list) == "*" {
		return true
	}
	if etag == "" {
		return false
	}
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if weak {
			t = strings.TrimPrefix(t, "W/")
		}
		if t == etag {
			return true
		}
	}
	return false
}

// ifRangeOK is If-Range: ranges apply only if it names the current
// entity (its ETag, or exactly its Last-Modified date).
func ifRangeOK(rq *httpcore.Request, fi *fileInfo) bool {
	return httpcore.IfRange(rq, etagOf(rq, fi), fi.mtime.Unix())
}

// openFile opens a file to send. os.Open would also try to register the
// descriptor with the network poller (four fcntl calls and a failing
// epoll_ctl for a regular file, on every request); a file sent with
// sendfile or read in blocking mode needs none of that.
func openFile(path string) (*os.File, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
