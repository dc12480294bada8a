package confparse

// build.go walks the statement tree, context by context, handing each
// statement to its registry row, and expands "include" in place as nginx
// does. After the walk, inheritance is resolved and cross-references
// (variables, upstreams) are checked.

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Options are the command-line inputs that shape a load.
type Options struct {
	Path       string // -c; relative to the working directory
	Prefix     string // -p; "" means the default prefix
	Directives string // -g text
	ErrorLog   string // -e; "" means the default
	// ReadFile reads a configuration file; nil means os.ReadFile. "goproxy
	// fmt" loads formatted texts through it before writing them.
	ReadFile func(path string) ([]byte, error)
	// NoUserLookup leaves the user directive's names unresolved, for a
	// load that serves nothing ("goproxy fmt"): the account is not in
	// the model's dump, and need not exist where the file is formatted.
	NoUserLookup bool
}

// DefaultPrefix and DefaultConf are those of Debian's nginx build.
const (
	DefaultPrefix = "/usr/share/nginx/"
	DefaultConf   = "/etc/nginx/nginx.conf"
	DefaultPID    = "/run/nginx.pid"
)

type builder struct {
	cfg      *Config
	depth    int
	seen     map[string]bool // files already recorded for -T
	usedVars map[string]*Stmt
	warnings []*Diag
	read     func(string) ([]byte, error)
	noUser   bool // Options.NoUserLookup
	// limitRefs are zone uses, checked when all zones are known.
	limitRefs []limitRef
	// cacheRefs are *_cache zone names, checked the same way.
	cacheRefs []cacheRef
	// portless are *_pass hosts written without a port: an upstream
	// block's name, else "no port in upstream" once all are known.
	portless []portless
	// inStream routes variable references to the stream namespace.
	inStream   bool
	streamUsed map[string]*Stmt
	// streamDefined are the stream variables set, map, geo and
	// split_clients define.
	streamDefined map[string]bool
	// logFiles are the access logs of each constant path (shareBuffer).
	logFiles map[string]*logFile
}

type portless struct {
	s    *Stmt
	host string
}

// frame is the block being read: its context and the model objects its
// directives write into (like nginx's ctx pointers).
type frame struct {
	ctx      Ctx
	main     *MainConf
	events   *EventsConf
	http     *HTTPConf
	srvConf  *SrvConf
	server   *Server
	loc      *Loc
	location *Location
	ups      *Upstream
	// stream, streamServer and streamSrv are the stream block, its
	// server, and the settings the current level writes.
	stream       *StreamConf
	streamServer *StreamServer
	streamSrv    *StreamSrv
	// script is where rewrite-module statements go, in order.
	script *[]*Op
}

// paths resolves the prefix and the configuration file as nginx does: a
// relative -c is relative to the prefix, not to the working directory.
func (o Options) paths() (prefix, conf string) {
	prefix = o.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if p, err := filepath.Abs(prefix); err == nil {
		prefix = p
	}
	conf = o.Path
	if conf == "" {
		conf = DefaultConf
	}
	if !filepath.IsAbs(conf) {
		conf = filepath.Join(prefix, conf)
	}
	return prefix, conf
}

// ConfPath is the configuration file a load of o reads.
func (o Options) ConfPath() string {
	_, c := o.paths()
	return c
}

// Load reads, validates and resolves a configuration.
func Load(o Options) (*Config, error) {
	prefix, abs := o.paths()
	cfg := &Config{
		Path:       abs,
		Prefix:     withSlash(prefix),
		ConfPrefix: withSlash(filepath.Dir(abs)),
		Main:       &MainConf{},
	}
	b := &builder{cfg: cfg, seen: map[string]bool{}, usedVars: map[string]*Stmt{}, read: o.ReadFile, noUser: o.NoUserLookup}
	if b.read == nil {
		b.read = os.ReadFile
	}
	f := &frame{ctx: CtxMain, main: cfg.Main}
	if o.Directives != "" {
		stmts, d := parseText([]byte(o.Directives), "", true)
		if d != nil {
			return nil, d
		}
		for _, s := range stmts {
			s.File, s.Line = "", 0
		}
		if err := b.walk(f, stmts); err != nil {
			return nil, fixCmdline(err)
		}
	}
	stmts, text, d := readFile(abs, b.read)
	if d != nil {
		return nil, d
	}
	b.record(abs, text)
	if err := b.walk(f, stmts); err != nil {
		return nil, err
	}
	if err := b.finish(); err != nil {
		return nil, err
	}
	cfg.Warnings = b.warnings
	return cfg, nil
}

// fixCmdline rewrites a position-less error from -g text as nginx does.
func fixCmdline(err error) error {
	if d, ok := err.(*Diag); ok && d.File == "" && !strings.HasSuffix(d.Msg, " in command line") {
		d.Msg += " in command line"
	}
	return err
}

func withSlash(p string) string {
	if strings.HasSuffix(p, "/") {
		return p
	}
	return p + "/"
}

func (b *builder) record(path string, text []byte) {
	if !b.seen[path] {
		b.seen[path] = true
		b.cfg.Files = append(b.cfg.Files, SourceFile{Path: path, Text: text})
	}
}

// walk hands each statement of a block to its directive.
func (b *builder) walk(f *frame, stmts []*Stmt) error {
	for _, s := range stmts {
		if s.err != nil {
			return s.err
		}
		if s.Name == "include" {
			if err := b.include(f, s); err != nil {
				return err
			}
			continue
		}
		d, err := lookup(f.ctx, s)
		if err != nil {
			return err
		}
		if d.set == nil {
			continue // a no-op with nothing to validate
		}
		if err := d.set(b, f, s); err != nil {
			return err
		}
	}
	return nil
}

// include expands "include file|mask" in the current block.
func (b *builder) include(f *frame, s *Stmt) error {
	return b.includeInto(s, func(stmts []*Stmt) error { return b.walk(f, stmts) })
}

// includeInto reads the files an include names and hands their statements
// to walk: blocks of mappings (types, map) read them their own way.
func (b *builder) includeInto(s *Stmt, walk func([]*Stmt) error) error {
	if s.IsBlock {
		return errf(s, "directive %q is not terminated by \";\"", s.Name)
	}
	if len(s.Args) != 1 {
		return errf(s, "invalid number of arguments in %q directive", s.Name)
	}
	if b.depth > 32 {
		return errf(s, "include nesting is too deep (a file includes itself?)")
	}
	name := b.confPath(s.Args[0])
	var files []string
	if strings.ContainsAny(name, "*?[") {
		m, err := filepath.Glob(name)
		if err != nil {
			return errf(s, "glob() \"%s\" failed (%s)", name, err.Error())
		}
		// glob(3) skips dot-files for a "*" that starts a name; filepath.Glob does not.
		for _, p := range m {
			if strings.HasPrefix(filepath.Base(p), ".") && !strings.HasPrefix(filepath.Base(name), ".") {
				continue
			}
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				continue
			}
			files = append(files, p)
		}
		sort.Strings(files)
	} else {
		files = []string{name}
	}
	for _, p := range files {
		stmts, text, d := readFile(p, b.read)
		if d != nil {
			if d.File == "" { // open() failed: nginx names the include
				d.File, d.Line = s.File, s.Line
			}
			return d
		}
		b.record(p, text)
		b.depth++
		err := walk(stmts)
		b.depth--
		if err != nil {
			return err
		}
	}
	return nil
}

// confPath resolves a path as nginx's ngx_conf_full_name with conf
// prefix: relative to the directory of the main configuration file.
func (b *builder) confPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return b.cfg.ConfPrefix + p
}

// prefixPath resolves a path relative to the -p prefix, as nginx does for
// roots, logs and the pid file.
func (b *builder) prefixPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return b.cfg.Prefix + p
}

func (b *builder) warn(s *Stmt, format string, a ...any) {
	d := &Diag{Level: LevelWarn, Msg: nginxf(format, a...)}
	if s != nil {
		d.File, d.Line = s.File, s.Line
	}
	b.warnings = append(b.warnings, d)
}

// useVar records a variable reference for the end-of-load check.
func (b *builder) useVar(name string, s *Stmt) {
	if b.inStream {
		if b.streamUsed == nil {
			b.streamUsed = map[string]*Stmt{}
		}
		if _, ok := b.streamUsed[name]; !ok {
			b.streamUsed[name] = s
		}
		return
	}
	if _, ok := b.usedVars[name]; !ok {
		b.usedVars[name] = s
	}
}

// finish runs the checks nginx makes after reading everything, then
// resolves inheritance.
func (b *builder) finish() error {
	c := b.cfg
	if c.Main.Events == nil {
		return &Diag{Level: LevelEmerg, Msg: `no "events" section in configuration`}
	}
	if c.Main.PID == "" {
		c.Main.PID = DefaultPID
	}
	if len(c.Main.ErrorLogs) == 0 {
		c.Main.ErrorLogs = []*ErrorLog{{Path: "stderr", Level: LevelError}}
	}
	if err := b.checkVars(); err != nil {
		return err
	}
	if c.HTTP != nil {
		if err := b.finishHTTP(); err != nil {
			return err
		}
	}
	if c.Stream != nil {
		if err := b.checkStreamVars(); err != nil {
			return err
		}
		if err := b.finishStream(); err != nil {
			return err
		}
	}
	if err := b.defaultUser(); err != nil {
		return err
	}
	return b.checkConnections()
}

// checkVars refuses variables nobody defines, as nginx does at the end of
// its http block: `unknown "foo" variable`.
func (b *builder) checkVars() error {
	names := make([]string, 0, len(b.usedVars))
	for n := range b.usedVars {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		switch knownVariable(n, b.cfg.HTTP) {
		case varUnknown:
			return &Diag{Level: LevelEmerg, Msg: nginxf("unknown %q variable", n)}
		case varUnsupported:
			s := b.usedVars[n]
			return errf(s, "variable \"$%s\" is not supported by goproxy", n)
		}
	}
	return nil
}
