package proxy

// store.go is *_store: a 200 response that the proxy buffers is saved
// to a file as it passes to the client, as nginx's
// ngx_http_upstream_store does. The file is written under a temporary
// name and renamed into place only when the whole body has come (its
// length as the upstream declared it), so a reader never sees a part of
// it; it then gets *_store_access' mode and the upstream's Last-Modified
// as its time, and the missing directories are made, with the access's
// mode and x where it has r (under the umask). nginx writes the
// temporary file in *_temp_path; goproxy writes it in the nearest
// directory of the destination that exists, so that the rename stays
// on one file system.

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"goproxy/confparse"
)

// storeFile writes the body it passes on to a temporary file.
type storeFile struct {
	rc     io.ReadCloser
	h      *handler
	st     *state
	f      *os.File
	path   string
	mode   os.FileMode
	mtime  int64 // -1: none
	length int64 // -1: unknown
	n      int64
}

// storeResponse starts saving the response when *_store applies to it.
func (h *handler) storeResponse(st *state, resp *http.Response) {
	u := &h.loc.Proxy.UpstreamConn
	rq := st.rq
	if u.Store == nil || !u.Store.On || resp.StatusCode != 200 || st.stream || rq.R.Method == "HEAD" {
		return
	}
	path := ""
	if u.Store.Path != nil {
		path = rq.Eval(u.Store.Path)
	} else {
		rq.MapURIToPath()
		path = rq.Filename
	}
	if path == "" {
		return
	}
	dir := filepath.Dir(path)
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".")
	if err != nil {
		h.c.errs.Request(rq, confparse.LevelCrit, "open() \""+dir+"\" failed ("+confparse.ErrnoText(err)+")")
		return
	}
	resp.Body = &storeFile{rc: resp.Body, h: h, st: st, f: f, path: path, mode: os.FileMode(*u.StoreAccess),
		mtime: lastModified(resp.Header), length: resp.ContentLength}
}

func (s *storeFile) Read(p []byte) (int, error) {
	n, err := s.rc.Read(p)
	if n > 0 && s.f != nil {
		if _, werr := s.f.Write(p[:n]); werr != nil {
			s.h.c.errs.Request(s.st.rq, confparse.LevelCrit, "write() \""+s.f.Name()+"\" failed ("+confparse.ErrnoText(werr)+")")
			s.discard()
		}
		s.n += int64(n)
	}
	if err == io.EOF && s.f != nil {
		s.commit()
	}
	return n, err
}

// commit puts the whole body in place.
func (s *storeFile) commit() {
	f, tmp := s.f, s.f.Name()
	s.f = nil
	if s.length >= 0 && s.n != s.length {
		f.Close()
		os.Remove(tmp)
		return
	}
	err := f.Chmod(s.mode)
	if err == nil && s.mtime >= 0 {
		t := time.Unix(s.mtime, 0)
		err = os.Chtimes(tmp, t, t)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	dir := filepath.Dir(s.path)
	if err == nil {
		if err = os.MkdirAll(dir, s.mode|(s.mode&0o444)>>2); err != nil {
			s.h.c.errs.Request(s.st.rq, confparse.LevelCrit, "mkdir() \""+dir+"\" failed ("+confparse.ErrnoText(err)+")")
			os.Remove(tmp)
			return
		}
		err = os.Rename(tmp, s.path)
	}
	if err != nil {
		s.h.c.errs.Request(s.st.rq, confparse.LevelCrit, "rename() \""+tmp+"\" to \""+s.path+"\" failed ("+confparse.ErrnoText(err)+")")
		os.Remove(tmp)
	}
}

// discard drops a body that will not be stored.
func (s *storeFile) discard() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
		s.f = nil
	}
}

// Close drops what was written of a body not read to its end.
func (s *storeFile) Close() error {
	s.discard()
	return s.rc.Close()
}
