package router

// servers.go chooses the server block for a request: per listen address,
// nginx's order — exact name, longest "*." wildcard, longest ".*"
// wildcard, regexes in order — and the address' default server otherwise.

import (
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/ssl"
)

type server struct {
	ssl   *ssl.Server // TLS settings, for servers with an ssl listen
	conf  *confparse.Server
	core  *httpcore.Server
	locs  *locLevel
	named map[string]*loc
	// quicKey is quic_host_key's contents, for its quic addresses.
	quicKey []byte
}

type wildcard struct {
	name string
	srv  *server
}

type regexName struct {
	re  *confparse.Regexp
	srv *server
}

// addrTable is the servers listening on one address.
type addrTable struct {
	addr        string
	def         *server
	defExplicit bool
	h2          bool // a listen on it has "http2"
	n           int  // servers on it
	exact       map[string]*server
	prefix      []wildcard // "*.example.com": name is "example.com"
	suffix      []wildcard // "www.example.*": name is "www.example"
	regexes     []regexName
	// proxyProtocol: some listen of the address has proxy_protocol.
	proxyProtocol bool
}

func newAddrTable(addr string) *addrTable {
	return &addrTable{addr: addr, exact: map[string]*server{}}
}

// add registers a server's names; the first name wins a conflict, as
// nginx ("conflicting server name ..., ignored").
func (t *addrTable) add(s *server, l *confparse.Listen) {
	t.proxyProtocol = t.proxyProtocol || l.ProxyProtocol
	if t.def == nil || (l.DefaultServer && !t.defExplicit) {
		t.def, t.defExplicit = s, l.DefaultServer
	}
	t.h2 = t.h2 || l.HTTP2
	t.n++
	for _, n := range s.conf.Names {
		switch n.Kind {
		case confparse.NameExact:
			if _, ok := t.exact[n.Name]; !ok {
				t.exact[n.Name] = s
			}
		case confparse.NameWildcardPrefix:
			if n.Dot {
				if _, ok := t.exact[n.Name]; !ok {
					t.exact[n.Name] = s
				}
			}
			t.prefix = append(t.prefix, wildcard{n.Name, s})
		case confparse.NameWildcardSuffix:
			t.suffix = append(t.suffix, wildcard{n.Name, s})
		case confparse.NameRegex:
			t.regexes = append(t.regexes, regexName{n.Regex, s})
		}
	}
}

// find picks the server for a validated host ("" when the request had
// none). match records regex captures of a regex server name.
func (t *addrTable) find(host string, match func(*confparse.Regexp, string, []int)) *server {
	if s, ok := t.exact[host]; ok {
		return s
	}
	if host != "" {
		var best *server
		bestLen := -1
		for _, w := range t.prefix {
			if len(w.name) > bestLen && strings.HasSuffix(host, "."+w.name) {
				best, bestLen = w.srv, len(w.name)
			}
		}
		if best != nil {
			return best
		}
		for _, w := range t.suffix {
			if len(w.name) > bestLen && strings.HasPrefix(host, w.name+".") {
				best, bestLen = w.srv, len(w.name)
			}
		}
		if best != nil {
			return best
		}
		for _, r := range t.regexes {
			// A match that hits the limit is no match (nginx closes the
			// connection).
			if m, _ := r.re.FindIndex(host); m != nil {
				match(r.re, host, m)
				return r.srv
			}
		}
	}
	return t.def
}
