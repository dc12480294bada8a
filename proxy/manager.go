// Package proxy is ngx_http_proxy_module and ngx_http_upstream_module:
// proxy_pass through httputil.ReverseProxy, over a pooled HTTP/1.x
// upstream client, with nginx's URI, header, redirect, retry and error
// rules.
package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"goproxy/confparse"
	"goproxy/logging"
	"goproxy/ssl"
)

// Manager is the proxy state that outlives a configuration: connection
// pools and upstream groups (with their health state), reused by the
// next configuration when an upstream is unchanged.
type Manager struct {
	mu     sync.Mutex
	groups map[string]*group // by key
	pool   *pool
	stop   chan struct{}
}

// NewManager starts the manager and its background re-resolver.
func NewManager() *Manager {
	m := &Manager{groups: map[string]*group{}, pool: newPool(), stop: make(chan struct{})}
	go m.refresher()
	return m
}

// refresher re-resolves upstream names in the background, so that a
// request rarely waits for DNS.
func (m *Manager) refresher() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		m.mu.Lock()
		gs := make([]*group, 0, len(m.groups))
		for _, g := range m.groups {
			gs = append(gs, g)
		}
		m.mu.Unlock()
		for _, g := range gs {
			g.refresh(context.Background(), false)
		}
	}
}

// Config is the proxy side of one configuration load.
type Config struct {
	m      *Manager
	cfg    *confparse.Config
	errs   *logging.ErrorLog
	blocks map[string]*confparse.Upstream
	// Warnings are names that did not resolve at load (nginx would have
	// refused to start; goproxy answers 502 until they resolve).
	Warnings []string
}

// Configure prepares the proxy for a configuration.
func (m *Manager) Configure(cfg *confparse.Config, errs *logging.ErrorLog) *Config {
	c := &Config{m: m, cfg: cfg, errs: errs, blocks: map[string]*confparse.Upstream{}}
	if cfg.HTTP != nil {
		for _, u := range cfg.HTTP.Upstreams {
			c.blocks[u.Name] = u
		}
	}
	return c
}

// groupFor returns the upstream group for a proxy_pass host, reusing a
// live one with the same definition and resolver.
func (c *Config) groupFor(host string, defaultPort int, l *confparse.Loc) *group {
	res := newResolver(l.Core.Resolver, *l.Core.ResolverTimeout)
	name := host
	var conf *confparse.Upstream
	if b, ok := c.blocks[host]; ok {
		conf = b
	} else {
		addr := host
		if strings.HasPrefix(host, "unix:") {
			addr = host
		} else if _, _, ok := splitPort(host); !ok {
			addr = net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(defaultPort))
		}
		conf = &confparse.Upstream{Name: host, Servers: []*confparse.UpstreamServer{{Addr: addr,
			Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}}}
	}
	key := groupKey(name, conf) + "|" + res.key
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	if g, ok := c.m.groups[key]; ok {
		g.conf = conf
		return g
	}
	g := newGroup(name, conf, res)
	g.key = key
	c.m.groups[key] = g
	return g
}

func splitPort(h string) (string, string, bool) {
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end >= 0 && strings.HasPrefix(h[end+1:], ":") {
			return h[:end+1], h[end+2:], true
		}
		return h, "", false
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		return h[:i], h[i+1:], true
	}
	return h, "", false
}

// Handler implements router.Content.
func (c *Config) Handler(l *confparse.Loc) http.Handler {
	h := newHandler(c, l)
	if h.group != nil {
		h.group.refresh(context.Background(), false)
		if err := h.group.lookupErr(); err != nil {
			msg := "host not found in upstream \"" + h.pass.Host + "\"; goproxy answers 502 until it resolves"
			c.Warnings = append(c.Warnings, msg)
			c.errs.Log(confparse.LevelWarn, msg)
		}
	}
	return h
}

// tlsConfig builds the client TLS settings of proxy_ssl_*.
func tlsConfig(p *confparse.ProxyLoc) (*tls.Config, error) {
	tc := &tls.Config{InsecureSkipVerify: !*p.SSLVerify}
	tc.MinVersion, tc.MaxVersion = ssl.Versions(p.SSLProtocols)
	if p.SSLTrusted != nil {
		pem, err := os.ReadFile(*p.SSLTrusted)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tc.RootCAs = pool
	}
	if p.SSLCertificate != nil && p.SSLCertificateKey != nil {
		cert, err := tls.LoadX509KeyPair(*p.SSLCertificate, *p.SSLCertificateKey)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if !*p.SSLSessionReuse {
		tc.ClientSessionCache = nil
	} else {
		tc.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	}
	return tc, nil
}
