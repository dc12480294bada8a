package staticfs

// content.go holds what the location content handlers that serve a
// file cut or composed (flv, mp4) share: opening it as nginx's handlers
// do, and describing the body they make of it.

import (
	"os"
	"strconv"
	"strings"

	"goproxy/httpcore"
)

// openContent opens the request's file for flv or mp4: GET and HEAD
// only (else 405), a URI ending in "/", a missing alias path or what is
// not a regular file left to the static handler, as nginx's handlers
// decline them. ok is false when the request has been answered; else
// src reads the file (nil for a small file whose body is in memory)
// and release closes what was opened.
func (h *Handler) openContent(rq *httpcore.Request) (fi *fileInfo, src *os.File, release func(), ok bool) {
	if m := rq.R.Method; m != "GET" && m != "HEAD" {
		rq.Error(405)
		return nil, nil, nil, false
	}
	if strings.HasSuffix(rq.URI, "/") {
		h.dirIndex(rq)
		return nil, nil, nil, false
	}
	rq.MapURIToPath()
	if rq.Filename == "" {
		h.file(rq)
		return nil, nil, nil, false
	}
	fi, f, err := h.openFor(rq, rq.Filename, true)
	if err != nil {
		h.openFailed(rq, rq.Filename, err)
		return nil, nil, nil, false
	}
	closeF := func() {
		if f != nil {
			f.Close()
		}
	}
	if !fi.regular {
		closeF()
		h.file(rq)
		return nil, nil, nil, false
	}
	src, err = h.source(fi, f)
	if err != nil {
		closeF()
		h.openFailed(rq, rq.Filename, err)
		return nil, nil, nil, false
	}
	return fi, src, func() {
		closeF()
		if src != f {
			src.Close()
		}
	}, true
}

// resized describes a body made from fi's file with another length:
// the same dates, and the entity tag nginx makes from the length it
// sends.
func (fi *fileInfo) resized(size int64) *fileInfo {
	v := &fileInfo{path: fi.path, regular: true, size: size, mtime: fi.mtime,
		lastModified: fi.lastModified, hLastMod: fi.hLastMod}
	v.etag = `"` + strconv.FormatInt(fi.mtime.Unix(), 16) + "-" + strconv.FormatInt(size, 16) + `"`
	v.hETag = []string{v.etag}
	v.hLength = []string{strconv.FormatInt(size, 10)}
	return v
}
