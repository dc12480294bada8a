package proxy

// metrics.go exposes the upstream peers' state to Prometheus at scrape
// time, so the request path pays nothing for it.

import (
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"goproxy/filecache"
	"goproxy/metrics"
)

// Describe implements prometheus.Collector.
func (m *Manager) Describe(ch chan<- *prometheus.Desc) {
	ch <- metrics.PeerUp
	ch <- metrics.PeerFails
	ch <- metrics.PeerActive
	ch <- metrics.PeerSelected
	for _, d := range []*prometheus.Desc{metrics.CacheRequests, metrics.CacheSentBytes, metrics.CacheWrittenBytes,
		metrics.CacheEntries, metrics.CacheKeys, metrics.CacheSize} {
		ch <- d
	}
}

// collectCaches reports every open cache zone.
func collectCaches(ch chan<- prometheus.Metric) {
	zones.Lock()
	zs := make([]*filecache.Zone, 0, len(zones.byPath))
	for _, z := range zones.byPath {
		zs = append(zs, z)
	}
	zones.Unlock()
	for _, z := range zs {
		name, mod := z.Conf.Name, z.Conf.Module
		for status, n := range z.Statuses() {
			ch <- prometheus.MustNewConstMetric(metrics.CacheRequests, prometheus.CounterValue, float64(n), name, mod, strings.ToLower(status))
		}
		sent, written := z.Bytes()
		ch <- prometheus.MustNewConstMetric(metrics.CacheSentBytes, prometheus.CounterValue, float64(sent), name, mod)
		ch <- prometheus.MustNewConstMetric(metrics.CacheWrittenBytes, prometheus.CounterValue, float64(written), name, mod)
		st := z.Stats()
		ch <- prometheus.MustNewConstMetric(metrics.CacheEntries, prometheus.GaugeValue, float64(st.Entries), name, mod)
		ch <- prometheus.MustNewConstMetric(metrics.CacheKeys, prometheus.GaugeValue, float64(st.Keys), name, mod)
		ch <- prometheus.MustNewConstMetric(metrics.CacheSize, prometheus.GaugeValue, float64(st.Size), name, mod)
	}
}

// Collect implements prometheus.Collector. While a previous
// configuration finishes its requests, an upstream may have a group in
// each: the newest one speaks for it.
func (m *Manager) Collect(ch chan<- prometheus.Metric) {
	collectCaches(ch)
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
