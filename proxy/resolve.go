package proxy

// resolve.go resolves upstream host names at run time: with the system
// resolver, or with the servers of nginx's "resolver" directive through
// goproxy's own DNS client (dns.go), which caches its answers for their
// TTL or "valid=" as nginx's resolver does.

import (
	"context"
	"net"
	"sort"
	"time"

	"goproxy/confparse"
)

type resolver struct {
	// dns is the "resolver" directive's client; nil for the system
	// resolver.
	dns *dnsClient
	// valid is how often the names of upstream groups are looked up
	// again.
	valid time.Duration
	ipv6  bool
	key   string
}

// defaultValid is how long a system-resolver answer is used before the
// name is looked up again (a restarted container is followed within it).
const defaultValid = 5 * time.Second

// maxCachedNames bounds a resolver's cache: names come from clients when
// proxy_pass has variables, so the cache must not grow with them. The
// oldest name goes first.
const maxCachedNames = 1024

// newResolver is a location's resolver; logf writes the DNS client's
// own errors ("short DNS response") to the error log.
func newResolver(c *confparse.Resolver, timeout time.Duration, logf func(string)) *resolver {
	if c == nil || len(c.Addrs) == 0 {
		return &resolver{valid: defaultValid, ipv6: true, key: "system"}
	}
	valid := c.Valid
	if valid == 0 {
		valid = 30 * time.Second
	}
	key := ""
	for _, a := range c.Addrs {
		key += a + ","
	}
	return &resolver{dns: newDNSClient(c.Addrs, timeout, c.Valid, c.IPv6, logf), valid: valid, ipv6: c.IPv6,
		key: key + valid.String()}
}

// Resolver is a resolver for the stream module's proxy_pass with
// variables: the same client and cache as http's.
type Resolver struct{ r *resolver }

// NewResolver is the resolver of a "resolver" directive (nil: the system's).
func NewResolver(c *confparse.Resolver, timeout time.Duration, logf func(string)) Resolver {
	return Resolver{newResolver(c, timeout, logf)}
}

// Resolve looks host up through the cache.
func (r Resolver) Resolve(ctx context.Context, host string) ([]string, error) {
	return r.r.cached(ctx, host)
}

// lookup returns the addresses of host, IPv4 first, asking again: the
// periodic re-resolution of an upstream group's names, which follows a
// container restarted with a new address whatever the TTL.
func (r *resolver) lookup(ctx context.Context, host string) ([]string, error) {
	if r.dns != nil {
		return r.dns.resolve(ctx, host, false)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	var v4, v6 []string
	for _, ip := range ips {
		if ip.IP.To4() != nil {
			v4 = append(v4, ip.IP.String())
		} else if r.ipv6 {
			v6 = append(v6, ip.IP.String())
		}
	}
	sort.Strings(v4)
	sort.Strings(v6)
	return append(v4, v6...), nil
}

// cached is lookup through the resolver's cache, for a host that comes
// from variables: nginx resolves it once per request, and successive
// requests start with another of the cached addresses. A name from
// variables needs "resolver" (the handler says so), so the system
// resolver here only looks up.
func (r *resolver) cached(ctx context.Context, host string) ([]string, error) {
	if r.dns != nil {
		return r.dns.resolve(ctx, host, true)
	}
	return r.lookup(ctx, host)
}
