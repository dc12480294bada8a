package logging

// files.go shares open log files between every log that names the same
// path, and reopens them all on USR1 (logrotate). Each configuration
// holds a reference on the files it names; a file no configuration
// names any more is closed when the last one is released.

import (
	"io"
	"os"
	"sync"
)

// logFile is one open log target; it is a zapcore.WriteSyncer.
type logFile struct {
	mu   sync.Mutex
	path string
	w    io.Writer
	f    *os.File // nil for the process' own stdout/stderr
	refs int      // guarded by shared.mu
}

func (f *logFile) Write(b []byte) (int, error) {
	f.mu.Lock()
	n, err := f.w.Write(b)
	f.mu.Unlock()
	return n, err
}

// Sync is a no-op: each line is written with one write(2), as nginx does.
func (f *logFile) Sync() error { return nil }

type files struct {
	mu   sync.Mutex
	open map[string]*logFile
}

var shared = &files{open: map[string]*logFile{}}

// openFile returns the shared handle for a log path ("stderr",
// "/dev/stdout" and "/dev/stderr" map to the process' own streams), with
// a reference the caller gives back with release.
func openFile(path string) (*logFile, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if f, ok := shared.open[path]; ok {
		f.refs++
		return f, nil
	}
	lf := &logFile{path: path, refs: 1}
	switch path {
	case "stderr", "/dev/stderr":
		lf.w = os.Stderr
	case "/dev/stdout":
		lf.w = os.Stdout
	default:
		f, err := openLog(path)
		if err != nil {
			return nil, err
		}
		lf.f, lf.w = f, f
	}
	shared.open[path] = lf
	return lf, nil
}

// openLog opens a log file for appending, creating it, as nginx does.
func openLog(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0644)
}

// release gives back a reference from openFile; the last one closes the
// file.
func (f *logFile) release() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if f.refs--; f.refs > 0 {
		return
	}
	delete(shared.open, f.path)
	if f.f != nil {
		f.mu.Lock()
		f.f.Close()
		f.mu.Unlock()
	}
}

// Reopen reopens every log file (USR1, after logrotate moved them),
// access-log buffers written out first, to the files they were meant for.
func Reopen() error {
	Flush()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	var first error
	for _, lf := range shared.open {
		if lf.f == nil {
			continue
		}
		f, err := openLog(lf.path)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		lf.mu.Lock()
		old := lf.f
		lf.f, lf.w = f, f
		lf.mu.Unlock()
		old.Close()
	}
	return first
}
