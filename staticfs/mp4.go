package staticfs

// mp4.go is ngx_http_mp4_module's handler: a location's MP4 files, cut
// to the "start" and "end" arguments by package mp4. Without them the
// file is sent as it is; with them the response is the cut file, which
// the range filter may cut once more (one range only, as nginx marks
// the request single_range).

import (
	"bytes"
	"io"
	"os"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/mp4"
)

// Mp4 serves a location with "mp4". A URI ending in "/", a directory
// or anything but a regular file is left to the static handler, as
// nginx's mp4 handler declines them; a file the cut refuses is a 500.
func (h *Handler) Mp4(rq *httpcore.Request) {
	fi, src, release, ok := h.openContent(rq)
	if !ok {
		return
	}
	defer release()
	start, length, cut := mp4.Range(mp4.Millis(httpcore.ArgVar(rq.Args, "start")),
		mp4.Millis(httpcore.ArgVar(rq.Args, "end")))
	if !cut {
		h.sendFile(rq, fi, src, true)
		return
	}
	r, closeR, err := h.readerAt(fi, src)
	if err != nil {
		h.logErr(rq, "crit", `open() "`+fi.path+`" failed (`+confparse.ErrnoText(err)+`)`)
		rq.Error(500)
		return
	}
	defer closeR()
	conf := &rq.Loc.Mp4
	res, err := mp4.Cut(r, fi.size, fi.path, mp4.Options{Start: start, Length: length,
		BufferSize: *conf.BufferSize, MaxBufferSize: *conf.MaxBufferSize, StartKeyFrame: *conf.StartKeyFrame})
	if err != nil {
		e := err.(*mp4.Error)
		h.logErr(rq, e.Level, e.Msg)
		rq.Error(500)
		return
	}
	if res == nil {
		// The index comes first and all of it is asked for.
		h.sendEntity(rq, fi, oneRange, func(off, n int64) { h.body(rq, fi, src, off, n) })
		return
	}
	h.sendEntity(rq, fi.resized(res.Size), oneRange, func(off, n int64) {
		res.Slice(off, n, func(b []byte) { rq.Write(b) }, func(off, n int64) { h.body(rq, fi, src, off, n) })
	})
}

// readerAt reads fi's content at random: its body in memory when it is
// small and read already, else the open file, opened now if need be.
func (h *Handler) readerAt(fi *fileInfo, src *os.File) (io.ReaderAt, func(), error) {
	if fi.size <= smallFile {
		if b, err := fi.Body(); err == nil {
			return bytes.NewReader(b), func() {}, nil
		}
	}
	if src != nil {
		return src, func() {}, nil
	}
	f, err := openFile(fi.path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
