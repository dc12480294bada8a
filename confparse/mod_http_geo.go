package confparse

// mod_http_geo.go: ngx_http_geo_module — a variable whose value depends
// on the client address (or another variable's value read as an
// address), by networks (longest prefix wins) or, with "ranges", by
// address ranges. Everything is resolved here, at load time: deletes,
// duplicates and the splitting of nested ranges follow nginx's rules and
// its warnings, so the runtime only looks values up.

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Geo is a geo block.
type Geo struct {
	// Source names the variable whose value is the address; "" means the
	// client address.
	Source string `json:",omitempty"`
	Var    string
	Ranges bool `json:",omitempty"`
	// Proxies are the "proxy" networks: a request from one of them is
	// looked up by the address at the end of X-Forwarded-For.
	Proxies        []*net.IPNet `json:",omitempty"`
	ProxyRecursive bool         `json:",omitempty"`
	// Nets are the networks with their values (networks mode), in the
	// order written, duplicates replaced and deletes applied. "default"
	// is 0.0.0.0/0 and ::/0.
	Nets []*GeoNet `json:",omitempty"`
	// RangeList holds the address ranges (ranges mode), sorted and
	// disjoint, with nested ranges already cut out of the ones around
	// them; Default is the value outside every range.
	RangeList []GeoRange `json:",omitempty"`
	Default   string     `json:",omitempty"`
}

// GeoNet is one network of a geo block.
type GeoNet struct {
	Net   *net.IPNet
	Value string
}

// GeoRange is one IPv4 range of a geo block in ranges mode.
type GeoRange struct {
	Start, End uint32
	Value      string
}

func init() {
	register("ngx_http_geo_module",
		&Directive{Name: "geo", Ctx: CtxHTTP, Args: Args12, Block: true, set: setGeo},
	)
}

// geoBuild is a geo block being read.
type geoBuild struct {
	g    *Geo
	tree bool // a network was added: "ranges" may no longer come
	// ranges mode: pieces per /16 segment, each list sorted by start.
	segs       map[uint32][]geoPiece
	entry      int // number of the range statement, to merge pieces back
	hasDefault bool
}

// geoPiece is a range inside one /16 segment (low 16 bits).
type geoPiece struct {
	start, end uint32
	value      string
	entry      int
}

// varName checks "$name" as nginx's geo, map and split_clients do.
func varName(s *Stmt, v string) (string, error) {
	if len(v) < 2 || v[0] != '$' {
		return "", errf(s, "invalid variable name %q", v)
	}
	name := lower(v[1:])
	if !changeable(name) {
		return "", errf(s, "the duplicate %q variable", name)
	}
	return name, nil
}

func setGeo(b *builder, f *frame, s *Stmt) error {
	g, err := parseGeo(b, s)
	if err != nil {
		return err
	}
	f.http.Vars[g.Var] = true
	f.http.Geos = append(f.http.Geos, g)
	return nil
}

// parseGeo reads a geo block, in http or stream.
func parseGeo(b *builder, s *Stmt) (*Geo, error) {
	g := &Geo{}
	target := s.Args[0]
	if len(s.Args) == 2 {
		src := s.Args[0]
		if len(src) < 2 || src[0] != '$' {
			return nil, errf(s, "invalid variable name %q", src)
		}
		// nginx takes everything after "$" as the name: "$a$b" is a
		// variable called "a$b".
		g.Source = lower(src[1:])
		b.useVar(g.Source, s)
		target = s.Args[1]
	}
	name, err := varName(s, target)
	if err != nil {
		return nil, err
	}
	g.Var = name
	gb := &geoBuild{g: g}
	if err := b.walkGeo(gb, s.Block); err != nil {
		return nil, err
	}
	gb.finish()
	return g, nil
}

func (b *builder) walkGeo(gb *geoBuild, stmts []*Stmt) error {
	for _, t := range stmts {
		if t.err != nil {
			return t.err
		}
		if t.IsBlock {
			return errf(t, "unexpected \"{\"")
		}
		if err := b.geoEntry(gb, t); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) geoEntry(gb *geoBuild, t *Stmt) error {
	g := gb.g
	switch {
	case t.Name == "include" && len(t.Args) == 1:
		return b.includeInto(t, func(in []*Stmt) error { return b.walkGeo(gb, in) })
	case t.Name == "ranges" && len(t.Args) == 0:
		if gb.tree {
			return errf(t, "the \"ranges\" directive must be the first directive inside \"geo\" block")
		}
		if !g.Ranges {
			g.Ranges = true
			gb.segs = map[uint32][]geoPiece{}
		}
		return nil
	case t.Name == "proxy_recursive" && len(t.Args) == 0:
		g.ProxyRecursive = true
		return nil
	case len(t.Args) != 1:
		return errf(t, "invalid number of the geo parameters")
	case t.Name == "proxy":
		p, _, ok := ParseCIDR(t.Args[0])
		if !ok {
			return errf(t, "invalid network %q", t.Args[0])
		}
		g.Proxies = append(g.Proxies, p)
		return nil
	}
	key, value, del := t.Name, t.Args[0], false
	if key == "delete" {
		key, del = t.Args[0], true
	}
	if g.Ranges {
		return b.geoRange(gb, t, key, value, del)
	}
	return b.geoNet(gb, t, key, value, del)
}

// geoNet adds or deletes a network (networks mode).
func (b *builder) geoNet(gb *geoBuild, t *Stmt, key, value string, del bool) error {
	gb.tree = true
	var nets []*net.IPNet
	if key == "default" && !del {
		nets = []*net.IPNet{
			{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)},
			{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)},
		}
	} else {
		n, low, ok := ParseCIDR(key)
		if !ok {
			return errf(t, "invalid network %q", key)
		}
		if low {
			b.warn(t, "low address bits of %s are meaningless", key)
		}
		nets = []*net.IPNet{n}
	}
	g := gb.g
	for _, n := range nets {
		i := slices.IndexFunc(g.Nets, func(o *GeoNet) bool { return sameNet(o.Net, n) })
		switch {
		case del && i < 0:
			b.warn(t, "no network %q to delete", key)
		case del:
			g.Nets = slices.Delete(g.Nets, i, i+1)
		case i >= 0:
			b.warn(t, "duplicate network %q, value: %q, old value: %q", key, value, g.Nets[i].Value)
			g.Nets[i].Value = value
		default:
			g.Nets = append(g.Nets, &GeoNet{Net: n, Value: value})
		}
	}
	return nil
}

func sameNet(a, b *net.IPNet) bool {
	return a.IP.Equal(b.IP) && len(a.IP) == len(b.IP) && slices.Equal(a.Mask, b.Mask)
}

// geoRange adds or deletes an address range (ranges mode). Ranges are
// kept per /16 segment; a range written inside an earlier one takes its
// part of it, an equal one replaces its value, any other overlap is an
// error — nginx's rules, with its messages.
func (b *builder) geoRange(gb *geoBuild, t *Stmt, key, value string, del bool) error {
	g := gb.g
	if key == "default" && !del {
		if gb.hasDefault {
			b.warn(t, "duplicate default geo range value: %q, old value: %q", value, g.Default)
		}
		g.Default, gb.hasDefault = value, true
		return nil
	}
	lo, hi, ok := strings.Cut(key, "-")
	var start, end uint32
	if ok {
		start, ok = ParseIPv4(lo)
	}
	if ok {
		end, ok = ParseIPv4(hi)
	}
	if !ok || start > end {
		return errf(t, "invalid range %q", key)
	}
	if del {
		if !gb.deleteRange(start, end) {
			b.warn(t, "no address range %q to delete", key)
		}
		return nil
	}
	gb.entry++
	return gb.addRange(b, t, key, start, end, value)
}

// segments calls fn for each /16 segment the range [start, end] touches,
// with the part of the range inside it (low 16 bits).
func segments(start, end uint32, fn func(h, s, e uint32) bool) {
	for n := uint64(start); n <= uint64(end); n = (n + 0x10000) &^ 0xffff {
		h := uint32(n >> 16)
		s, e := uint32(n&0xffff), uint32(0xffff)
		if uint64(end) < n|0xffff {
			e = end & 0xffff
		}
		if !fn(h, s, e) {
			return
		}
	}
}

func (gb *geoBuild) addRange(b *builder, t *Stmt, key string, start, end uint32, value string) error {
	var err error
	segments(start, end, func(h, s, e uint32) bool {
		list := gb.segs[h]
		p := geoPiece{start: s, end: e, value: value, entry: gb.entry}
		// The last piece that does not lie wholly after the new one
		// decides where it goes.
		i := len(list) - 1
		for i >= 0 && e < list[i].start {
			i--
		}
		switch {
		case i < 0 || s > list[i].end:
			list = slices.Insert(list, i+1, p)
		case s == list[i].start && e == list[i].end:
			b.warn(t, "duplicate range %q, value: %q, old value: %q", key, value, list[i].value)
			list[i].value, list[i].entry = value, gb.entry
		case s >= list[i].start && e <= list[i].end:
			// Nested: cut the old piece around the new one.
			old := list[i]
			var repl []geoPiece
			if s > old.start {
				repl = append(repl, geoPiece{old.start, s - 1, old.value, old.entry})
			}
			repl = append(repl, p)
			if e < old.end {
				repl = append(repl, geoPiece{e + 1, old.end, old.value, old.entry})
			}
			list = slices.Replace(list, i, i+1, repl...)
		default:
			o := list[i]
			err = errf(t, "range %q overlaps \"%s-%s\"", key, ipv4String(h<<16|o.start), ipv4String(h<<16|o.end))
			return false
		}
		gb.segs[h] = list
		return true
	})
	return err
}

func (gb *geoBuild) deleteRange(start, end uint32) bool {
	found := true
	segments(start, end, func(h, s, e uint32) bool {
		list := gb.segs[h]
		i := slices.IndexFunc(list, func(p geoPiece) bool { return p.start == s && p.end == e })
		if i < 0 {
			found = false
			return true
		}
		gb.segs[h] = slices.Delete(list, i, i+1)
		return true
	})
	return found
}

// finish flattens the ranges into one sorted list, joining the pieces of
// one statement that segments had cut apart.
func (gb *geoBuild) finish() {
	if !gb.g.Ranges {
		return
	}
	hs := make([]uint32, 0, len(gb.segs))
	for h := range gb.segs {
		hs = append(hs, h)
	}
	slices.Sort(hs)
	var out []GeoRange
	lastEntry := -1
	for _, h := range hs {
		for _, p := range gb.segs[h] {
			r := GeoRange{Start: h<<16 | p.start, End: h<<16 | p.end, Value: p.value}
			if n := len(out); n > 0 && lastEntry == p.entry && out[n-1].End+1 == r.Start && out[n-1].Value == r.Value {
				out[n-1].End = r.End
				continue
			}
			out = append(out, r)
			lastEntry = p.entry
		}
	}
	gb.g.RangeList = out
}

// ParseIPv4 reads a dotted IPv4 address as nginx's ngx_inet_addr does:
// decimal octets up to 255, leading zeros allowed.
func ParseIPv4(s string) (uint32, bool) {
	var addr, octet uint32
	dots := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			octet = octet*10 + uint32(c-'0')
			if octet > 255 {
				return 0, false
			}
		case c == '.':
			addr = addr<<8 | octet
			octet = 0
			dots++
		default:
			return 0, false
		}
	}
	if dots != 3 || len(s) == 0 {
		return 0, false
	}
	return addr<<8 | octet, true
}

func ipv4String(a uint32) string {
	return strconv.Itoa(int(a>>24)) + "." + strconv.Itoa(int(a>>16&0xff)) + "." +
		strconv.Itoa(int(a>>8&0xff)) + "." + strconv.Itoa(int(a&0xff))
}

// ParseAddr reads an IPv4 (nginx's rules) or IPv6 address; IPv4 comes
// back in 4 bytes.
func ParseAddr(s string) (net.IP, bool) {
	if a, ok := ParseIPv4(s); ok {
		return net.IPv4(byte(a>>24), byte(a>>16), byte(a>>8), byte(a)).To4(), true
	}
	if !strings.Contains(s, ":") || strings.Contains(s, "%") {
		return nil, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return nil, false
	}
	b := a.As16()
	return net.IP(b[:]), true
}

// ParseCIDR reads "addr" or "addr/bits" as nginx's ngx_ptocidr: low
// reports host bits set below the mask (nginx warns, then clears them).
func ParseCIDR(s string) (n *net.IPNet, low, ok bool) {
	addr, bitsText, hasMask := strings.Cut(s, "/")
	ip, ok := ParseAddr(addr)
	if !ok {
		return nil, false, false
	}
	size := len(ip) * 8
	bits := size
	if hasMask {
		v, err := strconv.Atoi(bitsText)
		if err != nil || v < 0 || v > size || bitsText == "" || bitsText[0] == '+' {
			return nil, false, false
		}
		bits = v
	}
	mask := net.CIDRMask(bits, size)
	masked := ip.Mask(mask)
	return &net.IPNet{IP: masked, Mask: mask}, !masked.Equal(ip), true
}
