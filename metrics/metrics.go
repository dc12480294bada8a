// Package metrics exposes goproxy's Prometheus metrics
// (github.com/prometheus/client_golang): requests, latencies, bytes,
// connections, upstream peers, the open-file cache, reloads and build
// information. They are served by the goproxy_metrics content handler,
// placed in a location so that allow/deny can protect it.
package metrics

import (
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every goproxy metric; one per process, surviving
// reloads so counters never reset.
var Registry = prometheus.NewRegistry()

var (
	requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "goproxy_http_requests_total",
		Help: "HTTP requests served, by server name, location, method and status class (2xx, 4xx, ...).",
	}, []string{"server", "location", "method", "code"})
	duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "goproxy_http_request_duration_seconds",
		Help:    "Time from the first byte of the request to the end of the response ($request_time).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"server", "location"})
	upstreamTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "goproxy_upstream_response_duration_seconds",
		Help:    "Time to receive the upstream response ($upstream_response_time), by upstream.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"upstream"})
	bytesIn = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "goproxy_http_request_bytes_total",
		Help: "Bytes received in requests (head and body, $request_length).",
	}, []string{"server"})
	bytesOut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "goproxy_http_response_bytes_total",
		Help: "Bytes sent in responses (head and body, $bytes_sent).",
	}, []string{"server"})
	connections = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "goproxy_http_connections",
		Help: "Client connections open, by state: active (a request in progress) or idle (keep-alive).",
	}, []string{"state"})
	accepted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "goproxy_http_connections_accepted_total",
		Help: "Client connections accepted.",
	})
	peerUp = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "goproxy_upstream_peer_up",
		Help: "1 when the upstream peer is usable, 0 when marked down or failed (max_fails within fail_timeout).",
	}, []string{"upstream", "peer"})
	peerFails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "goproxy_upstream_peer_failures_total",
		Help: "Failed attempts to an upstream peer (errors, timeouts, next_upstream statuses).",
	}, []string{"upstream", "peer"})
	peerActive = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "goproxy_upstream_peer_active_connections",
		Help: "Requests in progress to an upstream peer.",
	}, []string{"upstream", "peer"})
	peerSelected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "goproxy_upstream_peer_selected_total",
		Help: "Times the balancer chose an upstream peer.",
	}, []string{"upstream", "peer"})
	fileCache = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "goproxy_open_file_cache_lookups_total",
		Help: "Open-file cache lookups, by result: hit or miss.",
	}, []string{"result"})
	reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "goproxy_config_reloads_total",
		Help: "Configuration reloads, by result: success or failure.",
	}, []string{"result"})
	lastReload = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "goproxy_config_last_reload_success_timestamp_seconds",
		Help: "Unix time of the last successful configuration load.",
	})
	buildInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "goproxy_build_info",
		Help: "goproxy's version and Go version; always 1.",
	}, []string{"version", "goversion"})
)

// Init registers the metrics; version is goproxy's.
func Init(version string) {
	Registry.MustRegister(requests, duration, upstreamTime, bytesIn, bytesOut, connections, accepted,
		peerUp, peerFails, peerActive, peerSelected, fileCache, reloads, lastReload, buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	buildInfo.WithLabelValues(version, runtime.Version()).Set(1)
}

// Handler serves the metrics in Prometheus' text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{})
}

var classes = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// class is "2xx" for 200..299; statuses outside 100..599 count as 5xx.
func class(status int) string {
	if status < 100 || status > 599 {
		return "5xx"
	}
	return classes[status/100-1]
}

// Request records one finished request.
func Request(server, location, method string, status int, d time.Duration, in, out int64) {
	requests.WithLabelValues(server, location, method, class(status)).Inc()
	duration.WithLabelValues(server, location).Observe(d.Seconds())
	bytesIn.WithLabelValues(server).Add(float64(in))
	bytesOut.WithLabelValues(server).Add(float64(out))
}

// UpstreamResponse records an upstream's response time.
func UpstreamResponse(upstream string, d time.Duration) {
	upstreamTime.WithLabelValues(upstream).Observe(d.Seconds())
}

// connGauges are the two connection gauges, resolved once: connection
// state changes twice per request.
var connGauges = map[string]prometheus.Gauge{
	"active": connections.WithLabelValues("active"),
	"idle":   connections.WithLabelValues("idle"),
}

// ConnState moves a connection between states ("" for none).
func ConnState(from, to string) {
	if from == "" && to != "" {
		accepted.Inc()
	}
	if from != "" {
		connGauges[from].Dec()
	}
	if to != "" {
		connGauges[to].Inc()
	}
}

// Peer reports an upstream peer's state.
func Peer(upstream, peer string, up bool, active int64) {
	v := 0.0
	if up {
		v = 1
	}
	peerUp.WithLabelValues(upstream, peer).Set(v)
	peerActive.WithLabelValues(upstream, peer).Set(float64(active))
}

// PeerFailed counts a failed attempt; PeerSelected a balancer choice.
func PeerFailed(upstream, peer string)   { peerFails.WithLabelValues(upstream, peer).Inc() }
func PeerSelected(upstream, peer string) { peerSelected.WithLabelValues(upstream, peer).Inc() }

// FileCache counts open-file cache lookups.
func FileCache(hit bool) {
	if hit {
		fileCache.WithLabelValues("hit").Inc()
		return
	}
	fileCache.WithLabelValues("miss").Inc()
}

// Reload records a configuration load.
func Reload(ok bool) {
	if ok {
		reloads.WithLabelValues("success").Inc()
		lastReload.Set(float64(time.Now().Unix()))
		return
	}
	reloads.WithLabelValues("failure").Inc()
}
