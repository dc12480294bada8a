package confparse

// mod_core.go: the top level and the events block (ngx_core_module,
// ngx_events_module, ngx_errlog_module). goproxy is one process with
// goroutines, so the directives that shape nginx's workers are no-ops,
// but for the connection cap: worker_connections × worker_processes.

import (
	"runtime"
	"strconv"
	"strings"
	"time"
)

const noopWorkers = "goproxy is one process; the Go runtime schedules connections over all CPUs"

func init() {
	register("ngx_core_module",
		&Directive{Name: "daemon", Ctx: CtxMain, Args: ArgsFlag, set: mainFlag(func(m *MainConf) **bool { return &m.Daemon }),
			Note: "goproxy never forks; \"daemon on\" is accepted and it stays in the foreground"},
		&Directive{Name: "master_process", Ctx: CtxMain, Args: ArgsFlag, set: mainFlag(func(m *MainConf) **bool { return &m.MasterProcess }), Status: NoOp, Note: noopWorkers},
		&Directive{Name: "pid", Ctx: CtxMain, Args: Args1, set: setPID},
		&Directive{Name: "env", Ctx: CtxMain, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			f.main.Env = append(f.main.Env, s.Args[0])
			return nil
		}, Status: NoOp, Note: "goproxy keeps its whole environment"},
		&Directive{Name: "worker_shutdown_timeout", Ctx: CtxMain, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			if f.main.WorkerShutdownTimeout != nil {
				return dupErr(s)
			}
			d, ok := ParseTime(s.Args[0], true)
			if !ok {
				return invalidValue(s)
			}
			f.main.WorkerShutdownTimeout = &d
			return nil
		}},
		&Directive{Name: "worker_processes", Ctx: CtxMain, Args: Args1, Note: "goproxy is one process; the number multiplies worker_connections into its cap on open connections", set: func(b *builder, f *frame, s *Stmt) error {
			if f.main.WorkerProcesses != nil {
				return dupErr(s)
			}
			n, ok := parseDecimal(s.Args[0])
			if s.Args[0] == "auto" {
				n, ok = WorkerProcessesAuto, true
			}
			if !ok || n > 1<<20 {
				return invalidValue(s)
			}
			w := int(n)
			f.main.WorkerProcesses = &w
			return nil
		}},
		&Directive{Name: "worker_rlimit_nofile", Ctx: CtxMain, Args: Args1, Status: NoOp, Note: noopWorkers, set: validateNum},
		&Directive{Name: "worker_rlimit_core", Ctx: CtxMain, Args: Args1, Status: NoOp, Note: noopWorkers, set: validateSizeOff},
		&Directive{Name: "worker_priority", Ctx: CtxMain, Args: Args1, Status: NoOp, Note: noopWorkers, set: func(b *builder, f *frame, s *Stmt) error {
			v := strings.TrimLeft(s.Args[0], "+-")
			if _, ok := parseDecimal(v); !ok || len(s.Args[0])-len(v) > 1 {
				return errf(s, "%q directive invalid number", s.Name)
			}
			return nil
		}},
		&Directive{Name: "worker_cpu_affinity", Ctx: CtxMain, Args: Args1More, Status: NoOp, Note: noopWorkers, set: validateCPUMasks},
		&Directive{Name: "working_directory", Ctx: CtxMain, Args: Args1, Status: NoOp, Note: "only used by nginx for core dumps"},
		&Directive{Name: "pcre_jit", Ctx: CtxMain, Args: ArgsFlag, Status: NoOp, Note: "regexes run on Go's RE2 or, for what only PCRE reads, a backtracking engine; neither has a JIT to turn on"},
		&Directive{Name: "timer_resolution", Ctx: CtxMain, Args: Args1, Status: NoOp, Note: noopWorkers, set: validateMsec},
		&Directive{Name: "thread_pool", Ctx: CtxMain, Args: Args23, Status: NoOp, Note: noopWorkers},
		&Directive{Name: "lock_file", Ctx: CtxMain, Args: Args1, Status: NoOp, Note: noopWorkers},
		&Directive{Name: "worker_aio_requests", Ctx: CtxEvents, Args: Args1, Status: NoOp, Note: noopWorkers, set: validateNum},
		&Directive{Name: "load_module", Ctx: CtxMain, Args: Args1, set: setLoadModule,
			Note: "accepted for the modules goproxy has built in; any other module is an error"},
		&Directive{Name: "events", Ctx: CtxMain, Args: Args0, Block: true, set: setEvents},
		&Directive{Name: "error_log", Ctx: CtxMain | httpMSL, Args: Args1More, set: setErrorLog},
	)
	register("ngx_events_module",
		&Directive{Name: "worker_connections", Ctx: CtxEvents, Args: Args1, Note: "times worker_processes, less the listening sockets: the cap on open client connections (upstream connections are not counted)", set: func(b *builder, f *frame, s *Stmt) error {
			if f.events.WorkerConnections != nil {
				return dupErr(s)
			}
			n, err := strconv.Atoi(s.Args[0])
			if err != nil || n < 0 {
				return errf(s, "invalid number %q", s.Args[0])
			}
			f.events.WorkerConnections = &n
			return nil
		}},
		&Directive{Name: "use", Ctx: CtxEvents, Args: Args1, Status: NoOp, Note: "the Go runtime uses epoll/kqueue itself", set: func(b *builder, f *frame, s *Stmt) error {
			if f.events.Use != "" {
				return dupErr(s)
			}
			if s.Args[0] != eventMethod {
				return errf(s, "invalid event type %q", s.Args[0])
			}
			f.events.Use = s.Args[0]
			return nil
		}},
		&Directive{Name: "multi_accept", Ctx: CtxEvents, Args: ArgsFlag, Status: NoOp, Note: noopWorkers, set: validateFlag},
		&Directive{Name: "accept_mutex", Ctx: CtxEvents, Args: ArgsFlag, Status: NoOp, Note: noopWorkers, set: validateFlag},
		&Directive{Name: "accept_mutex_delay", Ctx: CtxEvents, Args: Args1, Note: "the pause after accept() fails for want of descriptors, as nginx without accept_mutex", set: func(b *builder, f *frame, s *Stmt) error {
			if f.events.AcceptMutexDelay != nil {
				return dupErr(s)
			}
			d, err := msecArg(b, s)
			if err != nil {
				return err
			}
			f.events.AcceptMutexDelay = &d
			return nil
		}},
		&Directive{Name: "epoll_events", Ctx: CtxEvents, Args: Args1, Status: NoOp, Note: noopWorkers, set: validateNum},
	)
}

// DefaultWorkerConnections and DefaultAcceptMutexDelay are nginx's;
// WorkerProcessesAuto is "worker_processes auto" (one per CPU).
const (
	WorkerProcessesAuto      = -1
	DefaultWorkerConnections = 512
	DefaultAcceptMutexDelay  = 500 * time.Millisecond
)

// eventMethod is the one "use" value nginx accepts on this system.
var eventMethod = map[string]string{"linux": "epoll", "darwin": "kqueue", "freebsd": "kqueue",
	"openbsd": "kqueue", "netbsd": "kqueue", "dragonfly": "kqueue", "illumos": "eventport",
	"solaris": "eventport"}[runtime.GOOS]

func validateNum(b *builder, f *frame, s *Stmt) error {
	_, err := numArg(b, s)
	return err
}

func validateMsec(b *builder, f *frame, s *Stmt) error {
	_, err := msecArg(b, s)
	return err
}

// validateSizeOff checks an offset (a size), as worker_rlimit_core takes.
func validateSizeOff(b *builder, f *frame, s *Stmt) error {
	if _, ok := ParseSize(s.Args[0]); !ok {
		return invalidValue(s)
	}
	return nil
}

// validateCPUMasks checks worker_cpu_affinity: "auto" may come first,
// then masks of 0 and 1, which nginx reads from their last character.
func validateCPUMasks(b *builder, f *frame, s *Stmt) error {
	args := s.Args
	if args[0] == "auto" {
		args = args[1:]
	}
	for _, m := range args {
		for i := len(m) - 1; i >= 0; i-- {
			if c := m[i]; c != '0' && c != '1' && c != ' ' {
				return errf(s, "invalid character %q in %q", string(c), s.Name)
			}
		}
	}
	return nil
}

func mainFlag(field func(*MainConf) **bool) setFunc {
	return func(b *builder, f *frame, s *Stmt) error {
		p := field(f.main)
		if *p != nil {
			return dupErr(s)
		}
		v, err := parseFlag(s, s.Args[0])
		if err != nil {
			return err
		}
		*p = &v
		return nil
	}
}

func setPID(b *builder, f *frame, s *Stmt) error {
	if f.main.PID != "" {
		return dupErr(s)
	}
	f.main.PID = b.prefixPath(s.Args[0])
	if s.Args[0] == "off" {
		f.main.PID = "off"
	}
	return nil
}

func setEvents(b *builder, f *frame, s *Stmt) error {
	if f.main.Events != nil {
		return dupErr(s)
	}
	f.main.Events = &EventsConf{}
	return b.walk(&frame{ctx: CtxEvents, main: f.main, events: f.main.Events}, s.Block)
}

// builtinModules are dynamic nginx modules whose work goproxy does
// itself, so loading them is a no-op.
var builtinModules = map[string]bool{}

func setLoadModule(b *builder, f *frame, s *Stmt) error {
	name := s.Args[0]
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if builtinModules[name] {
		return nil
	}
	return errf(s, "load_module %q: the module is not supported by goproxy", s.Args[0])
}

// debugSubsystems are the debug_* levels of error_log.
var debugSubsystems = map[string]bool{"debug_core": true, "debug_alloc": true, "debug_mutex": true,
	"debug_event": true, "debug_http": true, "debug_mail": true, "debug_stream": true}

// setErrorLog reads "error_log file [level]". Only the main level's logs
// are used by goproxy; inner levels are kept for the request they serve.
func setErrorLog(b *builder, f *frame, s *Stmt) error {
	l, err := parseErrorLog(b, s)
	if err != nil {
		return err
	}
	if f.ctx == CtxMain {
		f.main.ErrorLogs = append(f.main.ErrorLogs, l)
		return nil
	}
	f.loc.Log.ErrorLogs = append(f.loc.Log.ErrorLogs, l)
	return nil
}

// parseErrorLog reads "error_log file [level]", in any context.
func parseErrorLog(b *builder, s *Stmt) (*ErrorLog, error) {
	target := s.Args[0]
	var sl *Syslog
	switch {
	case target == "stderr":
	case strings.HasPrefix(target, "syslog:"):
		var err error
		if sl, err = parseSyslog(s, target[7:]); err != nil {
			return nil, err
		}
	case strings.HasPrefix(target, "memory:"):
		return nil, errf(s, "error_log %q is not supported by goproxy", target)
	default:
		target = b.prefixPath(target)
	}
	l := &ErrorLog{Path: target, Level: LevelError, Syslog: sl}
	// nginx takes one level, or debug_* names (debug for one subsystem,
	// logged as debug here), but not both.
	var level Level
	debugOnly := false
	for _, a := range s.Args[1:] {
		if lv, ok := ParseLevel(a); ok {
			if level != 0 || debugOnly {
				return nil, errf(s, "duplicate log level %q", a)
			}
			level = lv
			continue
		}
		if !debugSubsystems[a] || level != 0 {
			return nil, errf(s, "invalid log level %q", a)
		}
		debugOnly = true
	}
	if debugOnly {
		level = LevelDebug
	}
	if level != 0 {
		l.Level = level
	}
	return l, nil
}
