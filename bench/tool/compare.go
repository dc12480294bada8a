package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// run is one bench/results/*.json file.
type run struct {
	Time      string `json:"time"`
	Commit    string `json:"commit"`
	Workloads []struct {
		Name       string  `json:"name"`
		Ratio      float64 `json:"ratio"`
		GoproxyRPS float64 `json:"goproxy_rps"`
		GoproxyP99 float64 `json:"goproxy_p99_ms"`
		GoproxyCPU float64 `json:"goproxy_cpu_us"`
	} `json:"workloads"`
}

func readRun(path string) (*run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &run{}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return r, nil
}

// compare prints, per workload both runs have, the goproxy/nginx ratio
// and goproxy's CPU per request before and after. The ratio is the
// figure to compare: both servers ran in the same run, so it cancels
// most of the machine's noise that absolute requests per second carry.
func compare(w io.Writer, oldPath, newPath string) error {
	o, err := readRun(oldPath)
	if err != nil {
		return err
	}
	n, err := readRun(newPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "old %s (%s), new %s (%s)\n", o.Time, o.Commit, n.Time, n.Commit)
	fmt.Fprintf(w, "%-24s %9s %9s %8s %11s %11s %8s\n", "workload", "old ratio", "new ratio", "delta", "old cpu µs", "new cpu µs", "delta")
	for _, nw := range n.Workloads {
		for _, ow := range o.Workloads {
			if ow.Name != nw.Name {
				continue
			}
			fmt.Fprintf(w, "%-24s %9.2f %9.2f %8s %11.1f %11.1f %8s\n", nw.Name,
				ow.Ratio, nw.Ratio, pct(ow.Ratio, nw.Ratio), ow.GoproxyCPU, nw.GoproxyCPU, pct(ow.GoproxyCPU, nw.GoproxyCPU))
		}
	}
	return nil
}

func pct(old, cur float64) string {
	if old == 0 {
		return "-"
	}
	return fmt.Sprintf("%+.1f%%", (cur-old)/old*100)
}
