package staticfs

// dav.go is ngx_http_dav_module: PUT, DELETE, MKCOL, COPY and MOVE on
// the files a location maps to, with nginx's statuses and error-log
// lines.

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/httpd"
)

// dav answers a request whose method dav_methods enables.
func (h *Handler) dav(rq *httpcore.Request) {
	switch rq.R.Method {
	case "PUT":
		h.davPut(rq)
	case "DELETE":
		h.davDelete(rq)
	case "MKCOL":
		h.davMkcol(rq)
	case "COPY", "MOVE":
		h.davCopyMove(rq)
	}
}

// hasBody is nginx's test for DELETE and MKCOL: a length above zero or
// a chunked body.
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || len(r.TransferEncoding) > 0
}

// davPut stores the body: written beside the target, given dav_access
// and the Date header's time, then renamed over it. 201 with Location
// for a new file, 204 for a replaced one.
func (h *Handler) davPut(rq *httpcore.Request) {
	if strings.HasSuffix(rq.URI, "/") {
		h.logErr(rq, "error", "cannot PUT to a collection")
		rq.Error(409)
		return
	}
	if rq.R.Header.Get("Content-Range") != "" {
		h.logErr(rq, "error", "PUT with range is unsupported")
		rq.Error(501)
		return
	}
	rq.MapURIToPath()
	path := rq.Filename
	if path == "" {
		rq.Error(404)
		return
	}
	d := &rq.Loc.Dav
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".goproxy-put-")
	if err != nil && errnoOf(err) == syscall.ENOENT && *d.CreateFullPutPath {
		if err = os.MkdirAll(dir, os.FileMode(dirAccess(*d.Access))); err == nil {
			tmp, err = os.CreateTemp(dir, ".goproxy-put-")
		}
	}
	if err != nil {
		// nginx's body file is in client_body_temp_path: what fails
		// is its rename to the target.
		h.logErr(rq, "crit", `rename() "`+path+`" failed (`+confparse.ErrnoText(err)+`)`)
		drain(rq.R.Body)
		rq.Error(500)
		return
	}
	_, err = io.Copy(tmp, rq.R.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		rq.Error(bodyStatus(err))
		return
	}
	status := 201
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			os.Remove(tmp.Name())
			h.logErr(rq, "error", `"`+path+`" could not be created (21: Is a directory)`)
			rq.Error(409)
			return
		}
		status = 204
	}
	os.Chmod(tmp.Name(), os.FileMode(*d.Access))
	if v := rq.R.Header.Get("Date"); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			os.Chtimes(tmp.Name(), t, t)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		h.logErr(rq, "crit", `rename() "`+tmp.Name()+`" to "`+path+`" failed (`+confparse.ErrnoText(err)+`)`)
		rq.Error(500)
		return
	}
	if status == 201 {
		rq.Header().Set("Location", httpcore.EscapeURI(rq.URI))
		rq.Header().Set("Content-Length", "0")
	}
	rq.WriteHeader(status)
}

// bodyStatus is the status for a body that could not be read: the
// engine's (413 for a chunked body over client_max_body_size), else 400.
func bodyStatus(err error) int {
	var se *httpd.StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return 408
	}
	return 400
}

func drain(r io.Reader) { io.Copy(io.Discard, r) }

// dirAccess is nginx's ngx_dir_access: x wherever r is given.
func dirAccess(a uint32) uint32 { return a | (a&0o444)>>2 }

// davDelete removes a file, or a directory with all it holds (its URI
// ending in "/", Depth infinity); min_delete_depth guards shallow URIs.
func (h *Handler) davDelete(rq *httpcore.Request) {
	if hasBody(rq.R) {
		h.logErr(rq, "error", "DELETE with body is unsupported")
		rq.Error(415)
		return
	}
	if min := *rq.Loc.Dav.MinDeleteDepth; min > 0 && !deepEnough(rq.URI, min) {
		h.logErr(rq, "error", "insufficient URI depth:"+strconv.Itoa(min)+" to DELETE")
		rq.Error(409)
		return
	}
	rq.MapURIToPath()
	path := strings.TrimSuffix(rq.Filename, "/")
	if path == "" {
		rq.Error(404)
		return
	}
	st, err := os.Lstat(path)
	if err != nil {
		rq.Error(h.davError(rq, err, 404, "lstat()", path))
		return
	}
	depth := davDepth(rq.R.Header, -1)
	if st.IsDir() {
		if !strings.HasSuffix(rq.URI, "/") {
			h.logErr(rq, "error", `DELETE "`+path+`" failed (21: Is a directory)`)
			rq.Error(409)
			return
		}
		if depth != -1 {
			h.logErr(rq, "error", `"Depth" header must be infinity`)
			rq.Error(400)
			return
		}
		if err := h.removeTree(rq, path); err != nil {
			rq.Error(h.davError(rq, err, 404, "rmdir()", path))
			return
		}
	} else {
		if d := davDepth(rq.R.Header, 0); d != 0 && d != -1 {
			h.logErr(rq, "error", `"Depth" header must be 0 or infinity`)
			rq.Error(400)
			return
		}
		if err := os.Remove(path); err != nil {
			rq.Error(h.davError(rq, err, 404, "unlink()", path))
			return
		}
	}
	rq.WriteHeader(204)
}

// removeTree deletes a directory depth first, as nginx's tree walk does.
func (h *Handler) removeTree(rq *httpcore.Request, dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		p := dir + "/" + e.Name()
		if e.IsDir() {
			err = h.removeTree(rq, p)
		} else {
			err = os.Remove(p)
		}
		if err != nil {
			return err
		}
	}
	return syscall.Rmdir(dir)
}

// deepEnough is min_delete_depth's test: the URI has that many "/"
// with something after the last counted.
func deepEnough(uri string, min int) bool {
	d := 0
	for i := 0; i < len(uri); i++ {
		if uri[i] == '/' {
			d++
			if d >= min && i+1 < len(uri) {
				return true
			}
		}
	}
	return false
}

// davDepth reads the Depth header: 0, 1, -1 for infinity, dflt when it
// is absent, -2 for anything else.
func davDepth(hd http.Header, dflt int) int {
	v, ok := hd["Depth"]
	if !ok || len(v) == 0 {
		return dflt
	}
	switch v[0] {
	case "0":
		return 0
	case "1":
		return 1
	case "infinity":
		return -1
	}
	return -2
}

// davMkcol creates a directory for a URI ending in "/".
func (h *Handler) davMkcol(rq *httpcore.Request) {
	if hasBody(rq.R) {
		h.logErr(rq, "error", "MKCOL with body is unsupported")
		rq.Error(415)
		return
	}
	if !strings.HasSuffix(rq.URI, "/") {
		h.logErr(rq, "error", "MKCOL can create a collection only")
		rq.Error(409)
		return
	}
	rq.MapURIToPath()
	path := strings.TrimSuffix(rq.Filename, "/")
	if path == "" {
		rq.Error(404)
		return
	}
	if err := syscall.Mkdir(path, dirAccess(*rq.Loc.Dav.Access)); err != nil {
		rq.Error(h.davError(rq, &os.PathError{Op: "mkdir", Path: path, Err: err}, 409, "mkdir()", path))
		return
	}
	rq.Header().Set("Location", httpcore.EscapeURI(rq.URI))
	rq.Header().Set("Content-Length", "0")
	rq.WriteHeader(201)
}

// davError logs a failed file operation and gives nginx's status for
// it: notFound for a missing path, 403, 405 for an existing one, 507,
// else 500.
func (h *Handler) davError(rq *httpcore.Request, err error, notFound int, op, path string) int {
	status, level := 500, "crit"
	switch errnoOf(err) {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG:
		status, level = notFound, "error"
	case syscall.EACCES, syscall.EPERM:
		status, level = 403, "error"
	case syscall.EEXIST:
		status, level = 405, "error"
	case syscall.ENOSPC:
		status, level = 507, "error"
	}
	h.logErr(rq, level, op+` "`+path+`" failed (`+confparse.ErrnoText(err)+`)`)
	return status
}

// davCopyMove copies or moves the source to the Destination header's
// URI, mapped through the same location: 201 when it did not exist,
// 204 when it was overwritten (Overwrite: T, the default).
func (h *Handler) davCopyMove(rq *httpcore.Request) {
	move := rq.R.Method == "MOVE"
	if hasBody(rq.R) {
		h.logErr(rq, "error", "COPY and MOVE with body is unsupported")
		rq.Error(415)
		return
	}
	dv, ok := rq.R.Header["Destination"]
	if !ok || len(dv) == 0 {
		h.logErr(rq, "error", `client sent no "Destination" header`)
		rq.Error(400)
		return
	}
	dest := dv[0]
	invalid := func() {
		h.logErr(rq, "error", `client sent invalid "Destination" header: "`+dest+`"`)
		rq.Error(400)
	}
	duri := dest
	if !strings.HasPrefix(dest, "/") {
		host := rq.R.Host
		if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
			host = host[:i]
		}
		host = strings.ToLower(host)
		if host == "" {
			h.logErr(rq, "error", `client sent no "Host" header`)
			rq.Error(400)
			return
		}
		scheme := "http://"
		if rq.R.TLS != nil {
			scheme = "https://"
		}
		if !strings.HasPrefix(dest, scheme) {
			invalid()
			return
		}
		rest := dest[len(scheme):]
		if !strings.HasPrefix(rest, host) {
			h.logErr(rq, "error", `"Destination" URI "`+dest+`" is handled by different repository than the source URI`)
			rq.Error(400)
			return
		}
		i := strings.IndexByte(rest[len(host):], '/')
		if i < 0 {
			invalid()
			return
		}
		duri = rest[len(host)+i:]
	}
	duri, _, _ = strings.Cut(duri, "?")
	if u, ok := unsafeURI(duri); ok {
		duri = u
	} else {
		invalid()
		return
	}
	if strings.HasSuffix(rq.URI, "/") != strings.HasSuffix(duri, "/") {
		h.logErr(rq, "error", `both URI "`+rq.URI+`" and "Destination" URI "`+dest+`" should be either collections or non-collections`)
		rq.Error(409)
		return
	}
	depth := davDepth(rq.R.Header, -1)
	if depth != -1 && (move || depth != 0) {
		if move {
			h.logErr(rq, "error", `"Depth" header must be infinity`)
		} else {
			h.logErr(rq, "error", `"Depth" header must be 0 or infinity`)
		}
		rq.Error(400)
		return
	}
	overwrite := true
	if ov, ok := rq.R.Header["Overwrite"]; ok && len(ov) > 0 {
		switch strings.ToLower(ov[0]) {
		case "t":
		case "f":
			overwrite = false
		default:
			h.logErr(rq, "error", `client sent invalid "Overwrite" header: "`+ov[0]+`"`)
			rq.Error(400)
			return
		}
	}
	rq.MapURIToPath()
	src := strings.TrimSuffix(rq.Filename, "/")
	uri := rq.URI
	rq.URI = duri
	rq.MapURIToPath()
	dst := strings.TrimSuffix(rq.Filename, "/")
	rq.URI = uri
	rq.MapURIToPath()
	if src == "" || dst == "" {
		rq.Error(404)
		return
	}
	sfi, err := os.Lstat(src)
	if err != nil {
		rq.Error(h.davError(rq, err, 404, "lstat()", src))
		return
	}
	if sfi.IsDir() && !strings.HasSuffix(rq.URI, "/") {
		h.logErr(rq, "error", `"`+src+`" is collection`)
		rq.Error(409)
		return
	}
	if dfi, err := os.Lstat(dst); err == nil {
		if !overwrite {
			h.logErr(rq, "error", `"`+dst+`" could not be created (17: File exists)`)
			rq.Error(412)
			return
		}
		if dfi.IsDir() {
			err = h.removeTree(rq, dst)
		} else {
			err = os.Remove(dst)
		}
		if err != nil {
			rq.Error(h.davError(rq, err, 404, "unlink()", dst))
			return
		}
	} else if errnoOf(err) != syscall.ENOENT {
		rq.Error(h.davError(rq, err, 404, "lstat()", dst))
		return
	}
	access := os.FileMode(*rq.Loc.Dav.Access)
	if !sfi.IsDir() {
		// A file: 204 as nginx answers, created or not. A moved file
		// gets the directories it needs.
		if move {
			err := os.Rename(src, dst)
			if errnoOf(err) == syscall.ENOENT {
				if os.MkdirAll(filepath.Dir(dst), os.FileMode(dirAccess(*rq.Loc.Dav.Access))) == nil {
					err = os.Rename(src, dst)
				}
			}
			if errnoOf(err) == syscall.EXDEV {
				if err = copyTree(src, dst, sfi, access); err == nil {
					err = os.Remove(src)
				}
			}
			if err != nil {
				h.logErr(rq, "crit", `rename() "`+src+`" to "`+dst+`" failed (`+confparse.ErrnoText(err)+`)`)
				rq.Error(500)
				return
			}
		} else if err := copyTree(src, dst, sfi, access); err != nil {
			h.logErr(rq, "crit", `copy "`+src+`" to "`+dst+`" failed (`+confparse.ErrnoText(err)+`)`)
			rq.Error(500)
			return
		}
		rq.WriteHeader(204)
		return
	}
	// A directory: 201.
	if move {
		if err := os.Rename(src, dst); err == nil {
			davCreated(rq)
			return
		}
	}
	if err := copyTree(src, dst, sfi, access); err != nil {
		rq.Error(h.davError(rq, err, 404, "mkdir()", dst))
		return
	}
	if move {
		if err := h.removeTree(rq, src); err != nil {
			rq.Error(h.davError(rq, err, 404, "rmdir()", src))
			return
		}
	}
	davCreated(rq)
}

// davCreated is COPY's and MOVE's 201: no body, no Location.
func davCreated(rq *httpcore.Request) {
	rq.Header().Set("Content-Length", "0")
	rq.WriteHeader(201)
}

// copyTree copies a file, or a directory with everything below it (a
// Depth of 0 too, as nginx), keeping modification times; files are
// created with access (dav_access, less the umask), directories with
// their own modes.
func copyTree(src, dst string, fi os.FileInfo, access os.FileMode) error {
	if fi.IsDir() {
		if err := os.Mkdir(dst, fi.Mode().Perm()); err != nil {
			return err
		}
		ents, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range ents {
			efi, err := os.Lstat(src + "/" + e.Name())
			if err != nil {
				return err
			}
			if err := copyTree(src+"/"+e.Name(), dst+"/"+e.Name(), efi, access); err != nil {
				return err
			}
		}
		return os.Chtimes(dst, fi.ModTime(), fi.ModTime())
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, access)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Chtimes(dst, fi.ModTime(), fi.ModTime())
}

// unsafeURI decodes a Destination path as nginx's parse_unsafe_uri
// does, refusing one that climbs out with "..".
func unsafeURI(u string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c == '%' && i+2 < len(u) && ishex(u[i+1]) && ishex(u[i+2]) {
			c = unhex(u[i+1])<<4 | unhex(u[i+2])
			i += 2
		}
		b.WriteByte(c)
	}
	s := b.String()
	if s == "" || s[0] != '/' || strings.IndexByte(s, 0) >= 0 {
		return "", false
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == ".." {
			return "", false
		}
	}
	return s, true
}

func ishex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
