// Package proxy is ngx_http_proxy_module and ngx_http_upstream_module:
// proxy_pass through httputil.ReverseProxy, over a pooled HTTP/1.x
// upstream client, with nginx's URI, header, redirect, retry and error
// rules.
package proxy

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"goproxy/confparse"
	"goproxy/filecache"
	"goproxy/logging"
)

// Manager is the proxy state that outlives a configuration: the upstream
// groups (with their peers' health and keep-alive pools) that the loaded
// configurations hold. A configuration is compiled beside the running
// one without changing anything a request reads: a group whose whole
// definition is unchanged is shared, any other is new. Groups are
// immutable once built (only their peers' counters move), and a group
// no configuration holds any more is closed.
type Manager struct {
	mu sync.Mutex
	// held are the groups of every configuration not yet released, by
	// definition key, with the number of configurations holding each.
	held map[string]*group
	// live are the configurations activated and not yet released, for
	// the metrics.
	live map[*Config]bool
	gen  int64
	stop chan struct{}
}

// NewManager starts the manager and its background re-resolver.
func NewManager() *Manager {
	m := &Manager{held: map[string]*group{}, live: map[*Config]bool{}, stop: make(chan struct{})}
	go m.refresher()
	return m
}

// Close stops the re-resolver (the process is ending).
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
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
		gs := make([]*group, 0, len(m.held))
		for _, g := range m.held {
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
	// mu guards groups and resolvers; a request takes it to find the
	// upstream block a proxy_pass variable names.
	mu        sync.RWMutex
	groups    map[groupRef]*group
	resolvers map[resolverRef]*resolver
	released  bool
	// zones are the cache zones by keys_zone name (cache.go).
	zones map[string]*filecache.Zone
	// Warnings are names that did not resolve at load (nginx would have
	// refused to start; goproxy answers 502 until they resolve).
	Warnings []string
}

// groupRef finds a group of a configuration without building its key:
// the proxy_pass host, its default port and the location's resolver.
type groupRef struct {
	host string
	port int
	res  resolverRef
}

// resolverRef is a location's "resolver" and "resolver_timeout".
type resolverRef struct {
	conf    *confparse.Resolver
	timeout time.Duration
}

// Configure prepares the proxy for a configuration; nothing in use
// changes until Activate.
func (m *Manager) Configure(cfg *confparse.Config, errs *logging.ErrorLog) *Config {
	c := &Config{m: m, cfg: cfg, errs: errs, blocks: map[string]*confparse.Upstream{},
		groups: map[groupRef]*group{}, resolvers: map[resolverRef]*resolver{}}
	if cfg.HTTP != nil {
		for _, u := range cfg.HTTP.Upstreams {
			c.blocks[u.Name] = u
		}
		if zs, err := openZones(cfg.HTTP); err != nil {
			errs.Log(confparse.LevelEmerg, "cache: "+err.Error())
		} else {
			c.zones = zs
		}
	}
	return c
}

// Activate makes the configuration the one in force for the metrics (the
// groups it holds are re-resolved from Configure on).
func (c *Config) Activate() {
	c.m.mu.Lock()
	c.m.live[c] = true
	c.m.mu.Unlock()
}

// Release drops the configuration: its groups that no other one holds
// are closed (idle keep-alive connections closed, no more re-resolving).
// It is called for a configuration that failed to load, and for the
// previous one once its last request is done.
func (c *Config) Release() {
	m := c.m
	m.mu.Lock()
	defer m.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released {
		return
	}
	c.released = true
	delete(m.live, c)
	for _, g := range c.groups {
		if g.refs--; g.refs == 0 {
			delete(m.held, g.key)
			g.close()
		}
	}
}

// resolver returns the configuration's resolver for a location: one per
// distinct "resolver", so that its cache serves every location using it.
func (c *Config) resolver(l *confparse.Loc) *resolver {
	ref := resolverRef{l.Core.Resolver, *l.Core.ResolverTimeout}
	c.mu.RLock()
	r := c.resolvers[ref]
	c.mu.RUnlock()
	if r != nil {
		return r
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r = c.resolvers[ref]; r == nil {
		r = newResolver(ref.conf, ref.timeout, c.logResolver)
		c.resolvers[ref] = r
	}
	return r
}

// logResolver writes a DNS client's error, outside any request.
func (c *Config) logResolver(msg string) {
	if c.errs != nil {
		c.errs.Log(confparse.LevelError, msg)
	}
}

// groupFor returns the upstream group for a proxy_pass host: an upstream
// block, or the implicit group of a host:port written in proxy_pass.
// A host that comes from variables and names no upstream block gets a
// group of its own for this request only, as nginx's implicit upstream,
// so that clients cannot make groups accumulate.
func (c *Config) groupFor(host string, defaultPort int, l *confparse.Loc) *group {
	conf, block := c.blocks[host]
	if !block && l.Proxy.Pass.Vars {
		return newRequestGroup(host, defaultPort, c.resolver(l), l.Proxy.Pass.URL.Raw)
	}
	ref := groupRef{host, defaultPort, resolverRef{l.Core.Resolver, *l.Core.ResolverTimeout}}
	c.mu.RLock()
	g := c.groups[ref]
	c.mu.RUnlock()
	if g != nil {
		return g
	}
	res := c.resolver(l)
	if !block {
		conf = implicitUpstream(host, defaultPort)
	}
	key := groupKey(host, conf) + "|" + res.key
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if g = c.groups[ref]; g != nil {
		return g
	}
	if g = c.m.held[key]; g == nil {
		g = newGroup(host, conf, res)
		g.key = key
		c.m.gen++
		g.gen = c.m.gen
		if !c.released {
			c.m.held[key] = g
		}
	}
	for _, o := range c.groups {
		if o == g {
			// The same group under another reference: held once.
			c.groups[ref] = g
			return g
		}
	}
	if !c.released {
		g.refs++
	}
	c.groups[ref] = g
	return g
}

// implicitUpstream is the one-server group of a proxy_pass to a host.
func implicitUpstream(host string, defaultPort int) *confparse.Upstream {
	addr := host
	if !strings.HasPrefix(host, "unix:") {
		if _, _, ok := splitPort(host); !ok {
			addr = net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(defaultPort))
		}
	}
	return &confparse.Upstream{Name: host, Servers: []*confparse.UpstreamServer{{Addr: addr,
		Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}}}
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
	h := c.newHandlerFor(l)
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
