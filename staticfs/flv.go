package staticfs

// flv.go is ngx_http_flv_module: a location's FLV files, sent from the
// byte offset the "start" argument names behind a fresh FLV header, so
// a player can seek without the server parsing the file.

import (
	"strconv"

	"goproxy/httpcore"
)

// flvHeader starts a body sent from an offset: signature, version 1,
// audio and video, header size 9, then the first PreviousTagSize 0.
var flvHeader = []byte("FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00")

// Flv serves a location with "flv". A URI ending in "/", a directory or
// anything but a regular file is left to the static handler, as nginx's
// flv handler declines them.
func (h *Handler) Flv(rq *httpcore.Request) {
	fi, src, release, ok := h.openContent(rq)
	if !ok {
		return
	}
	defer release()
	start := flvStart(httpcore.ArgVar(rq.Args, "start"), fi.size)
	if start == 0 {
		h.sendFile(rq, fi, src, true)
		return
	}
	hl := int64(len(flvHeader))
	h.sendEntity(rq, fi.resized(hl+fi.size-start), allRanges, func(off, n int64) {
		if off < hl {
			k := min(n, hl-off)
			rq.Write(flvHeader[off : off+k])
			off, n = off+k, n-k
		}
		if n > 0 {
			h.body(rq, fi, src, start+off-hl, n)
		}
	})
}

// flvStart reads "start" as nginx does: decimal digits only, and an
// offset outside the file means the whole file.
func flvStart(v string, size int64) int64 {
	if v == "" {
		return 0
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n >= size {
		return 0
	}
	return n
}
