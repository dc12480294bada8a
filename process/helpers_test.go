package process_test

import (
	"testing"

	"goproxy/confparse"
	"goproxy/process"
)

func start(t *testing.T, dir, path string) *process.Process {
	t.Helper()
	lo := confparse.Options{Path: path, Prefix: dir, Directives: "pid " + dir + "/pid; error_log " + dir + "/error.log;"}
	cfg, err := confparse.Load(lo)
	if err != nil {
		t.Fatal(err)
	}
	p, err := process.Start(lo, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}
