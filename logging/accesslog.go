package logging

// accesslog.go is ngx_http_log_module: access_log lines in a log_format,
// variables escaped as nginx escapes them, written through zap (buffered
// when access_log has buffer=/flush=). In JSON mode each request is one
// JSON object with typed fields instead.

import (
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// AccessLog writes the access logs of whatever location served a request.
type AccessLog struct {
	formats map[string]*confparse.LogFormat
	errs    *ErrorLog
	json    bool
}

var combined = func() *confparse.LogFormat {
	t, _ := confparse.ParseTemplate(confparse.CombinedFormat)
	return &confparse.LogFormat{Name: "combined", Escape: "default", Format: t}
}()

// NewAccessLog prepares the formats of a configuration and opens every
// constant log path, so that a bad path fails the load, as in nginx.
func NewAccessLog(cfg *confparse.Config, errs *ErrorLog) (*AccessLog, error) {
	a := &AccessLog{formats: map[string]*confparse.LogFormat{"combined": combined}, errs: errs, json: cfg.Main.LogJSON}
	if cfg.HTTP == nil {
		return a, nil
	}
	for n, f := range cfg.HTTP.LogFormats {
		a.formats[n] = f
	}
	var err error
	walkLocs(cfg, func(l *confparse.Loc) {
		for _, al := range l.Log.Access {
			if al.Path.IsConst() && err == nil {
				_, err = openFile(al.Path.Raw)
			}
		}
	})
	return a, err
}

// walkLocs visits every Loc of a configuration.
func walkLocs(cfg *confparse.Config, visit func(*confparse.Loc)) {
	var inLoc func(l *confparse.Loc)
	inLoc = func(l *confparse.Loc) {
		visit(l)
		for _, op := range l.Rewrite.Script {
			if op.Kind == "if" {
				inLoc(op.Conf)
			}
		}
		if le := l.Core.LimitExcept; le != nil {
			inLoc(le.Conf)
		}
	}
	var walk func(ls []*confparse.Location)
	walk = func(ls []*confparse.Location) {
		for _, l := range ls {
			inLoc(l.Conf)
			walk(l.Locations)
		}
	}
	inLoc(cfg.HTTP.Loc)
	for _, s := range cfg.HTTP.Servers {
		inLoc(s.Loc)
		walk(s.Locations)
	}
}

// sinks are the zap loggers of access-log targets, one per path and
// buffering, shared by every configuration that names them.
var sinks = struct {
	sync.Mutex
	m map[string]*sink
}{m: map[string]*sink{}}

type sink struct {
	log *zap.Logger
	buf *zapcore.BufferedWriteSyncer
}

func sinkFor(path string, al *confparse.AccessLog, json bool) (*sink, error) {
	key := path + "|" + strconv.FormatInt(al.Buffer, 10) + "|" + al.Flush.String() + "|" + strconv.FormatBool(json)
	sinks.Lock()
	defer sinks.Unlock()
	if s, ok := sinks.m[key]; ok {
		return s, nil
	}
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	var ws zapcore.WriteSyncer = f
	s := &sink{}
	if al.Buffer > 0 {
		flush := al.Flush
		if flush == 0 {
			flush = time.Hour // nginx flushes a buffer only when full, unless flush= is set
		}
		s.buf = &zapcore.BufferedWriteSyncer{WS: f, Size: int(al.Buffer), FlushInterval: flush}
		ws = s.buf
	}
	var enc zapcore.Encoder = lineEncoder{zapcore.NewJSONEncoder(zapcore.EncoderConfig{})}
	if json {
		enc = jsonEncoder()
	}
	s.log = zap.New(zapcore.NewCore(enc, ws, zapcore.DebugLevel))
	sinks.m[key] = s
	return s, nil
}

// Flush writes out buffered access logs (before exit).
func Flush() {
	sinks.Lock()
	defer sinks.Unlock()
	for _, s := range sinks.m {
		if s.buf != nil {
			s.buf.Sync()
		}
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
		path := al.Path.Raw
		if !al.Path.IsConst() {
			path = rq.Eval(al.Path)
		}
		s, err := sinkFor(path, al, a.json)
		if err != nil {
			a.errs.Request(rq, confparse.LevelCrit, "open() \""+path+"\" failed ("+err.Error()+")")
			continue
		}
		if a.json {
			s.log.Info("access", jsonFields(rq)...)
			continue
		}
		f := a.formats[al.Format]
		if f == nil {
			continue
		}
		s.log.Info(string(FormatLine(rq, f)))
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
			b = appendEscaped(b, v, f.Escape)
		default:
			b = append(b, p.Lit...)
		}
	}
	return b
}

func appendEscaped(b []byte, v, mode string) []byte {
	const hexd = "0123456789ABCDEF"
	switch mode {
	case "none":
		return append(b, v...)
	case "json":
		for i := 0; i < len(v); i++ {
			c := v[i]
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
			default:
				b = append(b, c)
			}
		}
		return b
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '"' || c == '\\' || c < 0x20 || c > 0x7e {
			b = append(b, '\\', 'x', hexd[c>>4], hexd[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}
