package httpcore

// modvars.go evaluates the variables of the geo, split_clients, realip,
// stub_status and PROXY protocol modules, and the warning for a "set"
// variable used before any value was set (uninitialized_variable_warn).
// geo and split_clients are compiled here once per configuration.

import (
	"encoding/binary"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"

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
				t.SetVars[op.Var] = true
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
		if isMap || isFunc || name == "args" || name == "limit_rate" || isPrefixed(name) {
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

func isPrefixed(name string) bool {
	for _, p := range confparse.SupportedVariablePrefixes {
		if len(name) >= len(p) && name[:len(p)] == p {
			return true
		}
	}
	return false
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

// moduleVar evaluates the realip, PROXY protocol and stub_status
// variables; known is false for any other name.
func (rq *Request) moduleVar(name string) (v string, ok, known bool) {
	switch name {
	case "realip_remote_addr", "realip_remote_port":
		addr := rq.RealIPFrom
		if addr == "" {
			addr = rq.R.RemoteAddr
		}
		ip, port := splitAddr(addr)
		if name == "realip_remote_addr" {
			return ip, true, true
		}
		return port, true, true
	case "proxy_protocol_addr", "proxy_protocol_port", "proxy_protocol_server_addr", "proxy_protocol_server_port":
		if rq.Conn == nil || rq.Conn.ProxyProtocol == nil {
			return "", false, true
		}
		pp := rq.Conn.ProxyProtocol
		switch name {
		case "proxy_protocol_addr":
			return pp.SrcAddr, true, true
		case "proxy_protocol_port":
			return pp.SrcPort, true, true
		case "proxy_protocol_server_addr":
			return pp.DstAddr, true, true
		}
		return pp.DstPort, true, true
	case "fastcgi_script_name", "fastcgi_path_info":
		script, info := rq.fastcgiSplit()
		if name == "fastcgi_script_name" {
			return script, true, true
		}
		return info, true, true
	case "connections_active", "connections_reading", "connections_writing", "connections_waiting":
		var n int64
		if rq.Conn != nil && rq.Conn.Stats != nil {
			st := rq.Conn.Stats.Snapshot()
			switch name {
			case "connections_active":
				n = st.Active
			case "connections_reading":
				n = st.Reading
			case "connections_writing":
				n = st.Writing
			default:
				n = st.Waiting
			}
		}
		return strconv.FormatInt(n, 10), true, true
	}
	return "", false, false
}

// fastcgiSplit is $fastcgi_script_name and $fastcgi_path_info: the URI
// split by fastcgi_split_path_info's two captures (the whole URI and no
// path info when it does not match), then fastcgi_index added to a
// script name ending in "/".
func (rq *Request) fastcgiSplit() (script, info string) {
	script = rq.URI
	if rq.Loc == nil {
		return script, ""
	}
	f := &rq.Loc.FastCGI
	if re := f.SplitPathInfo; re != nil {
		if m := re.Re.FindStringSubmatchIndex(rq.URI); m != nil && len(m) >= 6 {
			if m[2] >= 0 {
				script = rq.URI[m[2]:m[3]]
			} else {
				script = ""
			}
			if m[4] >= 0 {
				info = rq.URI[m[4]:m[5]]
			}
		}
	}
	if f.Index != nil && strings.HasSuffix(script, "/") {
		script += *f.Index
	}
	return script, info
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

func (l *geoLookup) value(rq *Request) string {
	ip := l.addr(rq)
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
