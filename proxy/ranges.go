package proxy

// ranges.go is nginx's range filter on an upstream's response. nginx
// ranges a proxied response only when it is allowed to (allow_ranges):
// when *_force_ranges is on, or when the response is being cached and
// the upstream sent Accept-Ranges. It then sends one range at most
// (single_range), cut from the body as it passes; a response from the
// cache is ranged in cache.go, several ranges included.

import (
	"io"
	"net/http"
	"strconv"

	"goproxy/httpcore"
)

// upstreamRanges answers a Range request from an upstream's response;
// sb is the cache entry being stored, nil when none is.
func (h *handler) upstreamRanges(st *state, resp *http.Response, sb *storeBody) error {
	if st.ranged {
		return nil
	}
	st.ranged = true
	rq := st.rq
	force := *h.loc.Proxy.ForceRanges
	if !force && (sb == nil || resp.Header["Accept-Ranges"] == nil) || resp.StatusCode != 200 ||
		resp.ContentLength < 0 || rq.R.ProtoMajor == 0 || rq.Parent != nil || rq.WillTransform(200) ||
		rq.Loc.Core.MaxRanges != nil && *rq.Loc.Core.MaxRanges == 0 {
		return nil
	}
	accept := resp.Header["Accept-Ranges"]
	if force {
		// The upstream's own word is not passed on: the filter's is.
		resp.Header["Accept-Ranges"] = []string{"bytes"}
	}
	rr := rq.R.Header.Get("Range")
	if rr == "" || !rangeAllowed(st, rr) || !httpcore.IfRange(rq, resp.Header.Get("ETag"), lastModified(resp.Header)) {
		return nil
	}
	size := resp.ContentLength
	start, end, status := httpcore.SingleRangeStatus(rq, rr, size)
	switch status {
	case 0:
		return nil
	case 416:
		resp.Body.Close()
		rq.Header()["Content-Range"] = []string{"bytes */" + strconv.FormatInt(size, 10)}
		st.status = 416
		return errIntercept
	}
	if sb != nil {
		sb.full, sb.accept = size, accept
	}
	resp.StatusCode, resp.Status = 206, "206 Partial Content"
	delete(resp.Header, "Accept-Ranges")
	resp.Header["Content-Range"] = []string{"bytes " + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(end-1, 10) + "/" + strconv.FormatInt(size, 10)}
	resp.Header["Content-Length"] = []string{strconv.FormatInt(end-start, 10)}
	resp.ContentLength = end - start
	resp.Body = &rangeBody{rc: resp.Body, skip: start, left: end - start}
	return nil
}

// lastModified is a head's Last-Modified in unix seconds, -1 without a
// valid one.
func lastModified(h http.Header) int64 {
	t, err := http.ParseTime(h.Get("Last-Modified"))
	if err != nil {
		return -1
	}
	return t.Unix()
}

// rangeBody passes on [skip, skip+left) of a body and reads the rest
// to its end, so that an entry (or a *_store file) is stored whole, and
// the upstream connection can be kept.
type rangeBody struct {
	rc         io.ReadCloser
	skip, left int64
}

func (b *rangeBody) Read(p []byte) (int, error) {
	for b.skip > 0 {
		n, err := io.CopyN(io.Discard, b.rc, b.skip)
		b.skip -= n
		if err != nil {
			return 0, err
		}
	}
	if b.left <= 0 {
		_, err := io.Copy(io.Discard, b.rc)
		if err == nil {
			err = io.EOF
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if err == io.EOF && b.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *rangeBody) Close() error { return b.rc.Close() }
