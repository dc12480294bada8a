package confparse

import (
	"fmt"
	"strings"
)

// Level is an nginx log level, used for configuration diagnostics.
type Level int

// nginx's log levels, most severe first, as in ngx_log.h.
const (
	LevelEmerg Level = iota + 1
	LevelAlert
	LevelCrit
	LevelError
	LevelWarn
	LevelNotice
	LevelInfo
	LevelDebug
)

var levelNames = [...]string{"", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

func (l Level) String() string {
	if l > 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "unknown"
}

// ParseLevel maps an error_log level name to a Level.
func ParseLevel(s string) (Level, bool) {
	for i, n := range levelNames {
		if i > 0 && n == s {
			return Level(i), true
		}
	}
	return 0, false
}

// Diag is one configuration diagnostic: an [emerg] that refuses the
// configuration or a [warn] that does not. Its Error text is nginx's:
// `unknown directive "foo" in /etc/nginx/conf.d/app.conf:3`.
type Diag struct {
	Level Level
	Msg   string
	File  string // empty when nginx reports no position
	Line  int
}

func (d *Diag) Error() string {
	if d.File == "" {
		return d.Msg
	}
	return fmt.Sprintf("%s in %s:%d", d.Msg, d.File, d.Line)
}

// String includes the level, as nginx prints it: `[emerg] msg in f:3`.
func (d *Diag) String() string { return "[" + d.Level.String() + "] " + d.Error() }

// nginxf is fmt.Sprintf, except that %q quotes as nginx does: the text
// as it is, between double quotes (Go's %q would escape `\` and `"`,
// which regexes and paths often hold). Arguments to %q must be strings.
func nginxf(format string, a ...any) string {
	return fmt.Sprintf(strings.ReplaceAll(format, "%q", `"%s"`), a...)
}

// emergf builds an [emerg] at the position of a statement.
func emergf(s *Stmt, format string, a ...any) *Diag {
	d := &Diag{Level: LevelEmerg, Msg: nginxf(format, a...)}
	if s != nil {
		d.File, d.Line = s.File, s.Line
	}
	return d
}
