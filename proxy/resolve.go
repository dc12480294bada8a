package proxy

// resolve.go resolves upstream host names at run time: with the system
// resolver, or with the servers of nginx's "resolver" directive.

import (
	"context"
	"net"
	"sort"
	"sync/atomic"
	"time"

	"goproxy/confparse"
)

type resolver struct {
	r     *net.Resolver
	valid time.Duration
	ipv6  bool
	key   string
}

// defaultValid is how long a system-resolver answer is used before the
// name is looked up again (a restarted container is followed within it).
const defaultValid = 5 * time.Second

func newResolver(c *confparse.Resolver, timeout time.Duration) *resolver {
	if c == nil || len(c.Addrs) == 0 {
		return &resolver{r: net.DefaultResolver, valid: defaultValid, ipv6: true, key: "system"}
	}
	addrs := c.Addrs
	d := net.Dialer{Timeout: timeout}
	// Round-robin over the configured servers, as nginx does; the Go
	// resolver dials from several goroutines at once (A and AAAA).
	var n atomic.Uint32
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		a := addrs[int(n.Add(1)-1)%len(addrs)]
		return d.DialContext(ctx, network, a)
	}}
	valid := c.Valid
	if valid == 0 {
		valid = 30 * time.Second
	}
	key := ""
	for _, a := range addrs {
		key += a + ","
	}
	return &resolver{r: r, valid: valid, ipv6: c.IPv6, key: key + valid.String()}
}

// lookup returns the addresses of host, IPv4 first, in a stable order.
func (r *resolver) lookup(ctx context.Context, host string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ips, err := r.r.LookupIPAddr(ctx, host)
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
