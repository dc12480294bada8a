// Package logging writes nginx's error log and access logs, with zap as
// the engine: nginx's line formats are zap encoders, and
// "goproxy_log_format json;" switches every log to zap's JSON encoder
// with typed fields.
package logging

import (
	"fmt"
	"strconv"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// ErrorLog is nginx's error log: one or more targets, each with a level.
type ErrorLog struct {
	log     *zap.Logger
	min     confparse.Level // the most verbose level any target takes
	targets []target
	json    bool
	// locs are the error logs of the configuration's levels that have
	// their own error_log lines, by those lines; built with the
	// configuration and closed with it.
	locs map[string]*ErrorLog
	// byFirst finds them without building the key, for this
	// configuration's own levels.
	byFirst map[*confparse.ErrorLog]*ErrorLog
}

// NewErrorLog opens the targets.
func NewErrorLog(logs []*confparse.ErrorLog, json bool) (*ErrorLog, error) {
	el := &ErrorLog{json: json}
	var cores []zapcore.Core
	for _, l := range logs {
		if l.Syslog != nil {
			w := newSyslogWriter(l.Syslog)
			cores = append(cores, zapcore.NewCore(syslogEncoder{newEncoder(json), l.Syslog, false}, w, zapLevel(l.Level)))
			el.targets = append(el.targets, w)
		} else {
			f, err := openFile(l.Path)
			if err != nil {
				el.Close()
				return nil, fmt.Errorf("open() %q failed (%v)", l.Path, err)
			}
			cores = append(cores, zapcore.NewCore(newEncoder(json), f, zapLevel(l.Level)))
			el.targets = append(el.targets, f)
		}
		if l.Level > el.min {
			el.min = l.Level
		}
	}
	el.log = zap.New(zapcore.NewTee(cores...))
	return el, nil
}

// target is where a log's lines go: a shared file or a syslog socket,
// given back with release.
type target interface {
	zapcore.WriteSyncer
	release()
}

// Stderr is an error log on standard error at level "notice", used until
// the configuration's own logs are open.
func Stderr() *ErrorLog {
	el, _ := NewErrorLog([]*confparse.ErrorLog{{Path: "stderr", Level: confparse.LevelNotice}}, false)
	return el
}

// IsStderr says whether standard error is one of the targets.
func (el *ErrorLog) IsStderr() bool {
	for _, t := range el.targets {
		if f, ok := t.(*logFile); ok && f.f == nil && f.path != "/dev/stdout" {
			return true
		}
	}
	return false
}

// Enabled says whether any target logs at level.
func (el *ErrorLog) Enabled(level confparse.Level) bool { return level <= el.min }

// Log writes msg at level to the targets that accept it.
func (el *ErrorLog) Log(level confparse.Level, msg string, fields ...zap.Field) {
	if ce := el.log.Check(zapLevel(level), msg); ce != nil {
		ce.Write(fields...)
	}
}

// Logf is Log with formatting.
func (el *ErrorLog) Logf(level confparse.Level, format string, a ...any) {
	if el.Enabled(level) {
		el.Log(level, fmt.Sprintf(format, a...))
	}
}

// Close gives back the log files (those of its locations too).
func (el *ErrorLog) Close() {
	for _, t := range el.targets {
		t.release()
	}
	el.targets = nil
	for _, o := range el.locs {
		o.Close()
	}
	el.locs, el.byFirst = nil, nil
}

// OpenLocations opens the error_log lines written at http, server or
// location level, so that a bad one fails the load as in nginx; levels
// with the same lines share one log.
func (el *ErrorLog) OpenLocations(cfg *confparse.Config) error {
	if cfg.HTTP == nil {
		return nil
	}
	var err error
	cfg.EachLoc(func(l *confparse.Loc) {
		if len(l.Log.ErrorLogs) == 0 || err != nil {
			return
		}
		k := locKey(l.Log.ErrorLogs)
		o, ok := el.locs[k]
		if !ok {
			if o, err = NewErrorLog(l.Log.ErrorLogs, el.json); err != nil {
				return
			}
			if el.locs == nil {
				el.locs, el.byFirst = map[string]*ErrorLog{}, map[*confparse.ErrorLog]*ErrorLog{}
			}
			el.locs[k] = o
		}
		el.byFirst[l.Log.ErrorLogs[0]] = o
	})
	return err
}

func locKey(logs []*confparse.ErrorLog) string {
	var b strings.Builder
	for _, l := range logs {
		b.WriteString(l.Path + "\x00" + strconv.Itoa(int(l.Level)) + "\x00")
	}
	return b.String()
}

// forLoc is the error log of a location: its own error_log lines (written
// at http, server or location level), else the main one.
func (el *ErrorLog) forLoc(l *confparse.Loc) *ErrorLog {
	if l == nil || len(l.Log.ErrorLogs) == 0 || el.locs == nil {
		return el
	}
	if o, ok := el.byFirst[l.Log.ErrorLogs[0]]; ok {
		return o
	}
	// A level of another configuration (a request that began before a
	// reload, logged through the static handler's log in force).
	if o, ok := el.locs[locKey(l.Log.ErrorLogs)]; ok {
		return o
	}
	return el
}

// Request logs msg with nginx's request context: "*5 msg, client: ...,
// server: ..., request: "...", host: "..."" — fields in JSON mode.
func (el *ErrorLog) Request(rq *httpcore.Request, level confparse.Level, msg string) {
	el.request(rq, level, msg)
}

func (el *ErrorLog) request(rq *httpcore.Request, level confparse.Level, msg string, extra ...zap.Field) {
	el = el.forLoc(rq.Loc)
	if !el.Enabled(level) {
		return
	}
	fields := make([]zap.Field, 0, 7)
	if rq.Conn != nil {
		fields = append(fields, zap.Uint64("connection", rq.Conn.ID))
	}
	ip, _ := rq.RemoteAddrPort()
	fields = append(fields, zap.String("client", ip))
	if rq.Server != nil {
		fields = append(fields, zap.String("server", rq.Server.Name))
	}
	fields = append(fields, zap.String("request", httpcore.RequestLine(rq.R)))
	fields = append(fields, extra...)
	if h := rq.R.Header.Get("Host"); h != "" {
		fields = append(fields, zap.String("host", h))
	}
	if id, ok := rq.Var("request_id"); ok && el.json {
		fields = append(fields, zap.String("request_id", id))
	}
	el.Log(level, msg, fields...)
}

// RequestUpstream logs a failure talking to an upstream, the upstream's
// URL in nginx's place in the line (after the request).
func (el *ErrorLog) RequestUpstream(rq *httpcore.Request, level confparse.Level, msg, upstream string) {
	el.request(rq, level, msg, zap.String("upstream", upstream))
}

// FileError implements staticfs.ErrorLogger.
func (el *ErrorLog) FileError(rq *httpcore.Request, level, msg string) {
	lv, _ := confparse.ParseLevel(level)
	el.Request(rq, lv, msg)
}
