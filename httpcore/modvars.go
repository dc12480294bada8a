package httpcore

// modvars.go evaluates the variables of the geo and split_clients
// modules, and the warning for a "set"
// variable used before any value was set (uninitialized_variable_warn).
// geo and split_clients are compiled here once per configuration.

import (
	"encoding/binary"
	"net"
	"net/http"
	"sort"

	"goproxy/confparse"
)

// addModuleVars compiles the configuration's geo and split_clients
// blocks and finds the variables only "set" defines.
func (t *VarTable) addModuleVars(h *confparse.HTTPConf) {
	// Empty tables stay nil: a lookup in a nil map costs nothing.
	if len(h.Geos)+len(h.Splits) > 0 {
		t.Funcs = map[string]func(*Request) string{}
	}
	for _, g := range h.Geos {
		t.Funcs[g.Var] = compileGeo(g).value
	}
	for _, s := range h.Splits {
		t.Funcs[s.Var] = compileSplit(s)
	}
	t.SetVars = map[string]bool{}
	var walk func(ops []*confparse.Op)
	walk = func(ops []*confparse.Op) {
		for _, op := range ops {
			switch op.Kind {
			case "set":
				// A module's changeable variable ($msie) keeps its
				// getter until set, as in nginx.
				if _, builtin := lookupVariable(op.Var); !builtin {
					t.SetVars[op.Var] = true
				}
			case "if":
				walk(op.Body)
			}
		}
	}
	walk(h.Loc.Rewrite.Script)
	var locs func(ls []*confparse.Location)
	locs = func(ls []*confparse.Location) {
		for _, l := range ls {
			walk(l.Conf.Rewrite.Script)
			locs(l.Locations)
		}
	}
	for _, s := range h.Servers {
		walk(s.Loc.Rewrite.Script)
		locs(s.Locations)
	}
	// A variable another module computes is never "uninitialized".
	for name := range t.SetVars {
		_, isMap := t.Maps[name]
		_, isFunc := t.Funcs[name]
		_, registered := exactVars[name] // $args, $limit_rate, $uid_reset
		if isMap || isFunc || registered || isPrefixed(name) {
			delete(t.SetVars, name)
		}
	}
	for _, a := range authSetVars(h) {
		delete(t.SetVars, a)
	}
	if len(t.SetVars) == 0 {
		t.SetVars = nil
	}
}

// authSetVars are the auth_request_set variables of every level.
func authSetVars(h *confparse.HTTPConf) []string {
	var out []string
	add := func(l *confparse.Loc) {
		for _, s := range l.AuthReq.Set {
			out = append(out, s.Var)
		}
	}
	var locs func(ls []*confparse.Location)
	locs = func(ls []*confparse.Location) {
		for _, l := range ls {
			add(l.Conf)
			locs(l.Locations)
		}
	}
	add(h.Loc)
	for _, s := range h.Servers {
		add(s.Loc)
		locs(s.Locations)
	}
	return out
}

// RequestLogger is implemented by the engine to write request-scoped
// lines to the error log.
type RequestLogger interface {
	LogRequest(rq *Request, level confparse.Level, msg string)
}

// uninitialized is the value of a "set" variable no "set" has run for:
// empty, with nginx's warning the first time it is used in the request.
func (rq *Request) uninitialized(name string) string {
	if rq.Loc != nil && *rq.Loc.Rewrite.UninitWarn {
		if l, ok := rq.Eng.(RequestLogger); ok {
			l.LogRequest(rq, confparse.LevelWarn, "using uninitialized \""+name+"\" variable")
		}
	}
	if rq.Set == nil {
		rq.Set = map[string]string{}
	}
	rq.Set[name] = ""
	return ""
}

// mainR is the client's request: a subrequest's own is a GET (nginx's
// subrequests are), but $request_method and $request name the client's.
func (rq *Request) mainR() *http.Request {
	if rq.Parent != nil {
		return rq.Parent.R
	}
	return rq.R
}

// geoLookup is a compiled geo block.
type geoLookup struct {
	src       string
	proxies   Trusted
	recursive bool
	ranges    []confparse.GeoRange
	def       string
	isRanges  bool
	v4        []v4Level // longest prefixes first
	v6        []v6Level
}

type v4Level struct {
	mask uint32
	m    map[uint32]string
}

type v6Level struct {
	mask net.IPMask
	m    map[[16]byte]string
}

// inaddrNone is the address nginx looks up when it has none.
var inaddrNone = net.IPv4(255, 255, 255, 255).To4()

func compileGeo(g *confparse.Geo) *geoLookup {
	l := &geoLookup{src: g.Source, recursive: g.ProxyRecursive, isRanges: g.Ranges,
		ranges: g.RangeList, def: g.Default}
	if len(g.Proxies) > 0 {
		l.proxies = TrustNets(g.Proxies, false)
	}
	v4 := map[int]map[uint32]string{}
	v6 := map[int]map[[16]byte]string{}
	for _, n := range g.Nets {
		bits, _ := n.Net.Mask.Size()
		if ip4 := n.Net.IP.To4(); ip4 != nil && len(n.Net.IP) == 4 {
			if v4[bits] == nil {
				v4[bits] = map[uint32]string{}
			}
			v4[bits][binary.BigEndian.Uint32(ip4)] = n.Value
			continue
		}
		if v6[bits] == nil {
			v6[bits] = map[[16]byte]string{}
		}
		v6[bits][[16]byte(n.Net.IP.To16())] = n.Value
	}
	// nginx gives both trees an empty default when none was written.
	if v4[0] == nil {
		v4[0] = map[uint32]string{0: ""}
	}
	if v6[0] == nil {
		v6[0] = map[[16]byte]string{{}: ""}
	}
	for bits, m := range v4 {
		l.v4 = append(l.v4, v4Level{mask: uint32(0xffffffff) << (32 - bits) & 0xffffffff, m: m})
		if bits == 0 {
			l.v4[len(l.v4)-1].mask = 0
		}
	}
	sort.Slice(l.v4, func(i, j int) bool { return l.v4[i].mask > l.v4[j].mask })
	for bits, m := range v6 {
		l.v6 = append(l.v6, v6Level{mask: net.CIDRMask(bits, 128), m: m})
	}
	sort.Slice(l.v6, func(i, j int) bool {
		a, _ := l.v6[i].mask.Size()
		b, _ := l.v6[j].mask.Size()
		return a > b
	})
	return l
}

// addr is the address a geo block looks up: the client's or the source
// variable's, then the one X-Forwarded-For gives when the request came
// through one of the proxies.
func (l *geoLookup) addr(rq *Request) net.IP {
	var p Peer
	if l.src == "" {
		p = PeerOf(rq.R.RemoteAddr)
		if p.Unix || p.IP == nil {
			return inaddrNone
		}
	} else {
		v, ok := rq.Var(l.src)
		ip, valid := confparse.ParseAddr(v)
		if !ok || !valid {
			return inaddrNone
		}
		p = Peer{IP: ip}
	}
	if l.proxies != nil {
		if xff := rq.R.Header["X-Forwarded-For"]; len(xff) > 0 {
			p, _ = ForwardedAddr(p, xff, l.proxies, l.recursive)
		}
	}
	return p.IP
}

func (l *geoLookup) value(rq *Request) string { return l.lookup(l.addr(rq)) }

// GeoLookup is a compiled geo block, for the stream module's geo (which
// looks up an address it finds itself: a session has no headers).
type GeoLookup struct{ l *geoLookup }

// CompileGeo compiles a geo block.
func CompileGeo(g *confparse.Geo) GeoLookup { return GeoLookup{compileGeo(g)} }

// Lookup is the block's value for ip (nil: the address nginx looks up
// when there is none).
func (g GeoLookup) Lookup(ip net.IP) string {
	if ip == nil {
		ip = inaddrNone
	}
	return g.l.lookup(ip)
}

// MurmurHash2 is split_clients' hash, for the stream module's.
func MurmurHash2(s string) uint32 { return murmurHash2(s) }

func (l *geoLookup) lookup(ip net.IP) string {
	ip4 := ip.To4()
	if l.isRanges {
		if ip4 == nil {
			ip4 = inaddrNone
		}
		a := binary.BigEndian.Uint32(ip4)
		i := sort.Search(len(l.ranges), func(i int) bool { return l.ranges[i].End >= a })
		if i < len(l.ranges) && l.ranges[i].Start <= a {
			return l.ranges[i].Value
		}
		return l.def
	}
	if ip4 != nil {
		a := binary.BigEndian.Uint32(ip4)
		for _, lv := range l.v4 {
			if v, ok := lv.m[a&lv.mask]; ok {
				return v
			}
		}
		return ""
	}
	for _, lv := range l.v6 {
		if v, ok := lv.m[[16]byte(ip.Mask(lv.mask))]; ok {
			return v
		}
	}
	return ""
}

// compileSplit is split_clients: MurmurHash2 of the source picks the
// first bucket whose bound it is below ("*" takes everything left).
func compileSplit(s *confparse.SplitClients) func(*Request) string {
	return func(rq *Request) string {
		h := murmurHash2(rq.Eval(s.Source))
		for _, p := range s.Parts {
			if p.Percent == 0 || h < p.Bound {
				return p.Value
			}
		}
		return ""
	}
}

// murmurHash2 is Austin Appleby's 32-bit MurmurHash2 with seed 0, the
// hash nginx uses for split_clients.
func murmurHash2(s string) uint32 {
	const m = 0x5bd1e995
	h := uint32(len(s))
	for len(s) >= 4 {
		k := uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		k *= m
		k ^= k >> 24
		k *= m
		h *= m
		h ^= k
		s = s[4:]
	}
	switch len(s) {
	case 3:
		h ^= uint32(s[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(s[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(s[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}
