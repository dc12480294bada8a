// Package entrypoint is the official nginx image's docker-entrypoint.sh
// and its /docker-entrypoint.d/ scripts, in Go, because goproxy's image
// has no shell. Users of nginx:latest configure the container through
// them (templates, NGINX_LOCAL_RESOLVERS, quiet logs), so goproxy's image
// must honour the same variables and print the same lines.
//
// The image links /docker-entrypoint.sh and the four stock script names
// in /docker-entrypoint.d/ to the goproxy binary, whose main dispatches
// here on the name it was started as. The stock scripts then run inside
// the entrypoint's process (so 15-local-resolvers.envsh can export a
// variable, as sourcing does), while files a user adds to the directory
// are launched as programs, as the official script does.
package entrypoint

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Name is the entrypoint's file name in the image.
const Name = "docker-entrypoint.sh"

// steps are the stock /docker-entrypoint.d/ scripts, by file name.
var steps = map[string]func(r *runner, me string) error{
	"10-listen-on-ipv6-by-default.sh": listenIPv6,
	"15-local-resolvers.envsh":        localResolvers,
	"20-envsubst-on-templates.sh":     templates,
	"30-tune-worker-processes.sh":     tuneWorkers,
}

// Paths are the files the entrypoint reads and changes; tests point
// them into a temporary directory.
type Paths struct {
	ScriptDir   string // /docker-entrypoint.d
	NginxConf   string // /etc/nginx/nginx.conf
	DefaultConf string // /etc/nginx/conf.d/default.conf
	ResolvConf  string // /etc/resolv.conf
	IfInet6     string // /proc/net/if_inet6: present when IPv6 is
}

// DefaultPaths are the image's.
var DefaultPaths = Paths{
	ScriptDir:   "/docker-entrypoint.d",
	NginxConf:   "/etc/nginx/nginx.conf",
	DefaultConf: "/etc/nginx/conf.d/default.conf",
	ResolvConf:  "/etc/resolv.conf",
	IfInet6:     "/proc/net/if_inet6",
}

// Handles reports whether a program name is the entrypoint or one of
// the stock scripts.
func Handles(prog string) bool {
	_, ok := steps[prog]
	return ok || prog == Name
}

// Main runs as the program args[0] names. As the entrypoint it configures
// and then replaces itself with the command (exec "$@"); it returns only
// when that fails. As a stock script (launched by a user's own shell
// entrypoint) it runs that step alone.
func Main(args []string) int {
	r := &runner{Paths: DefaultPaths, out: os.Stdout}
	name := filepath.Base(args[0])
	if step, ok := steps[name]; ok {
		if err := step(r, name); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			return 1
		}
		return 0
	}
	if code := r.configure(args[0], args[1:]); code != 0 {
		return code
	}
	if len(args) < 2 {
		return 0
	}
	path, err := exec.LookPath(args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: exec: %s: not found\n", args[0], args[1])
		return 127
	}
	err = syscall.Exec(path, args[1:], os.Environ())
	fmt.Fprintf(os.Stderr, "%s: exec: %s: %v\n", args[0], args[1], err)
	return 126
}

type runner struct {
	Paths
	out io.Writer
}

// log is the scripts' entrypoint_log: silent when
// NGINX_ENTRYPOINT_QUIET_LOGS is set to anything.
func (r *runner) log(format string, a ...any) {
	if os.Getenv("NGINX_ENTRYPOINT_QUIET_LOGS") == "" {
		fmt.Fprintf(r.out, format+"\n", a...)
	}
}

// configure is docker-entrypoint.sh before its exec: it returns the exit
// status that stops the container, or 0.
func (r *runner) configure(self string, cmd []string) int {
	if len(cmd) == 0 || (cmd[0] != "nginx" && cmd[0] != "nginx-debug" && cmd[0] != "goproxy") {
		return 0
	}
	dir := r.ScriptDir + "/"
	files := scriptFiles(r.ScriptDir)
	if len(files) == 0 {
		r.log("%s: No files found in %s, skipping configuration", self, dir)
		return 0
	}
	r.log("%s: %s is not empty, will attempt to perform configuration", self, dir)
	r.log("%s: Looking for shell scripts in %s", self, dir)
	for _, f := range files {
		sourced := strings.HasSuffix(f, ".envsh")
		if !sourced && !strings.HasSuffix(f, ".sh") {
			r.log("%s: Ignoring %s", self, f)
			continue
		}
		if !executable(f) {
			r.log("%s: Ignoring %s, not executable", self, f)
			continue
		}
		if sourced {
			r.log("%s: Sourcing %s", self, f)
		} else {
			r.log("%s: Launching %s", self, f)
		}
		if step := r.stock(f); step != nil {
			if err := step(r, filepath.Base(f)); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(f), err)
				return 1
			}
			continue
		}
		if sourced {
			fmt.Fprintf(os.Stderr, "%s: warning: %s not sourced: this image has no shell\n", self, f)
			continue
		}
		c := exec.Command(f)
		c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := c.Run(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				return ee.ExitCode()
			}
			fmt.Fprintf(os.Stderr, "%s: %s: %v\n", self, f, err)
			return 126
		}
	}
	r.log("%s: Configuration complete; ready for start up", self)
	return 0
}

// stock returns the built-in step for a script file that is the goproxy
// binary under a stock name; a user's own file of that name is launched.
func (r *runner) stock(f string) func(*runner, string) error {
	step, ok := steps[filepath.Base(f)]
	if !ok {
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil
	}
	a, err1 := os.Stat(f)
	b, err2 := os.Stat(self)
	if err1 != nil || err2 != nil || !os.SameFile(a, b) {
		return nil
	}
	return step
}

// scriptFiles lists the files under dir, following symlinks (find
// -follow -type f), in version order (sort -V).
func scriptFiles(dir string) []string {
	var out []string
	walkFiles(dir, 0, func(p string) { out = append(out, p) })
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i], out[j]) })
	return out
}

// walkFiles calls fn for each regular file under dir, through symlinks;
// the depth limit stops symlink loops.
func walkFiles(dir string, depth int, fn func(string)) {
	entries, err := os.ReadDir(dir)
	if err != nil || depth > 16 {
		return
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		st, err := os.Stat(p)
		switch {
		case err != nil:
		case st.IsDir():
			walkFiles(p, depth+1, fn)
		case st.Mode().IsRegular():
			fn(p)
		}
	}
}

// versionLess orders names as sort -V does for script prefixes: runs of
// digits compare as numbers, so "5-a" comes before "10-b".
func versionLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func executable(p string) bool {
	return syscall.Access(p, 1) == nil // X_OK
}

func writable(p string) bool {
	return syscall.Access(p, 2) == nil // W_OK
}
