package proxy

// metrics.go exposes the upstream peers' state to Prometheus at scrape
// time, so the request path pays nothing for it.

import (
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

// Collect implements prometheus.Collector.
func (m *Manager) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	gs := make([]*group, 0, len(m.groups))
	for _, g := range m.groups {
		gs = append(gs, g)
	}
	m.mu.Unlock()
	now := time.Now()
	seen := map[[2]string]bool{}
	for _, g := range gs {
		for _, backup := range []bool{false, true} {
			for _, p := range g.allPeers(backup) {
				k := [2]string{g.name, p.addr}
				if seen[k] {
					continue // the same upstream in two configurations
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
