package confparse

// mod_http_log.go: ngx_http_log_module — log_format and access_log.

import (
	"strings"
	"time"
)

// LogLoc is ngx_http_log_module's configuration (and error_log's, which
// nginx also allows per location).
type LogLoc struct {
	// Access is the level's access_log list; empty, not nil, means "off".
	Access    []*AccessLog `json:",omitempty"`
	ErrorLogs []*ErrorLog  `json:",omitempty"`
	// FileCache is open_log_file_cache; Max 0 is "off" (the default:
	// a log path with variables is opened for each line).
	FileCache *LogFileCache `json:",omitempty"`
}

// LogFileCache is open_log_file_cache: the descriptors of log files
// whose names have variables, kept open by the level that wrote it.
type LogFileCache struct {
	Max      int
	Inactive time.Duration
	MinUses  int
	Valid    time.Duration
}

// LogFormat is a log_format.
type LogFormat struct {
	Name   string
	Escape string // "default", "json" or "none"
	Format *Template
}

// AccessLog is one access_log.
type AccessLog struct {
	Path   *Template // "/dev/stdout", a file, or a path with variables
	Format string
	Buffer int64         `json:",omitempty"`
	Flush  time.Duration `json:",omitempty"`
	Gzip   int           `json:",omitempty"` // the compression level
	If     *Template     `json:",omitempty"`
	// Syslog is set for a "syslog:" target (Path is then the target).
	Syslog *Syslog `json:",omitempty"`
}

// CombinedFormat is nginx's predefined "combined" log format.
const CombinedFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`

// DefaultAccessLog is Debian nginx's --http-log-path.
const DefaultAccessLog = "/var/log/nginx/access.log"

func init() {
	register("ngx_http_log_module",
		&Directive{Name: "log_format", Ctx: CtxHTTP, Args: Args2More, set: setLogFormat},
		&Directive{Name: "access_log", Ctx: httpMSL | CtxIfLocation | CtxLimitExcept, Args: Args1More, set: setAccessLog},
		&Directive{Name: "open_log_file_cache", Ctx: httpMSL, Args: Args1234, set: setLogFileCache},
	)
}

func setLogFormat(b *builder, f *frame, s *Stmt) error {
	if s.Args[0] == "combined" {
		return errf(s, "duplicate \"log_format\" name %q", s.Args[0])
	}
	return logFormat(b, s, f.http.LogFormats)
}

// logFormat reads a log_format of http or stream into formats: a new
// name, escape=, the format's parts joined into one template.
func logFormat(b *builder, s *Stmt, formats map[string]*LogFormat) error {
	name := s.Args[0]
	if _, ok := formats[name]; ok {
		return errf(s, "duplicate \"log_format\" name %q", name)
	}
	lf := &LogFormat{Name: name, Escape: "default"}
	args := s.Args[1:]
	if strings.HasPrefix(args[0], "escape=") {
		switch v := args[0][7:]; v {
		case "default", "json", "none":
			lf.Escape = v
		default:
			return errf(s, "unknown log format escaping %q", v)
		}
		args = args[1:]
	}
	t, err := b.tmpl(s, strings.Join(args, ""))
	if err != nil {
		return err
	}
	lf.Format = t
	formats[name] = lf
	return nil
}

func setAccessLog(b *builder, f *frame, s *Stmt) error {
	if s.Args[0] == "off" {
		if len(s.Args) != 1 {
			return errf(s, "invalid parameter %q", s.Args[1])
		}
		f.loc.Log.Access = []*AccessLog{}
		return nil
	}
	al, err := b.accessLog(s, "combined", f.http.LogFormats)
	if err != nil {
		return err
	}
	// An "access_log" list that was "off" stays off only if nothing else
	// is added at the same level.
	f.loc.Log.Access = append(f.loc.Log.Access, al)
	return nil
}

// setLogFileCache reads open_log_file_cache at an http level.
func setLogFileCache(b *builder, f *frame, s *Stmt) error {
	if f.loc.Log.FileCache != nil {
		return dupErr(s)
	}
	c, err := parseLogFileCache(s)
	f.loc.Log.FileCache = c
	return err
}

// parseLogFileCache reads open_log_file_cache as nginx does (defaults
// inactive=10s, min_uses=1, valid=60s; "off" is Max 0).
func parseLogFileCache(s *Stmt) (*LogFileCache, error) {
	c := &LogFileCache{Inactive: 10 * time.Second, MinUses: 1, Valid: 60 * time.Second}
	if len(s.Args) == 1 && s.Args[0] == "off" {
		return &LogFileCache{}, nil
	}
	for _, a := range s.Args {
		k, v, _ := strings.Cut(a, "=")
		ok := false
		switch k {
		case "max", "min_uses":
			n, good := parseDecimal(v)
			ok = good && (k != "max" || n > 0)
			if k == "max" {
				c.Max = int(n)
			} else {
				c.MinUses = int(n)
			}
		case "inactive", "valid":
			var d time.Duration
			d, ok = ParseTime(v, false)
			if k == "inactive" {
				c.Inactive = d
			} else {
				c.Valid = d
			}
		}
		if !ok {
			return nil, errf(s, "invalid %q parameter %q", s.Name, a)
		}
	}
	if c.Max == 0 {
		return nil, errf(s, "%q must have \"max\" parameter", s.Name)
	}
	return c, nil
}
