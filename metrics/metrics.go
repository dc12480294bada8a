// Package metrics exposes goproxy's Prometheus metrics
// (github.com/prometheus/client_golang): requests, latencies, bytes,
// connections, upstream peers, the open-file cache, reloads and build
// information. They are served by the goproxy_metrics content handler,
// placed in a location so that allow/deny can protect it.
package metrics

import (
	"net/http"
	"runtime"
	"sync"
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
		Help: "HTTP requests served, by server name, location, method (nginx's known ones, else \"other\") and status class (2xx, 4xx, ...).",
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
		Name: "goproxy_http_request_body_bytes_total",
		Help: "Request body bytes received.",
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
	// Upstream peer and open-file cache series are read at scrape time
	// from the proxy and static handlers (see Collect below).
	PeerUp = prometheus.NewDesc("goproxy_upstream_peer_up",
		"1 when the upstream peer is usable, 0 when marked down or failed (max_fails within fail_timeout).",
		[]string{"upstream", "peer"}, nil)
	PeerFails = prometheus.NewDesc("goproxy_upstream_peer_failures_total",
		"Failed attempts to an upstream peer (errors, timeouts, next_upstream statuses).",
		[]string{"upstream", "peer"}, nil)
	PeerActive = prometheus.NewDesc("goproxy_upstream_peer_active_connections",
		"Requests in progress to an upstream peer.", []string{"upstream", "peer"}, nil)
	PeerSelected = prometheus.NewDesc("goproxy_upstream_peer_selected_total",
		"Times the balancer chose an upstream peer.", []string{"upstream", "peer"}, nil)
	FileCache = prometheus.NewDesc("goproxy_open_file_cache_lookups_total",
		"Open-file cache lookups, by result: hit or miss.", []string{"result"}, nil)
	// Cache zone series (proxy_cache_path and the CGI modules'), read
	// from the zones at scrape time; labels: the keys_zone name and the
	// module that defined it (proxy, fastcgi, scgi, uwsgi).
	CacheRequests = prometheus.NewDesc("goproxy_cache_requests_total",
		"Requests that looked in a cache zone, by outcome ($upstream_cache_status lower-cased: hit, miss, expired, stale, updating, revalidated, bypass).",
		[]string{"zone", "module", "status"}, nil)
	CacheSentBytes = prometheus.NewDesc("goproxy_cache_sent_bytes_total",
		"Response body bytes sent from a cache zone's entries.", []string{"zone", "module"}, nil)
	CacheWrittenBytes = prometheus.NewDesc("goproxy_cache_written_bytes_total",
		"Bytes of entries (head and body) committed to a cache zone.", []string{"zone", "module"}, nil)
	CacheEntries = prometheus.NewDesc("goproxy_cache_entries",
		"Entries on disk indexed by a cache zone.", []string{"zone", "module"}, nil)
	CacheKeys = prometheus.NewDesc("goproxy_cache_keys",
		"Keys held in a cache zone's keys zone (bounded by its size).", []string{"zone", "module"}, nil)
	CacheSize = prometheus.NewDesc("goproxy_cache_size_bytes",
		"Disk space a cache zone's entries take, in file system blocks as nginx counts it (max_size applies to it).",
		[]string{"zone", "module"}, nil)
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
		reloads, lastReload, buildInfo, sources,
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
	requests.WithLabelValues(server, location, MethodLabel(method), class(status)).Inc()
	duration.WithLabelValues(server, location).Observe(d.Seconds())
	bytesIn.WithLabelValues(server).Add(float64(in))
	bytesOut.WithLabelValues(server).Add(float64(out))
}

// UpstreamTimer is the response-time series of one upstream, resolved
// once: a label lookup per proxied request hashes and locks.
type UpstreamTimer struct{ obs prometheus.Observer }

// NewUpstreamTimer resolves the series of the upstream named name.
func NewUpstreamTimer(name string) *UpstreamTimer {
	return &UpstreamTimer{obs: upstreamTime.WithLabelValues(name)}
}

// Observe records an upstream's response time.
func (t *UpstreamTimer) Observe(d time.Duration) { t.obs.Observe(d.Seconds()) }

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

// sources are collectors that read live state at scrape time (the
// proxy's peers, the open-file cache). One registered collector speaks
// for them, so that a process can replace its sources (a test may start
// several processes in one binary).
var sources = &sourceSet{m: map[prometheus.Collector]bool{}}

type sourceSet struct {
	mu sync.Mutex
	m  map[prometheus.Collector]bool
}

func (s *sourceSet) Describe(ch chan<- *prometheus.Desc) {
	ch <- PeerUp
	ch <- PeerFails
	ch <- PeerActive
	ch <- PeerSelected
	ch <- FileCache
}

func (s *sourceSet) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.m {
		c.Collect(ch)
	}
}

// Register adds a live-state collector; Unregister removes it.
func Register(c prometheus.Collector) {
	sources.mu.Lock()
	sources.m[c] = true
	sources.mu.Unlock()
}

// Unregister removes a collector added by Register.
func Unregister(c prometheus.Collector) {
	sources.mu.Lock()
	delete(sources.m, c)
	sources.mu.Unlock()
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
