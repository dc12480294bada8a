// Command conformance runs nginx's own test suite (nginx-tests) against
// goproxy and compares the result with what nginx 1.22 passes on this
// kind of machine. scripts/nginx-tests is its front door; CI runs it
// with -check, which fails when a subtest that passed before (the
// ratchet in testdata/nginx-tests/passing.json) fails now.
//
//	scripts/nginx-tests [-check] [-update] [-j 2] [FILE.t ...]
//
// The suite's folder is $NGINX_TESTS, by default ../shared/nginx-tests
// beside the repository.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		jobs     = flag.Int("j", 2, "files run at once")
		timeout  = flag.Duration("timeout", 150*time.Second, "time one file may take before its process group is killed")
		binary   = flag.String("binary", "", "binary to test (default: goproxy built from this tree)")
		globals  = flag.String("globals", "", "TEST_NGINX_GLOBALS (default: \"user root;\" when run as root)")
		out      = flag.String("out", "bin/nginx-tests.json", "results file (JSON)")
		ratchetF = flag.String("ratchet", "testdata/nginx-tests/passing.json", "the committed list of subtests goproxy passes")
		explainF = flag.String("explain", "testdata/nginx-tests/explain.txt", "reasons for the subtests nginx passes and goproxy does not")
		check    = flag.Bool("check", false, "fail when a subtest of the ratchet fails (after retrying the file twice)")
		update   = flag.Bool("update", false, "record the subtests that pass in the ratchet")
		quiet    = flag.Bool("q", false, "list only files with failures")
		verbose  = flag.Bool("v", false, "TEST_NGINX_VERBOSE=1 and each file's TAP on failure")
	)
	flag.Parse()
	suite := findSuite()
	if suite == "" {
		fmt.Fprintln(os.Stderr, "nginx-tests: the suite was not found: set NGINX_TESTS to a clone of nginx-tests (https://github.com/nginx/nginx-tests)")
		return 2
	}
	var ref Reference
	if err := readJSON(filepath.Join(suite, "reference-nginx-1.22.json"), &ref); err != nil {
		fmt.Fprintln(os.Stderr, "nginx-tests: no reference in the suite:", err)
		return 2
	}
	ex, err := LoadExplanations(*explainF)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nginx-tests:", err)
		return 2
	}
	ratchet := Passing{}
	if err := readJSON(*ratchetF, &ratchet); err != nil && !os.IsNotExist(err) {
		fmt.Fprintln(os.Stderr, "nginx-tests:", err)
		return 2
	}
	files, err := selectFiles(suite, flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "nginx-tests:", err)
		return 2
	}
	tmp, err := os.MkdirTemp("", "nginx-tests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "nginx-tests:", err)
		return 2
	}
	defer os.RemoveAll(tmp)
	bin := *binary
	if bin == "" {
		bin = filepath.Join(tmp, "goproxy")
		build := exec.Command("go", "build", "-o", bin, "./cmd/goproxy")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "nginx-tests: build failed:", err)
			return 2
		}
	} else if bin, err = filepath.Abs(bin); err != nil {
		fmt.Fprintln(os.Stderr, "nginx-tests:", err)
		return 2
	}
	g := *globals
	if g == "" && os.Geteuid() == 0 {
		g = "user root;"
	}
	r := &Runner{Suite: suite, Binary: bin, Globals: g, Timeout: *timeout, TmpDir: tmp, Verbose: *verbose}
	start := time.Now()
	fmt.Fprintf(os.Stderr, "nginx-tests: %d files from %s, %d at a time\n", len(files), suite, *jobs)
	results := r.RunAll(files, *jobs, nil)
	retryRegressions(r, results, ratchet)
	rep := Compare(results, ref, ratchet, ex)
	rep.Seconds = time.Since(start).Seconds()
	rep.Binary, rep.Suite = bin, suite
	if c, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		rep.Commit = strings.TrimSpace(string(c))
	}
	if *verbose {
		for _, fr := range rep.Files {
			if len(fr.Missed) > 0 || len(fr.Regressed) > 0 {
				fmt.Printf("==== %s\n%s\n", fr.File, fr.output)
			}
		}
	}
	rep.Print(os.Stdout, *quiet)
	if *out != "" {
		os.MkdirAll(filepath.Dir(*out), 0o755)
		if err := writeJSON(*out, rep); err != nil {
			fmt.Fprintln(os.Stderr, "nginx-tests:", err)
		}
	}
	if *update {
		for _, fr := range rep.Files {
			if len(fr.TAP.Pass) == 0 {
				delete(ratchet, fr.File)
			} else {
				ratchet[fr.File] = fr.TAP.Pass
			}
		}
		if err := writeJSON(*ratchetF, ratchet); err != nil {
			fmt.Fprintln(os.Stderr, "nginx-tests:", err)
			return 2
		}
		fmt.Printf("ratchet updated: %s\n", *ratchetF)
	}
	if *check && rep.Totals.Regressed > 0 {
		return 1
	}
	return 0
}

// retryRegressions runs a file again, up to twice, when a subtest the
// ratchet has failed: a subtest counts as passed when any run passes it,
// so one slow moment on a loaded machine does not fail CI, while a real
// regression fails all three runs.
func retryRegressions(r *Runner, results []*Result, ratchet Passing) {
	for _, res := range results {
		for try := 0; try < 2; try++ {
			pass := set(res.TAP.Pass)
			lost := false
			for _, n := range ratchet[res.File] {
				if !pass[n] {
					lost = true
				}
			}
			if !lost {
				break
			}
			again := r.Run(res.File)
			for _, n := range again.TAP.Pass {
				if !pass[n] {
					res.TAP.Pass = append(res.TAP.Pass, n)
				}
			}
			sort.Ints(res.TAP.Pass)
			res.Runs++
			res.Seconds += again.Seconds
		}
	}
}

// findSuite is $NGINX_TESTS, or the suite beside the repository.
func findSuite() string {
	cands := []string{os.Getenv("NGINX_TESTS")}
	if cands[0] == "" {
		cands = []string{"../shared/nginx-tests", "/work/shared/nginx-tests"}
	}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(c, "lib", "Test", "Nginx.pm")); err == nil && !st.IsDir() {
			abs, _ := filepath.Abs(c)
			return abs
		}
	}
	return ""
}

// selectFiles is every .t file, or those the arguments name (globs
// allowed, with or without ".t").
func selectFiles(suite string, args []string) ([]string, error) {
	all, err := ListFiles(suite)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return all, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, a := range args {
		a = filepath.Base(a)
		if !strings.HasSuffix(a, ".t") && !strings.HasSuffix(a, "*") {
			a += ".t"
		}
		n := 0
		for _, f := range all {
			if ok, _ := filepath.Match(a, f); ok && !seen[f] {
				seen[f] = true
				out = append(out, f)
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("no file matches %q in %s", a, suite)
		}
	}
	return out, nil
}
