package process

// conns.go applies the events block to the engine: the cap on open
// client connections and the pause after a failed accept. The engine's
// own error-log lines (accept failures, panics, the cap) go to the error
// log in force.

import (
	goruntime "runtime"

	"goproxy/confparse"
	"goproxy/httpd"
	"goproxy/router"
)

// connLimits is nginx's connection table: worker_connections slots in
// each of worker_processes workers, each worker's listening sockets in
// its own table. goproxy counts client connections against it, not
// upstream ones (nginx's table holds both): a proxied request costs one
// slot here, two in nginx.
func connLimits(cfg *confparse.Config, sockets int) httpd.ConnLimits {
	wc, workers := confparse.DefaultWorkerConnections, 1
	delay := confparse.DefaultAcceptMutexDelay
	if e := cfg.Main.Events; e != nil {
		if e.WorkerConnections != nil {
			wc = *e.WorkerConnections
		}
		if e.AcceptMutexDelay != nil {
			delay = *e.AcceptMutexDelay
		}
	}
	if w := cfg.Main.WorkerProcesses; w != nil {
		switch {
		case *w == confparse.WorkerProcessesAuto:
			workers = goruntime.NumCPU()
		case *w > 0:
			workers = *w
		}
	}
	return httpd.ConnLimits{WorkerConnections: wc, Max: max(wc-sockets, 1) * workers, AcceptDelay: delay}
}

// applyEvents puts a configuration's connection settings in force.
func (p *Process) applyEvents(cfg *confparse.Config, rt *router.Router) {
	p.srv.SetConnLimits(connLimits(cfg, len(bindAddrs(rt))))
}

// engineLog writes the engine's lines to the error log in force.
func (p *Process) engineLog(level confparse.Level, msg string) {
	p.errlog.Load().Log(level, msg)
}
