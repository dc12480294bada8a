package router

// tryfiles.go is try_files: the first entry that names an existing file
// (or directory, for an entry ending in "/") becomes the URI, served in
// the same location; otherwise the last entry decides: "=code", a named
// location, or an internal redirect.

import (
	"os"
	"strconv"
	"strings"

	"goproxy/httpcore"
)

// tryFiles reports whether it finished the request.
func (rt *Router) tryFiles(rq *httpcore.Request, srv *server) bool {
	entries := rq.Loc.Core.TryFiles
	origURI := rq.URI
	for i, t := range entries {
		v := rq.Eval(t)
		if i == len(entries)-1 {
			switch {
			case strings.HasPrefix(t.Raw, "="):
				code, _ := strconv.Atoi(t.Raw[1:])
				rq.Error(code)
			case strings.HasPrefix(v, "@"):
				rt.InternalRedirect(rq, v, rq.Args)
			default:
				uri, args, hasQ := strings.Cut(v, "?")
				if !hasQ {
					args = rq.Args
				}
				rt.InternalRedirect(rq, uri, args)
			}
			return true
		}
		dir := strings.HasSuffix(v, "/")
		uri, _, _ := strings.Cut(v, "?")
		rq.URI = uri
		rq.MapURIToPath()
		path := rq.Filename
		rq.URI = origURI
		if path == "" {
			continue
		}
		st, err := os.Stat(strings.TrimSuffix(path, "/"))
		if err != nil || (dir != st.IsDir()) {
			continue
		}
		// Found: the entry becomes the URI, served right here.
		if u, args, ok := strings.Cut(v, "?"); ok {
			rq.URI, rq.Args = u, args
		} else {
			rq.URI = v
		}
		rq.Filename, rq.DocRoot = "", ""
		return false
	}
	return false
}
