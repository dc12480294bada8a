package entrypoint

// workers.go is 30-tune-worker-processes.sh. nginx's script rewrites
// worker_processes to the container's CPU limit; goproxy has no worker
// processes (worker_processes is a no-op) and the Go runtime already
// sizes itself to the cgroup CPU limit, so the variable is accepted and
// the step only says so.

import "os"

func tuneWorkers(r *runner, me string) error {
	if os.Getenv("NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE") == "" {
		return nil
	}
	r.log("%s: info: goproxy uses the container's CPU limit by itself; %s left as is", me, r.NginxConf)
	return nil
}
