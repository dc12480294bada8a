// Command goproxy reads nginx configuration and serves it. It takes
// nginx's command line, and answers to the name "nginx" too (install it
// as a symlink or copy under that name).
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"goproxy/confparse"
	"goproxy/entrypoint"
	"goproxy/httpcore"
	"goproxy/process"
)

// options are nginx's command-line flags.
type options struct {
	help, version, configure, test, dump, quiet bool
	signal, prefix, errorLog, conf, directives  string
}

// prog is the name goproxy was started as, used where nginx prints
// "nginx: ...".
var prog = "goproxy"

func main() {
	prog = filepath.Base(os.Args[0])
	// As /docker-entrypoint.sh (a symlink in the image) goproxy is the
	// official image's entrypoint, then execs the container's command.
	if entrypoint.Handles(prog) {
		os.Exit(entrypoint.Main(os.Args))
	}
	process.Prog = prog
	if len(os.Args) > 1 && os.Args[1] == "health" {
		os.Exit(health(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "fmt" {
		os.Exit(fmtMain(os.Args[2:]))
	}
	o, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %s\n", prog, err)
		os.Exit(1)
	}
	os.Exit(run(o))
}

// parseArgs reads flags the way nginx's ngx_get_options does: letters may
// be grouped ("-tq"), and a value may be glued to its flag ("-cfile").
func parseArgs(args []string) (*options, error) {
	o := &options{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "" || a[0] != '-' {
			return nil, fmt.Errorf("invalid option: \"%s\"", a)
		}
		for j := 1; j < len(a); j++ {
			switch c := a[j]; c {
			case '?', 'h':
				o.help, o.version = true, true
			case 'v':
				o.version = true
			case 'V':
				o.version, o.configure = true, true
			case 't':
				o.test = true
			case 'T':
				o.test, o.dump = true, true
			case 'q':
				o.quiet = true
			case 'p', 'c', 'e', 'g', 's':
				var v string
				switch {
				case j+1 < len(a):
					v = a[j+1:]
				case i+1 < len(args):
					i++
					v = args[i]
				default:
					return nil, fmt.Errorf("option \"-%c\" requires %s", c, map[byte]string{
						'p': "directory name", 'c': "file name", 'e': "file name",
						'g': "parameter", 's': "parameter"}[c])
				}
				switch c {
				case 'p':
					o.prefix = v
				case 'c':
					o.conf = v
				case 'e':
					o.errorLog = v
				case 'g':
					o.directives = v
				case 's':
					switch v {
					case "stop", "quit", "reopen", "reload":
						o.signal = v
					default:
						return nil, fmt.Errorf("invalid option: \"-s %s\"", v)
					}
				}
				j = len(a)
			default:
				return nil, fmt.Errorf("invalid option: \"%s\"", []byte{c})
			}
		}
	}
	return o, nil
}

func run(o *options) int {
	if o.version {
		fmt.Fprintf(os.Stderr, "%s version: goproxy/%s\n", prog, httpcore.Version)
		if o.configure {
			fmt.Fprint(os.Stderr, buildInfo())
		}
	}
	if o.help {
		usage()
	}
	if o.version || o.help {
		return 0
	}
	lo := confparse.Options{Path: o.conf, Prefix: o.prefix, Directives: o.directives, ErrorLog: o.errorLog}
	if lo.Path == "" {
		lo.Path = confparse.DefaultConf
	}
	if o.signal != "" {
		return process.Signal(lo, o.signal)
	}
	if o.test {
		return testConfig(o, lo)
	}
	return process.Run(lo)
}

func usage() {
	fmt.Fprintf(os.Stderr, `Usage: %[1]s [-?hvVtTq] [-s signal] [-p prefix]
%[2]s [-e filename] [-c filename] [-g directives]

Options:
  -?,-h         : this help
  -v            : show version and exit
  -V            : show version and configure options then exit
  -t            : test configuration and exit
  -T            : test configuration, dump it and exit
  -q            : suppress non-error messages during configuration testing
  -s signal     : send signal to a master process: stop, quit, reopen, reload
  -p prefix     : set prefix path (default: %[3]s)
  -e filename   : set error log file (default: stderr)
  -c filename   : set configuration file (default: %[4]s)
  -g directives : set global directives out of configuration file

`, prog, strings.Repeat(" ", len("Usage: ")+len(prog)), confparse.DefaultPrefix, confparse.DefaultConf)
}

// testConfig is -t / -T.
func testConfig(o *options, lo confparse.Options) int {
	path := lo.ConfPath()
	cfg, err := confparse.Load(lo)
	if err == nil {
		err = process.CheckRuntime(cfg)
	}
	if err != nil {
		process.LogDiag(err)
		fmt.Fprintf(os.Stderr, "%s: configuration file %s test failed\n", prog, path)
		return 1
	}
	for _, w := range cfg.Warnings {
		process.LogDiag(w)
	}
	if !o.quiet {
		fmt.Fprintf(os.Stderr, "%s: the configuration file %s syntax is ok\n", prog, path)
		fmt.Fprintf(os.Stderr, "%s: configuration file %s test is successful\n", prog, path)
	}
	if o.dump {
		cfg.WriteFiles(os.Stdout)
		writeRegexEngines(os.Stdout, cfg)
	}
	return 0
}

// writeRegexEngines follows -T's dump with which engine matches each
// regex, as comments (so the dump still reads as configuration): RE2,
// RE2 with some subjects handed to the backtracking engine, or the
// backtracking engine and why. Nothing is written without regexes.
func writeRegexEngines(w io.Writer, c *confparse.Config) error {
	if len(c.Regexes) == 0 {
		return nil
	}
	if _, err := fmt.Fprintf(w, "# goproxy regex engines:\n"); err != nil {
		return err
	}
	for _, r := range c.Regexes {
		if _, err := fmt.Fprintf(w, "# %s:%d: %s \"%s\": %s\n", r.File, r.Line, r.Directive, r.Source, r.Engine()); err != nil {
			return err
		}
	}
	return nil
}
