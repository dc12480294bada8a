package process

// daemon.go makes "daemon on" (nginx's default) true to its word without
// fork(): the process starts a copy of itself in a new session and waits
// until the copy reports that it is listening (or why it is not), then
// exits with that outcome, as nginx's master does.

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"goproxy/confparse"
)

const daemonEnv = "GOPROXY_DAEMON_CHILD"

var readyPipe *os.File

// daemonize starts the background copy when the configuration says
// "daemon on"; it reports whether this process should now exit.
func daemonize(cfg *confparse.Config) bool {
	if os.Getenv(daemonEnv) == "1" {
		readyPipe = os.NewFile(3, "ready")
		os.Unsetenv(daemonEnv)
		return false
	}
	if cfg.Main.Daemon != nil && !*cfg.Main.Daemon {
		return false
	}
	r, w, err := os.Pipe()
	if err != nil {
		return false
	}
	exe, err := os.Executable()
	if err != nil {
		return false
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		LogDiag(err)
		os.Exit(1)
	}
	w.Close()
	msg, _ := io.ReadAll(r)
	if s := strings.TrimSpace(string(msg)); s != "ok" {
		if s != "" {
			os.Stderr.WriteString(s + "\n")
		}
		os.Exit(1)
	}
	return true
}

// daemonReady tells the waiting parent how start-up went and detaches
// from its terminal.
func daemonReady(err error) {
	if readyPipe == nil {
		return
	}
	if err != nil {
		readyPipe.WriteString(Prog + ": [emerg] " + err.Error() + "\n")
	} else {
		readyPipe.WriteString("ok\n")
		if null, e := os.OpenFile(os.DevNull, os.O_RDWR, 0); e == nil {
			syscall.Dup2(int(null.Fd()), 0)
			syscall.Dup2(int(null.Fd()), 1)
		}
	}
	readyPipe.Close()
	readyPipe = nil
}
