package proxy

// resolve.go resolves upstream host names at run time: with the system
// resolver, or with the servers of nginx's "resolver" directive. Names
// that come from variables go through a bounded cache, as nginx's
// resolver caches its answers for "valid=".

import (
	"container/list"
	"context"
	"errors"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"goproxy/confparse"
)

type resolver struct {
	r     *net.Resolver
	valid time.Duration
	ipv6  bool
	key   string
	cache *nameCache
}

// defaultValid is how long a system-resolver answer is used before the
// name is looked up again (a restarted container is followed within it).
const defaultValid = 5 * time.Second

func newResolver(c *confparse.Resolver, timeout time.Duration) *resolver {
	if c == nil || len(c.Addrs) == 0 {
		return &resolver{r: net.DefaultResolver, valid: defaultValid, ipv6: true, key: "system", cache: newNameCache()}
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
	return &resolver{r: r, valid: valid, ipv6: c.IPv6, key: key + valid.String(), cache: newNameCache()}
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

// maxCachedNames bounds a resolver's cache: names come from clients when
// proxy_pass has variables, so the cache must not grow with them. The
// oldest name goes first.
const maxCachedNames = 1024

// nameCache holds answers, newest first, for "valid"; concurrent
// requests for a name wait for one lookup, as nginx's resolver does.
type nameCache struct {
	mu    sync.Mutex
	names map[string]*list.Element // of *cachedName
	order list.List
}

type cachedName struct {
	host    string
	addrs   []string
	err     error
	expires time.Time
	done    chan struct{} // closed when the lookup has ended
	turn    int
}

func newNameCache() *nameCache { return &nameCache{names: map[string]*list.Element{}} }

// cached is lookup through the cache. Each answer taken from it is
// rotated, so that successive requests start with another address, as
// nginx's resolver rotates cached addresses.
func (r *resolver) cached(ctx context.Context, host string) ([]string, error) {
	c := r.cache
	c.mu.Lock()
	if el, ok := c.names[host]; ok {
		n := el.Value.(*cachedName)
		select {
		case <-n.done:
			if time.Now().Before(n.expires) {
				c.order.MoveToFront(el)
				addrs, err := n.rotated(), n.err
				c.mu.Unlock()
				return addrs, err
			}
			c.remove(el)
		default:
			c.mu.Unlock()
			select {
			case <-n.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			c.mu.Lock()
			addrs, err := n.rotated(), n.err
			c.mu.Unlock()
			return addrs, err
		}
	}
	n := &cachedName{host: host, done: make(chan struct{})}
	c.names[host] = c.order.PushFront(n)
	for c.order.Len() > maxCachedNames {
		c.remove(c.order.Back())
	}
	c.mu.Unlock()
	addrs, err := r.lookup(ctx, host)
	c.mu.Lock()
	n.addrs, n.err = addrs, err
	var dns *net.DNSError
	switch {
	case err == nil, errors.As(err, &dns) && dns.IsNotFound:
		// nginx keeps "host not found" for valid= too.
		n.expires = time.Now().Add(r.valid)
	default:
		// A timeout or a failing server is not kept.
		if el, ok := c.names[host]; ok && el.Value == n {
			c.remove(el)
		}
	}
	close(n.done)
	out := n.rotated()
	c.mu.Unlock()
	return out, err
}

func (c *nameCache) remove(el *list.Element) {
	delete(c.names, el.Value.(*cachedName).host)
	c.order.Remove(el)
}

// rotated is a copy of the addresses starting one further each time.
func (n *cachedName) rotated() []string {
	if len(n.addrs) < 2 {
		return n.addrs
	}
	k := n.turn % len(n.addrs)
	n.turn++
	out := make([]string, 0, len(n.addrs))
	return append(append(out, n.addrs[k:]...), n.addrs[:k]...)
}
