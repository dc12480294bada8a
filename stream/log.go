package stream

import (
	"bytes"
	"compress/gzip"
	"os"
	"sync"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// logFiles are the access log files a runtime opened.
type logFiles struct {
	mu    sync.Mutex
	files map[string]*os.File
}

func (l *logFiles) open(path string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.files[path]; ok {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return &confparse.Diag{Level: confparse.LevelEmerg, Msg: "open() \"" + path + "\" failed (" + confparse.ErrnoText(err) + ")"}
	}
	l.files[path] = f
	return nil
}

func (l *logFiles) write(path string, line []byte) {
	l.mu.Lock()
	f := l.files[path]
	if f == nil {
		var err error
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			l.mu.Unlock()
			return
		}
		l.files[path] = f
	}
	f.Write(line)
	l.mu.Unlock()
}

func (l *logFiles) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for p, f := range l.files {
		f.Close()
		delete(l.files, p)
	}
}

// log is the log phase: every access_log of the server.
func (s *Session) log() {
	rt := s.srv.rt
	for _, al := range s.conf.AccessLogs {
		if al.If != nil {
			if v := s.eval(al.If); v == "" || v == "0" {
				continue
			}
		}
		lf := rt.cfg.LogFormats[al.Format]
		if lf == nil {
			continue
		}
		line := append(s.formatLine(lf), '\n')
		if al.Gzip > 0 {
			// Each line is a gzip member of its own: the file is one
			// valid gzip stream at every moment, as nginx's flushes make it.
			var zb bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&zb, al.Gzip)
			zw.Write(line)
			zw.Close()
			line = zb.Bytes()
		}
		rt.logs.write(s.eval(al.Path), line)
	}
}

// formatLine renders a log_format with its escaping.
func (s *Session) formatLine(f *confparse.LogFormat) []byte {
	b := make([]byte, 0, 128)
	for _, p := range f.Format.Parts {
		switch {
		case p.Var != "":
			v, found := s.Var(p.Var)
			if !found {
				if f.Escape == "default" {
					b = append(b, '-')
				}
				continue
			}
			b = httpcore.AppendLogEscaped(b, v, f.Escape)
		case p.IsCap:
		default:
			b = append(b, p.Lit...)
		}
	}
	return b
}
