package staticfs

// emptygif.go is ngx_http_empty_gif_module: a 1x1 transparent GIF.

import (
	"net/http"
	"time"

	"goproxy/httpcore"
)

// emptyGIF is a 43-byte GIF89a: one transparent pixel.
var emptyGIF = []byte("GIF89a\x01\x00\x01\x00\x80\x01\x00\x00\x00\x00\xff\xff\xff" +
	"!\xf9\x04\x01\x00\x00\x01\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02L\x01\x00;")

// emptyGIFInfo describes the GIF to the conditional checks: nginx dates
// it 23349600 (September 1970) and gives it no entity tag.
var emptyGIFInfo = func() *fileInfo {
	t := time.Unix(23349600, 0)
	fi := &fileInfo{regular: true, size: int64(len(emptyGIF)), mtime: t}
	fi.lastModified = t.UTC().Format(http.TimeFormat)
	return fi
}()

// EmptyGif answers a location with "empty_gif": GET and HEAD only, no
// ranges, conditional requests as for a file of that date.
func EmptyGif(rq *httpcore.Request) {
	if m := rq.R.Method; m != "GET" && m != "HEAD" {
		rq.Error(405)
		return
	}
	hd := rq.Header()
	hd.Set("Content-Type", "image/gif")
	hd.Set("Last-Modified", emptyGIFInfo.lastModified)
	if code := notModified(rq, emptyGIFInfo); code != 0 && (rq.ErrStatus == 0 || rq.ErrStatus == 200) {
		if code == 412 {
			rq.Error(412)
			return
		}
		hd.Del("Content-Type")
		rq.WriteHeader(304)
		return
	}
	hd.Set("Content-Length", "43")
	rq.WriteHeader(200)
	if rq.R.Method != "HEAD" {
		rq.Write(emptyGIF)
	}
}
