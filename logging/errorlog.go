// Package logging writes nginx's error log and access logs.
package logging

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// files shares open log files between logs that name the same path, and
// reopens them all on USR1.
type files struct {
	mu   sync.Mutex
	open map[string]*logFile
}

type logFile struct {
	mu   sync.Mutex
	path string
	w    io.Writer
	f    *os.File
}

func (f *logFile) write(b []byte) {
	f.mu.Lock()
	f.w.Write(b)
	f.mu.Unlock()
}

var shared = &files{open: map[string]*logFile{}}

// openFile returns the shared handle for a log path ("stderr",
// "/dev/stdout" and "/dev/stderr" map to the process' own streams).
func openFile(path string) (*logFile, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if f, ok := shared.open[path]; ok {
		return f, nil
	}
	lf := &logFile{path: path}
	switch path {
	case "stderr", "/dev/stderr":
		lf.w = os.Stderr
	case "/dev/stdout":
		lf.w = os.Stdout
	default:
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0644)
		if err != nil {
			return nil, err
		}
		lf.f, lf.w = f, f
	}
	shared.open[path] = lf
	return lf, nil
}

// Reopen reopens every log file (USR1, after logrotate moved them).
func Reopen() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	var first error
	for _, lf := range shared.open {
		if lf.f == nil {
			continue
		}
		f, err := os.OpenFile(lf.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0644)
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

// ErrorLog is nginx's error log: one or more targets, each with a level.
type ErrorLog struct {
	targets []errTarget
}

type errTarget struct {
	f     *logFile
	level confparse.Level
}

// NewErrorLog opens the targets.
func NewErrorLog(logs []*confparse.ErrorLog) (*ErrorLog, error) {
	el := &ErrorLog{}
	for _, l := range logs {
		f, err := openFile(l.Path)
		if err != nil {
			return nil, fmt.Errorf("open() %q failed (%v)", l.Path, err)
		}
		el.targets = append(el.targets, errTarget{f, l.Level})
	}
	return el, nil
}

// Stderr is an error log on standard error at level "notice", used until
// the configuration's own logs are open.
func Stderr() *ErrorLog {
	f, _ := openFile("stderr")
	return &ErrorLog{targets: []errTarget{{f, confparse.LevelNotice}}}
}

var pidStr = strconv.Itoa(os.Getpid())

// Line formats one line as nginx: "2026/11/27 10:00:00 [error] 1#1: msg".
func Line(level confparse.Level, msg string) []byte {
	b := make([]byte, 0, 64+len(msg))
	b = time.Now().AppendFormat(b, "2006/01/02 15:04:05")
	b = append(b, " ["...)
	b = append(b, level.String()...)
	b = append(b, "] "...)
	b = append(b, pidStr...)
	b = append(b, '#')
	b = append(b, pidStr...)
	b = append(b, ": "...)
	b = append(b, msg...)
	b = append(b, '\n')
	return b
}

// IsStderr says whether standard error is one of the targets.
func (el *ErrorLog) IsStderr() bool {
	for _, t := range el.targets {
		if t.f.f == nil && t.f.path != "/dev/stdout" {
			return true
		}
	}
	return false
}

// Enabled says whether any target logs at level.
func (el *ErrorLog) Enabled(level confparse.Level) bool {
	for _, t := range el.targets {
		if level <= t.level {
			return true
		}
	}
	return false
}

// Log writes msg at level to the targets that accept it.
func (el *ErrorLog) Log(level confparse.Level, msg string) {
	var line []byte
	for _, t := range el.targets {
		if level > t.level {
			continue
		}
		if line == nil {
			line = Line(level, msg)
		}
		t.f.write(line)
	}
}

// Logf is Log with formatting.
func (el *ErrorLog) Logf(level confparse.Level, format string, a ...any) {
	if el.Enabled(level) {
		el.Log(level, fmt.Sprintf(format, a...))
	}
}

// Request logs msg with nginx's request context: "*5 msg, client: ...,
// server: ..., request: "...", host: "..."".
func (el *ErrorLog) Request(rq *httpcore.Request, level confparse.Level, msg string) {
	if !el.Enabled(level) {
		return
	}
	var b strings.Builder
	if rq.Conn != nil {
		b.WriteString("*")
		b.WriteString(strconv.FormatUint(rq.Conn.ID, 10))
		b.WriteString(" ")
	}
	b.WriteString(msg)
	ip, _ := rq.RemoteAddrPort()
	b.WriteString(", client: ")
	b.WriteString(ip)
	if rq.Server != nil {
		b.WriteString(", server: ")
		b.WriteString(rq.Server.Name)
	}
	b.WriteString(`, request: "`)
	b.WriteString(httpcore.RequestLine(rq.R))
	b.WriteString(`"`)
	if h := rq.R.Header.Get("Host"); h != "" {
		b.WriteString(`, host: "`)
		b.WriteString(h)
		b.WriteString(`"`)
	}
	el.Log(level, b.String())
}

// FileError implements staticfs.ErrorLogger.
func (el *ErrorLog) FileError(rq *httpcore.Request, level, msg string) {
	lv, _ := confparse.ParseLevel(level)
	el.Request(rq, lv, msg)
}
