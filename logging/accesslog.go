package logging

// accesslog.go is ngx_http_log_module: access_log lines in a log_format,
// variables escaped as nginx escapes them, written through zap (buffered
// when access_log has buffer=/flush=). In JSON mode each request is one
// JSON object with typed fields instead.

import (
	"strconv"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// AccessLog writes the access logs of whatever location served a
// request, for one configuration: it holds that configuration's sinks and
// open_log_file_caches, and Close gives them back.
type AccessLog struct {
	formats map[string]*confparse.LogFormat
	errs    *ErrorLog
	json    bool
	sinks   map[*confparse.AccessLog]*Sink // the constant paths
	caches  map[*confparse.LogFileCache]*FileCache
}

var combined = func() *confparse.LogFormat {
	t, _ := confparse.ParseTemplate(confparse.CombinedFormat)
	return &confparse.LogFormat{Name: "combined", Escape: "default", Format: t}
}()

// NewAccessLog prepares the formats of a configuration and opens every
// constant log path, so that a bad path fails the load, as in nginx.
func NewAccessLog(cfg *confparse.Config, errs *ErrorLog) (*AccessLog, error) {
	a := &AccessLog{formats: map[string]*confparse.LogFormat{"combined": combined}, errs: errs, json: cfg.Main.LogJSON,
		sinks: map[*confparse.AccessLog]*Sink{}, caches: map[*confparse.LogFileCache]*FileCache{}}
	if cfg.HTTP == nil {
		return a, nil
	}
	for n, f := range cfg.HTTP.LogFormats {
		a.formats[n] = f
	}
	var err error
	cfg.EachLoc(func(l *confparse.Loc) {
		if c := l.Log.FileCache; c != nil && c.Max > 0 && a.caches[c] == nil {
			a.caches[c] = NewFileCache(c)
		}
		for _, al := range l.Log.Access {
			if al.Path.IsConst() && err == nil && a.sinks[al] == nil {
				var s *Sink
				if s, err = sinkFor(al, a.json); err == nil {
					a.sinks[al] = s
				}
			}
		}
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Close gives back the sinks (their buffers written out) and closes the
// cached descriptors.
func (a *AccessLog) Close() {
	for _, s := range a.sinks {
		s.Release()
	}
	a.sinks = nil
	for _, c := range a.caches {
		c.Close()
	}
}

// Log implements the router's log phase.
func (a *AccessLog) Log(rq *httpcore.Request) {
	if rq.Loc == nil {
		return
	}
	for _, al := range rq.Loc.Log.Access {
		if al.If != nil {
			if v := rq.Eval(al.If); v == "" || v == "0" {
				continue
			}
		}
		if s := a.sinks[al]; s != nil {
			if a.json {
				s.log.Info("access", jsonFields(rq)...)
			} else if f := a.formats[al.Format]; f != nil {
				s.log.Info(string(FormatLine(rq, f)))
			}
			if lv, msg, failed := s.Failed(); failed {
				a.errs.forLoc(rq.Loc).Log(lv, msg)
				a.errs.Request(rq, confparse.LevelWarn, "send() to syslog failed while logging request")
			}
			continue
		}
		if al.Path.IsConst() {
			continue // a level of another configuration
		}
		a.logVar(rq, al)
	}
}

// varEncoder renders the lines of paths with variables in JSON mode.
var varEncoder = jsonEncoder()

// logVar writes a line to a path with variables.
func (a *AccessLog) logVar(rq *httpcore.Request, al *confparse.AccessLog) {
	var line []byte
	if a.json {
		b, err := varEncoder.EncodeEntry(zapcore.Entry{Level: zapcore.InfoLevel, Time: time.Now(), Message: "access"}, jsonFields(rq))
		if err != nil {
			return
		}
		line = append([]byte(nil), b.Bytes()...)
		b.Free()
	} else if f := a.formats[al.Format]; f != nil {
		line = append(FormatLine(rq, f), '\n')
	} else {
		return
	}
	path := rq.Eval(al.Path)
	var cache *FileCache
	if c := rq.Loc.Log.FileCache; c != nil {
		cache = a.caches[c]
	}
	if err := WriteVarLog(cache, path, line); err != nil {
		a.errs.Request(rq, confparse.LevelCrit, "open() \""+path+"\" failed ("+confparse.ErrnoText(err)+")")
	}
}

// jsonFields are the typed fields of a request in JSON mode.
func jsonFields(rq *httpcore.Request) []zap.Field {
	v := func(n string) string { s, _ := rq.Var(n); return s }
	num := func(n string) int64 { i, _ := strconv.ParseInt(v(n), 10, 64); return i }
	fields := []zap.Field{
		zap.String("remote_addr", v("remote_addr")),
		zap.String("remote_user", v("remote_user")),
		zap.String("request", v("request")),
		zap.String("method", rq.R.Method),
		zap.String("request_uri", rq.R.RequestURI),
		zap.String("uri", rq.URI),
		zap.String("protocol", rq.R.Proto),
		zap.Int("status", rq.Status()),
		zap.Int64("body_bytes_sent", rq.BodyBytesSent()),
		zap.Int64("bytes_sent", num("bytes_sent")),
		zap.Int64("request_length", rq.RequestLength()),
		zap.Float64("request_time", time.Since(rq.Start).Seconds()),
		zap.String("host", v("host")),
		zap.String("server_name", v("server_name")),
		zap.String("location", rq.LocName),
		zap.String("http_referer", v("http_referer")),
		zap.String("http_user_agent", v("http_user_agent")),
		zap.String("http_x_forwarded_for", v("http_x_forwarded_for")),
		zap.String("request_id", v("request_id")),
	}
	if u := rq.Upstream; u != nil && len(u.Addr) > 0 {
		fields = append(fields,
			zap.Strings("upstream_addr", u.Addr),
			zap.Strings("upstream_status", u.Status),
			zap.Float64s("upstream_response_time", seconds(u.ResponseTime)),
			zap.Float64s("upstream_connect_time", seconds(u.ConnectTime)),
			zap.Float64s("upstream_header_time", seconds(u.HeaderTime)))
	}
	return fields
}

// seconds turns nginx's "0.012" strings into numbers ("-" is -1).
func seconds(vals []string) []float64 {
	out := make([]float64, len(vals))
	for i, s := range vals {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			f = -1
		}
		out[i] = f
	}
	return out
}

// FormatLine renders one access log line (without its newline).
func FormatLine(rq *httpcore.Request, f *confparse.LogFormat) []byte {
	b := make([]byte, 0, 256)
	for _, p := range f.Format.Parts {
		switch {
		case p.Var != "" || p.IsCap:
			v, found := "", true
			if p.IsCap {
				v = rq.Capture(p.Capture)
			} else {
				v, found = rq.Var(p.Var)
			}
			if !found {
				// nginx logs "-" for a variable with no value (with
				// escape=json or none: nothing).
				if f.Escape == "default" {
					b = append(b, '-')
				}
				continue
			}
			b = httpcore.AppendLogEscaped(b, v, f.Escape)
		default:
			b = append(b, p.Lit...)
		}
	}
	return b
}
