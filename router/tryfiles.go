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

// tryFiles reports whether it finished the request. As in nginx, an
// entry written with a trailing "/" tests for a directory, and both the
// path tested and the new URI lack that slash (so a directory found
// this way is then redirected to its slashed URI); only the last entry
// splits off arguments, and a URI fallback without "?" drops them.
func (rt *Router) tryFiles(rq *httpcore.Request, srv *server) bool {
	entries := rq.Loc.Core.TryFiles
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
				uri, args, _ := strings.Cut(v, "?")
				rt.InternalRedirect(rq, uri, args)
			}
			return true
		}
		dir := strings.HasSuffix(t.Raw, "/")
		if dir {
			v = v[:len(v)-1]
		}
		path, uri := rq.TryFilesPath(v)
		rq.Filename = path
		if path == "" {
			continue
		}
		if !rt.testFile(rq, path, dir) {
			continue
		}
		// Found: the entry becomes the URI, served right here.
		rq.URI = uri
		if r := rq.Loc.Core.Root; r != nil && r.AliasRegex && !dir {
			rq.AddURIToAlias = true
		}
		rq.Filename, rq.DocRoot = "", ""
		return false
	}
	return false
}

// FileTester is the static handler's test of a try_files entry, which
// knows how disable_symlinks opens paths and logs failures as nginx.
type FileTester interface {
	TestFile(rq *httpcore.Request, path string, dir bool) bool
}

func (rt *Router) testFile(rq *httpcore.Request, path string, dir bool) bool {
	if ft, ok := rt.static.(FileTester); ok {
		return ft.TestFile(rq, path, dir)
	}
	st, err := os.Stat(path)
	return err == nil && dir == st.IsDir()
}
