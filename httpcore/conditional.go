package httpcore

// conditional.go is nginx's not_modified filter, for a response known
// by its ETag and modification time (a file, the slice module's whole
// response).

import (
	"net/http"
	"strings"
	"time"
)

// NotModified answers the request's conditions against the entity (its
// ETag, and its modification time, zero when unknown): 304, 412, or 0
// to send it. Times compare in whole seconds, as HTTP dates do.
func NotModified(rq *Request, etag string, mtime time.Time) int {
	in := rq.R.Header
	if v := in.Get("If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && (mtime.IsZero() || mtime.Unix() > t.Unix()) {
			return 412
		}
	}
	if v := in.Get("If-Match"); v != "" && !EtagMatch(v, etag, false) {
		return 412
	}
	ims, inm := in.Get("If-Modified-Since"), in.Get("If-None-Match")
	if ims == "" && inm == "" {
		return 0
	}
	if ims != "" {
		mode := *rq.Loc.Core.IfModifiedSince
		t, err := http.ParseTime(ims)
		if mode == "off" || err != nil || mtime.IsZero() {
			return 0
		}
		if !(t.Unix() == mtime.Unix() || (mode == "before" && mtime.Unix() <= t.Unix())) {
			return 0
		}
	}
	if inm != "" && !EtagMatch(inm, etag, true) {
		return 0
	}
	return 304
}

// EtagMatch compares an If-Match / If-None-Match list with the entity
// tag; weak comparison ignores "W/".
func EtagMatch(list, etag string, weak bool) bool {
	if strings.TrimSpace(list) == "*" {
		return true
	}
	if etag == "" {
		return false
	}
	if weak {
		etag = strings.TrimPrefix(etag, "W/")
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
