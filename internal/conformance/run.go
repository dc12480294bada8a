package main

// run.go runs .t files of nginx's test suite against a binary: each file
// in its own process group (so the server it starts and the daemons it
// forks go with it), killed with the group when it overruns its time.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Runner runs files of one suite with one binary.
type Runner struct {
	Suite   string // the suite's folder
	Binary  string
	Globals string // TEST_NGINX_GLOBALS
	Timeout time.Duration
	TmpDir  string // TMPDIR for the tests (their temporary prefixes)
	Verbose bool
}

// Result is one file's run.
type Result struct {
	File     string  `json:"file"`
	TAP      TAP     `json:"tap"`
	Seconds  float64 `json:"seconds"`
	TimedOut bool    `json:"timed_out,omitempty"`
	Exit     int     `json:"exit"`
	Runs     int     `json:"runs"` // 1, or more when a regression was retried
	output   []byte
}

// RunAll runs files, jobs at a time, in the given order; the results
// are in the same order.
func (r *Runner) RunAll(files []string, jobs int, done func(*Result)) []*Result {
	out := make([]*Result, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for j := 0; j < jobs; j++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res := r.Run(files[i])
				out[i] = res
				if done != nil {
					mu.Lock()
					done(res)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// Run runs one file.
func (r *Runner) Run(file string) *Result {
	ctx, cancel := context.WithTimeout(context.Background(), r.Timeout)
	defer cancel()
	cmd := exec.Command("perl", file)
	cmd.Dir = r.Suite
	cmd.Env = append(os.Environ(),
		"TEST_NGINX_BINARY="+r.Binary,
		"TEST_NGINX_GLOBALS="+r.Globals,
		"TMPDIR="+r.TmpDir,
	)
	if r.Verbose {
		cmd.Env = append(cmd.Env, "TEST_NGINX_VERBOSE=1")
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	res := &Result{File: file, Runs: 1}
	if err := cmd.Start(); err != nil {
		res.Exit = -1
		res.output = []byte(err.Error())
		return res
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var err error
	select {
	case err = <-waited:
	case <-ctx.Done():
		res.TimedOut = true
		killGroup(cmd.Process.Pid, syscall.SIGTERM)
		select {
		case err = <-waited:
		case <-time.After(5 * time.Second):
			killGroup(cmd.Process.Pid, syscall.SIGKILL)
			err = <-waited
		}
	}
	// Whatever the file left running in its group (a server that did
	// not stop, a backend daemon) goes too.
	killGroup(cmd.Process.Pid, syscall.SIGKILL)
	res.Seconds = time.Since(start).Seconds()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.Exit = ee.ExitCode()
	}
	res.output = stdout.Bytes()
	res.TAP = ParseTAP(bytes.NewReader(res.output))
	return res
}

// killGroup signals the process group the file's perl leads; it never
// touches a process outside it.
func killGroup(pgid int, sig syscall.Signal) {
	if pgid > 1 {
		syscall.Kill(-pgid, sig)
	}
}

// ListFiles returns the suite's .t files, sorted.
func ListFiles(suite string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(suite, "*.t"))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(m))
	for i, p := range m {
		out[i] = filepath.Base(p)
	}
	return out, nil
}
