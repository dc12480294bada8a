package router

// auth.go is nginx's access phase: allow/deny (ngx_http_access_module),
// auth_basic and auth_request, in that order, combined by "satisfy": with
// "all" the first refusal answers; with "any" the first success lets the
// request through, and a refusal is answered only when nothing granted
// access (401 winning over 403). Subrequests skip the phase.

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"goproxy/authbasic"
	"goproxy/confparse"
	"goproxy/httpcore"
)

// An access handler's answer: declined (not configured, or no rule
// matched), granted, or an HTTP status (401, 403, 500).
const (
	accessDeclined = 0
	accessGranted  = 1
)

// access is the access phase; false when the request was answered.
func (rt *Router) access(rq *httpcore.Request) bool {
	if rq.Parent != nil {
		return true
	}
	l := rq.Loc
	any := *l.Access.Satisfy == "any"
	code := 0
	for i := 0; i < 3; i++ {
		var rc int
		switch i {
		case 0:
			rc = rt.accessRules(rq, any)
		case 1:
			rc = rt.authBasic(rq)
		case 2:
			rc = rt.authRequest(rq)
		}
		switch {
		case rc == accessDeclined:
		case rc == accessGranted && any:
			// nginx drops a WWW-Authenticate an earlier handler set.
			delete(rq.Header(), "Www-Authenticate")
			return true
		case rc == accessGranted:
		case any && (rc == 401 || rc == 403):
			if code != 401 {
				code = rc
			}
		default:
			authDelay(rq, rc)
			rq.Error(rc)
			return false
		}
	}
	if code != 0 {
		if code == 403 {
			rt.logf(rq, confparse.LevelError, "access forbidden by rule")
		}
		authDelay(rq, code)
		rq.Error(code)
		return false
	}
	return true
}

// authBasic is ngx_http_auth_basic_module. The password file is read
// on every request, as nginx does, through a cache that re-reads it
// when it changes.
func (rt *Router) authBasic(rq *httpcore.Request) int {
	ab := &rq.Loc.AuthBasic
	if ab.Realm == nil || ab.UserFile == nil {
		return accessDeclined
	}
	realm := rq.Eval(ab.Realm)
	if realm == "off" {
		return accessDeclined
	}
	user, password, ok := authbasic.Credentials(rq.R.Header.Get("Authorization"))
	if !ok {
		rt.logf(rq, confparse.LevelInfo, "no user/password was provided for basic authentication")
		return askCredentials(rq, realm)
	}
	path := rq.Eval(ab.UserFile)
	if !filepath.IsAbs(path) {
		path = rq.Cfg.ConfPrefix + path
	}
	data, err := userFiles.read(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			rt.logf(rq, confparse.LevelError, "open() \""+path+"\" failed ("+confparse.ErrnoText(err)+")")
			return 403
		}
		rt.logf(rq, confparse.LevelCrit, "open() \""+path+"\" failed ("+confparse.ErrnoText(err)+")")
		return 500
	}
	hash, found := authbasic.Lookup(data, user)
	if !found {
		rt.logf(rq, confparse.LevelError, "user \""+user+"\" was not found in \""+path+"\"")
		return askCredentials(rq, realm)
	}
	match, err := authbasic.Verify(password, hash)
	if err != nil {
		rt.logf(rq, confparse.LevelError, "user \""+user+"\": "+err.Error()+" (goproxy implements bcrypt, $apr1$, $1$, $5$, $6$, DES, {SHA}, {SSHA}, {PLAIN})")
		return askCredentials(rq, realm)
	}
	if !match {
		rt.logf(rq, confparse.LevelError, "user \""+user+"\": password mismatch")
		return askCredentials(rq, realm)
	}
	return accessGranted
}

func askCredentials(rq *httpcore.Request, realm string) int {
	rq.Header()["Www-Authenticate"] = []string{"Basic realm=\"" + realm + "\""}
	return 401
}

// fileCache keeps password files read, and re-reads one when its size,
// modification time or inode changes (checked with a stat per use).
type fileCache struct {
	mu    sync.Mutex
	files map[string]*cachedFile
}

type cachedFile struct {
	size  int64
	mtime time.Time
	ino   uint64
	data  []byte
}

var userFiles = &fileCache{files: map[string]*cachedFile{}}

func (c *fileCache) read(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var ino uint64
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = sys.Ino
	}
	c.mu.Lock()
	f := c.files[path]
	c.mu.Unlock()
	if f != nil && f.size == st.Size() && f.mtime.Equal(st.ModTime()) && f.ino == ino {
		return f.data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.files) > 1000 {
		clear(c.files)
	}
	c.files[path] = &cachedFile{size: st.Size(), mtime: st.ModTime(), ino: ino, data: data}
	c.mu.Unlock()
	return data, nil
}

// authRequest is ngx_http_auth_request_module: a subrequest to the
// configured URI decides — 2xx grants, 401 and 403 are passed on (401
// with the upstream's WWW-Authenticate), anything else is a 500. The
// auth_request_set variables are set from the subrequest first.
func (rt *Router) authRequest(rq *httpcore.Request) int {
	uri := *rq.Loc.AuthReq.URI
	if uri == "" {
		return accessDeclined
	}
	sets := rq.Loc.AuthReq.Set
	var wwwAuth []string
	status := rt.subrequest(rq, uri, nil, func(sub *httpcore.Request) {
		for _, s := range sets {
			rq.SetVar(s.Var, sub.Eval(s.Value))
		}
		if u := sub.Upstream; u != nil && u.Header != nil {
			wwwAuth = u.Header["Www-Authenticate"]
		}
	})
	switch {
	case status == 403:
		return 403
	case status == 401:
		if len(wwwAuth) > 0 {
			rq.Header()["Www-Authenticate"] = wwwAuth[:1]
		}
		return 401
	case status >= 200 && status < 300:
		return accessGranted
	}
	rt.logf(rq, confparse.LevelError, "auth request unexpected status: "+strconv.Itoa(status))
	return 500
}

// authDelay is auth_delay: a 401 of the access phase waits that long
// before it is sent, so that the time a wrong password takes tells
// nothing. A client that goes away ends the wait.
func authDelay(rq *httpcore.Request, code int) {
	d := *rq.Loc.Core.AuthDelay
	if code != 401 || d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-rq.R.Context().Done():
	}
}
