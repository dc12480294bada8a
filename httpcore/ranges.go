package httpcore

// ranges.go is ngx_http_range_filter_module: one range gives a 206 with
// Content-Range, several a multipart/byteranges body, none that fits a
// 416. Files (staticfs) and cached responses (proxy) send their ranges
// through it.

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

type byteRange struct{ start, end int64 } // [start, end)

// parseRanges follows ngx_http_range_parse. ok=false with status 416
// means "not satisfiable"; ok=false with status 0 means "send it all".
func parseRanges(v string, size int64, max int) (rs []byteRange, status int) {
	if len(v) < 6 || !strings.EqualFold(v[:6], "bytes=") {
		return nil, 0
	}
	p := v[6:]
	var total int64
	left := max
	for {
		var start, end int64
		suffix := false
		p = strings.TrimLeft(p, " ")
		if !strings.HasPrefix(p, "-") {
			n, rest, ok := digits(p)
			if !ok {
				return nil, 416
			}
			start, p = n, strings.TrimLeft(rest, " ")
			if !strings.HasPrefix(p, "-") {
				return nil, 416
			}
			p = strings.TrimLeft(p[1:], " ")
			if p == "" || p[0] == ',' {
				end = size
				goto found
			}
		} else {
			suffix = true
			p = p[1:]
		}
		{
			n, rest, ok := digits(p)
			if !ok {
				return nil, 416
			}
			end, p = n, strings.TrimLeft(rest, " ")
			if p != "" && p[0] != ',' {
				return nil, 416
			}
			if suffix {
				start = 0
				if end < size {
					start = size - end
				}
				end = size - 1
			}
			if end >= size {
				end = size
			} else {
				end++
			}
		}
	found:
		if start < end {
			rs = append(rs, byteRange{start, end})
			total += end - start
			if left == 0 {
				return nil, 0
			}
			left--
		} else if start == 0 {
			return nil, 0
		}
		if p == "" || p[0] != ',' {
			break
		}
		p = p[1:]
	}
	if len(rs) == 0 {
		return nil, 416
	}
	if total > size {
		return nil, 0
	}
	return rs, 200
}

func digits(s string) (int64, string, bool) {
	i := 0
	var n int64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if n > (1<<62)/10 {
			return 0, s, false
		}
		n = n*10 + int64(s[i]-'0')
		i++
	}
	return n, s[i:], i > 0
}

var boundaryCounter atomic.Uint64

// SendRanges answers a Range request for a body of size bytes; body
// sends bytes [off, off+n). false means "send it all" (ranges that do
// not apply). single is nginx's single_range: a response that can be
// cut once only (mp4's) sends several ranges whole.
func SendRanges(rq *Request, size int64, header string, single bool, body func(off, n int64)) bool {
	max := -1
	if m := rq.Loc.Core.MaxRanges; m != nil {
		max = *m
	}
	if single {
		max = 1
	}
	rs, status := parseRanges(header, size, max)
	hd := rq.Header()
	if status == 200 {
		// A partial response does not advertise ranges again.
		delete(hd, "Accept-Ranges")
	}
	switch status {
	case 0:
		return false
	case 416:
		hd["Content-Range"] = []string{"bytes */" + strconv.FormatInt(size, 10)}
		rq.Error(416)
		return true
	}
	if len(rs) == 1 {
		r := rs[0]
		hd["Content-Range"] = []string{"bytes " + strconv.FormatInt(r.start, 10) + "-" + strconv.FormatInt(r.end-1, 10) + "/" + strconv.FormatInt(size, 10)}
		hd["Content-Length"] = []string{strconv.FormatInt(r.end-r.start, 10)}
		rq.WriteHeader(206)
		if rq.R.Method != "HEAD" {
			body(r.start, r.end-r.start)
		}
		return true
	}
	boundary := strconv.FormatUint(boundaryCounter.Add(1), 10)
	for len(boundary) < 20 {
		boundary = "0" + boundary
	}
	ct := rq.SetEntityType(hd.Get("Content-Type"))
	parts := make([]string, len(rs))
	length := int64(0)
	for i, r := range rs {
		p := "\r\n--" + boundary + "\r\n"
		if ct != "" {
			p += "Content-Type: " + ct + "\r\n"
		}
		p += "Content-Range: bytes " + strconv.FormatInt(r.start, 10) + "-" + strconv.FormatInt(r.end-1, 10) + "/" + strconv.FormatInt(size, 10) + "\r\n\r\n"
		parts[i] = p
		length += int64(len(p)) + r.end - r.start
	}
	tail := "\r\n--" + boundary + "--\r\n"
	length += int64(len(tail))
	hd["Content-Type"] = []string{"multipart/byteranges; boundary=" + boundary}
	hd["Content-Length"] = []string{strconv.FormatInt(length, 10)}
	rq.WriteHeader(206)
	if rq.R.Method == "HEAD" {
		return true
	}
	for i, r := range rs {
		rq.Write([]byte(parts[i]))
		body(r.start, r.end-r.start)
	}
	rq.Write([]byte(tail))
	return true
}

// SingleRange is the one range of a Range header that a response of
// size bytes satisfies, as [start, end); ok is false for several ranges,
// none that fits, or a header the range filter ignores. It serves a
// response that can send one range only (nginx's single_range: a
// response being cached as it is sent, or one *_force_ranges ranges).
func SingleRange(rq *Request, header string, size int64) (start, end int64, ok bool) {
	start, end, status := SingleRangeStatus(rq, header, size)
	return start, end, status == 200
}

// SingleRangeStatus is SingleRange with the range filter's verdict:
// 200 for the range, 416 when none fits, 0 when the response goes whole.
func SingleRangeStatus(rq *Request, header string, size int64) (start, end int64, status int) {
	max := -1
	if m := rq.Loc.Core.MaxRanges; m != nil {
		max = *m
	}
	rs, status := parseRanges(header, size, max)
	if status == 200 && len(rs) != 1 {
		return 0, 0, 0
	}
	if status != 200 {
		return 0, 0, status
	}
	return rs[0].start, rs[0].end, 200
}

// IfRange is the range filter's If-Range check for a response with
// this entity tag and Last-Modified time (unix seconds, -1 none): a
// value ending in a quote must be the tag exactly, any other the date
// to the second. Without If-Range, ranges apply.
func IfRange(rq *Request, etag string, lastModified int64) bool {
	v := rq.R.Header.Get("If-Range")
	if v == "" {
		return true
	}
	if len(v) >= 2 && v[len(v)-1] == '"' {
		return etag != "" && v == etag
	}
	if lastModified < 0 {
		return false
	}
	t, err := http.ParseTime(v)
	return err == nil && t.Unix() == lastModified
}
