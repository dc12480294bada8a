package logging

// accesslog.go is ngx_http_log_module: access_log lines in a log_format,
// variables escaped as nginx escapes them.

import (
	"goproxy/confparse"
	"goproxy/httpcore"
)

// AccessLog writes the access logs of whatever location served a request.
type AccessLog struct {
	formats map[string]*confparse.LogFormat
	errs    *ErrorLog
}

var combined = func() *confparse.LogFormat {
	t, _ := confparse.ParseTemplate(confparse.CombinedFormat)
	return &confparse.LogFormat{Name: "combined", Escape: "default", Format: t}
}()

// NewAccessLog prepares the formats of a configuration and opens every
// constant log path, so that a bad path fails the load, as in nginx.
func NewAccessLog(cfg *confparse.Config, errs *ErrorLog) (*AccessLog, error) {
	a := &AccessLog{formats: map[string]*confparse.LogFormat{"combined": combined}, errs: errs}
	if cfg.HTTP == nil {
		return a, nil
	}
	for n, f := range cfg.HTTP.LogFormats {
		a.formats[n] = f
	}
	var err error
	visit := func(l *confparse.Loc) {
		for _, al := range l.Log.Access {
			if al.Path.IsConst() && err == nil {
				_, err = openFile(al.Path.Raw)
			}
		}
	}
	walkLocs(cfg, visit)
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
		f := a.formats[al.Format]
		if f == nil {
			continue
		}
		line := FormatLine(rq, f)
		path := al.Path.Raw
		if !al.Path.IsConst() {
			path = rq.Eval(al.Path)
		}
		lf, err := openFile(path)
		if err != nil {
			a.errs.Request(rq, confparse.LevelCrit, "open() \""+path+"\" failed ("+err.Error()+")")
			continue
		}
		lf.write(line)
	}
}

// FormatLine renders one access log line.
func FormatLine(rq *httpcore.Request, f *confparse.LogFormat) []byte {
	b := make([]byte, 0, 256)
	for _, p := range f.Format.Parts {
		switch {
		case p.Var != "" || p.IsCap:
			var v string
			if p.IsCap {
				v = rq.Capture(p.Capture)
			} else {
				v, _ = rq.Var(p.Var)
			}
			if v == "" && f.Escape != "json" {
				if f.Escape != "none" {
					b = append(b, '-')
				}
				continue
			}
			b = appendEscaped(b, v, f.Escape)
		default:
			b = append(b, p.Lit...)
		}
	}
	return append(b, '\n')
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
