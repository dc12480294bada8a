package httpcore

// forwarded.go finds a client address in X-Forwarded-For-style headers
// sent by trusted proxies, as nginx's ngx_http_get_forwarded_addr does
// for the realip and geo modules: the last address of the list is the
// client unless the proxy that added it is trusted too (recursive).

import (
	"net"
	"strconv"
	"strings"

	"goproxy/confparse"
)

// Peer is a client address: an IP and a port ("" when unknown), or a
// unix socket.
type Peer struct {
	IP   net.IP
	Port string
	Unix bool
}

// PeerOf reads a RemoteAddr-style "ip:port" (or a unix socket name).
func PeerOf(remote string) Peer {
	ip, port := SplitAddr(remote)
	if ip == "unix:" {
		return Peer{Unix: true}
	}
	return Peer{IP: net.ParseIP(ip), Port: port}
}

// String is the RemoteAddr form, "ip:port" ("ip:" without a port).
func (p Peer) String() string {
	if p.Unix {
		return "@"
	}
	return net.JoinHostPort(p.IP.String(), p.Port)
}

// Trusted decides whether an address is one of the proxies.
type Trusted func(p Peer) bool

// TrustNets trusts the networks of a list (and unix sockets when unix).
func TrustNets(nets []*net.IPNet, unix bool) Trusted {
	return func(p Peer) bool {
		if p.Unix {
			return unix
		}
		for _, n := range nets {
			if n.Contains(p.IP) {
				return true
			}
		}
		return false
	}
}

// forwardResult is ngx_http_get_forwarded_addr's answer: declined (no
// address found), done (stopped at an untrusted address), or ok (the
// whole value was read and the last address found may be trusted too).
type forwardResult int

const (
	fwdDeclined forwardResult = iota
	fwdDone
	fwdOK
)

// ForwardedAddr returns the client address the proxies' headers give
// for a connection from p, and whether one was found. values are the
// header lines in order; only the last is read unless recursive.
func ForwardedAddr(p Peer, values []string, trusted Trusted, recursive bool) (Peer, bool) {
	rc := fwdDeclined
	found := false
	for i := len(values) - 1; i >= 0; i-- {
		rc = forwardedOne(&p, values[i], trusted, recursive)
		if !recursive {
			break
		}
		if rc == fwdDeclined && found {
			rc = fwdDone
			break
		}
		if rc != fwdOK {
			break
		}
		found = true
	}
	return p, rc != fwdDeclined
}

// forwardedOne walks one header value from its end.
func forwardedOne(p *Peer, v string, trusted Trusted, recursive bool) forwardResult {
	found := false
	for {
		if !trusted(*p) {
			if found {
				return fwdDone
			}
			return fwdDeclined
		}
		// The last element: trailing separators dropped, then back to
		// the previous space or comma (the first byte is never taken
		// for one, as in nginx).
		if v == "" {
			break
		}
		end := len(v)
		for end > 1 && (v[end-1] == ' ' || v[end-1] == ',') {
			end--
		}
		start := end - 1
		for start > 0 && v[start] != ' ' && v[start] != ',' {
			start--
		}
		if start > 0 {
			start++
		}
		np, ok := ParseAddrPort(v[start:end])
		if !ok {
			if found {
				return fwdDone
			}
			return fwdDeclined
		}
		*p = np
		found = true
		if !recursive || start == 0 {
			return fwdOK
		}
		v = v[:start-1]
	}
	if found {
		return fwdDone
	}
	return fwdDeclined
}

// ParseAddrPort reads "addr", "addr:port" or "[v6]:port" as nginx's
// ngx_parse_addr_port: IPv4 with nginx's rules, ports 1-65535.
func ParseAddrPort(s string) (Peer, bool) {
	if ip, ok := confparse.ParseAddr(s); ok {
		return Peer{IP: ip}, true
	}
	host, port := "", ""
	if strings.HasPrefix(s, "[") {
		i := strings.IndexByte(s, ']')
		if i < 0 || i == len(s)-1 || s[i+1] != ':' {
			return Peer{}, false
		}
		host, port = s[1:i], s[i+2:]
	} else {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			return Peer{}, false
		}
		host, port = s[:i], s[i+1:]
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port[0] == '+' || port[0] == '-' {
		return Peer{}, false
	}
	ip, ok := confparse.ParseAddr(host)
	if !ok {
		return Peer{}, false
	}
	return Peer{IP: ip, Port: strconv.Itoa(n)}, true
}
