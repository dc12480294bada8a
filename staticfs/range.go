package staticfs

// range.go sends a file's ranges through httpcore's range filter.

import (
	"os"

	"goproxy/httpcore"
)

// sendRanges answers a Range request; false means "send the whole file".
func (h *Handler) sendRanges(rq *httpcore.Request, fi *fileInfo, f *os.File, header string) bool {
	return httpcore.SendRanges(rq, fi.size, header, func(off, n int64) { h.body(rq, fi, f, off, n) })
}
