package confparse

// accesslog.go reads access_log as http's and stream's log modules both
// do: a file (or a path with variables, or a syslog target), a format,
// then buffer=, flush=, gzip[=level] and if=.

import (
	"strconv"
	"strings"
)

// accessLog reads an access_log that is not "off"; format is the default
// format's name ("" where the module has none), formats the module's.
func (b *builder) accessLog(s *Stmt, format string, formats map[string]*LogFormat) (*AccessLog, error) {
	al := &AccessLog{}
	target := s.Args[0]
	if params, ok := strings.CutPrefix(target, "syslog:"); ok {
		sl, err := parseSyslog(s, params)
		if err != nil {
			return nil, err
		}
		al.Syslog, al.Path = sl, &Template{Raw: target, Parts: []Part{{Lit: target}}}
	} else {
		t, err := b.tmpl(s, target)
		if err != nil {
			return nil, err
		}
		if t.IsConst() {
			path := b.prefixPath(target)
			t = &Template{Raw: path, Parts: []Part{{Lit: path}}}
		}
		al.Path = t
	}
	rest := s.Args[1:]
	if len(rest) > 0 && !strings.Contains(rest[0], "=") && rest[0] != "gzip" {
		name := rest[0]
		if formats[name] == nil && !(name == "combined" && format == "combined") {
			return nil, errf(s, "unknown log format %q", name)
		}
		format, rest = name, rest[1:]
	}
	if format == "" {
		return nil, errf(s, "log format is not specified")
	}
	al.Format = format
	if err := b.accessLogParams(s, al, rest); err != nil {
		return nil, err
	}
	return al, b.shareBuffer(s, al)
}

// accessLogParams reads buffer=, flush=, gzip and if=.
func (b *builder) accessLogParams(s *Stmt, al *AccessLog, params []string) error {
	for _, a := range params {
		k, v, hasValue := strings.Cut(a, "=")
		switch k {
		case "buffer":
			n, ok := ParseSize(v)
			if !ok || n == 0 {
				return errf(s, "invalid buffer size %q", v)
			}
			al.Buffer = n
		case "flush":
			d, ok := ParseTime(v, true)
			if !ok || d == 0 {
				return errf(s, "invalid flush time %q", v)
			}
			al.Flush = d
		case "gzip":
			al.Gzip = 1 // zlib's best speed
			if hasValue {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 9 {
					return errf(s, "invalid compression level %q", v)
				}
				al.Gzip = n
			}
		case "if":
			c, err := b.tmpl(s, v)
			if err != nil {
				return err
			}
			al.If = c
		default:
			return errf(s, "invalid parameter %q", a)
		}
	}
	if al.Gzip > 0 && al.Buffer == 0 {
		al.Buffer = 64 << 10 // a gzip log is buffered: each buffer is one gzip member
	}
	if al.Flush != 0 && al.Buffer == 0 {
		return errf(s, "no buffer is defined for access_log %q", s.Args[0])
	}
	if al.Buffer == 0 {
		return nil
	}
	if !al.Path.IsConst() {
		return errf(s, "buffered logs cannot have variables in name")
	}
	if al.Syslog != nil {
		return errf(s, "logs to syslog cannot be buffered")
	}
	return nil
}

// shareBuffer records the access logs of each file: nginx keeps one
// buffer per file, which every access_log naming it writes through, so
// the first buffered line sets it for all (and a second one must agree).
func (b *builder) shareBuffer(s *Stmt, al *AccessLog) error {
	if al.Syslog != nil || !al.Path.IsConst() {
		return nil
	}
	if b.logFiles == nil {
		b.logFiles = map[string]*logFile{}
	}
	key := strconv.FormatBool(b.inStream) + al.Path.Raw
	lf := b.logFiles[key]
	if lf == nil {
		lf = &logFile{}
		b.logFiles[key] = lf
	}
	lf.logs = append(lf.logs, al)
	if al.Buffer == 0 {
		if lf.buffered != nil {
			al.Buffer, al.Flush, al.Gzip = lf.buffered.Buffer, lf.buffered.Flush, lf.buffered.Gzip
		}
		return nil
	}
	if f := lf.buffered; f != nil {
		if f.Buffer != al.Buffer || f.Flush != al.Flush || f.Gzip != al.Gzip {
			return errf(s, "access_log %q already defined with conflicting parameters", s.Args[0])
		}
		return nil
	}
	lf.buffered = al
	for _, o := range lf.logs {
		o.Buffer, o.Flush, o.Gzip = al.Buffer, al.Flush, al.Gzip
	}
	return nil
}

// logFile is what the builder knows of one access log file.
type logFile struct {
	logs     []*AccessLog
	buffered *AccessLog // the first access_log that gave it a buffer
}
