package proxy

// metrics.go exposes the upstream peers' state to Prometheus at scrape
// time, so the request path pays nothing for it.

import (
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"goproxy/metrics"
)

// Describe implements prometheus.Collector.
func (m *Manager) Describe(ch chan<- *prometheus.Desc) {
	ch <- metrics.PeerUp
	ch <- metrics.PeerFails
	ch <- metrics.PeerActive
	ch <- metrics.PeerSelected
}

// Collect implements prometheus.Collector. While a previous
// configuration finishes its requests, an upstream may have a group in
// each: the newest one speaks for it.
func (m *Manager) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	var gs []*group
	seenGroup := map[*group]bool{}
	for c := range m.live {
		c.mu.RLock()
		for _, g := range c.groups {
			if !seenGroup[g] {
				seenGroup[g] = true
				gs = append(gs, g)
			}
		}
		c.mu.RUnlock()
	}
	m.mu.Unlock()
	sort.Slice(gs, func(i, j int) bool { return gs[i].gen > gs[j].gen })
	now := time.Now()
	seen := map[[2]string]bool{}
	for _, g := range gs {
		for _, backup := range []bool{false, true} {
			for _, p := range g.allPeers(backup) {
				k := [2]string{g.name, p.addr}
				if seen[k] {
					continue
				}
				seen[k] = true
				g.mu.Lock()
				up := 0.0
				if p.usable(now) {
					up = 1
				}
				g.mu.Unlock()
				ch <- prometheus.MustNewConstMetric(metrics.PeerUp, prometheus.GaugeValue, up, g.name, p.addr)
				ch <- prometheus.MustNewConstMetric(metrics.PeerFails, prometheus.CounterValue, float64(p.failures.Load()), g.name, p.addr)
				ch <- prometheus.MustNewConstMetric(metrics.PeerActive, prometheus.GaugeValue, float64(p.conns.Load()), g.name, p.addr)
				ch <- prometheus.MustNewConstMetric(metrics.PeerSelected, prometheus.CounterValue, float64(p.selected.Load()), g.name, p.addr)
			}
		}
	}
}
