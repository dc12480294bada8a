package proxy

// balance.go holds the hash-based and random balancers.

import (
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"goproxy/confparse"
)

// hashState is one request's place in a hash balancer, kept from try to
// try as nginx keeps it: the running hash (for "consistent", the ring
// point), how often the key was rehashed, and how many peers were passed
// over; after 20 of those round-robin decides.
type hashState struct {
	key    string // hash: the key; ip_hash: the address bytes
	hash   uint32
	rehash int
	tries  int
	ringAt bool // the ring point was found
}

// maxHashTries is how many peers nginx passes over before it balances
// round-robin instead.
const maxHashTries = 20

// newIPHashState is ip_hash's state for a client address: the first
// three bytes of an IPv4 address, all of an IPv6 one, three zero bytes
// for anything else (a unix socket), hashed from 89.
func newIPHashState(ip string) *hashState {
	key := "\x00\x00\x00"
	if a := net.ParseIP(ip); a != nil {
		if a4 := a.To4(); a4 != nil {
			key = string(a4[:3])
		} else {
			key = string(a.To16())
		}
	}
	return &hashState{key: key, hash: 89}
}

// weighted is the peer that w (below the total weight) falls on.
func weighted(peers []*peer, w int) *peer {
	for _, p := range peers {
		if w < p.weight {
			return p
		}
		w -= p.weight
	}
	return nil
}

func totalWeight(peers []*peer) int {
	total := 0
	for _, p := range peers {
		total += p.weight
	}
	return total
}

// hashPick is "hash key": the key's CRC32 as Cache::Memcached takes it
// ((crc >> 16) & 0x7fff, the rehash count before the key after the
// first try), added up over the tries, modulo the total weight.
func hashPick(peers []*peer, tried map[*peer]bool, now time.Time, hs *hashState) *peer {
	total := totalWeight(peers)
	if total == 0 {
		return nil
	}
	for hs.tries <= maxHashTries {
		c := crc32.NewIEEE()
		if hs.rehash > 0 {
			c.Write([]byte(strconv.Itoa(hs.rehash)))
		}
		c.Write([]byte(hs.key))
		hs.hash += c.Sum32() >> 16 & 0x7fff
		hs.rehash++
		if p := weighted(peers, int(hs.hash%uint32(total))); !tried[p] && p.usable(now) {
			return chosen(p, now)
		}
		hs.tries++
	}
	return smoothRR(peers, tried, now)
}

// ipHashPick is ip_hash: hash = (hash * 113 + byte) % 6271 over the
// address bytes, again on each try, modulo the total weight.
func ipHashPick(peers []*peer, tried map[*peer]bool, now time.Time, hs *hashState) *peer {
	total := totalWeight(peers)
	if total == 0 {
		return nil
	}
	h := hs.hash
	for hs.tries <= maxHashTries {
		for i := 0; i < len(hs.key); i++ {
			h = (h*113 + uint32(hs.key[i])) % 6271
		}
		if p := weighted(peers, int(h%uint32(total))); !tried[p] && p.usable(now) {
			hs.hash = h
			return chosen(p, now)
		}
		hs.tries++
	}
	return smoothRR(peers, tried, now)
}

// chosen starts a new fail window for a peer picked after its last one.
func chosen(p *peer, now time.Time) *peer {
	if now.Sub(p.checked) > p.failTimeout {
		p.checked = now
	}
	return p
}

// ringPoint is a point of the "consistent" ring and the server (as
// written) it belongs to.
type ringPoint struct {
	hash   uint32
	server string
}

// buildRing places each server as nginx does (compatible with
// Cache::Memcached::Fast): 160 points per unit of weight, the first the
// CRC32 of host, a NUL and port, each next one that CRC continued by
// the previous point's four bytes (little-endian). Points are sorted,
// and a hash two servers share is kept once.
func buildRing(servers []*confparse.UpstreamServer) []ringPoint {
	var ring []ringPoint
	for _, s := range servers {
		if s.Backup {
			continue
		}
		host, port := ringHostPort(s.Name)
		base := crc32.ChecksumIEEE([]byte(host + "\x00" + port))
		var prev [4]byte
		for j := 0; j < 160*s.Weight; j++ {
			h := crc32.Update(base, crc32.IEEETable, prev[:])
			ring = append(ring, ringPoint{h, s.Name})
			binary.LittleEndian.PutUint32(prev[:], h)
		}
	}
	sort.SliceStable(ring, func(i, j int) bool { return ring[i].hash < ring[j].hash })
	out := ring[:0]
	for i, pt := range ring {
		if i == 0 || pt.hash != out[len(out)-1].hash {
			out = append(out, pt)
		}
	}
	return out
}

// ringHostPort splits a server as nginx does for the ring: "unix:" and
// the path; or a host and the digits after its last colon; or the whole
// name and no port.
func ringHostPort(name string) (string, string) {
	if len(name) >= 5 && strings.EqualFold(name[:5], "unix:") {
		return name[5:], ""
	}
	for j := len(name) - 1; j >= 0; j-- {
		c := name[j]
		if c == ':' {
			return name[:j], name[j+1:]
		}
		if c < '0' || c > '9' {
			break
		}
	}
	return name, ""
}

// ringPick is "hash key consistent": from the first point at or after
// the key's CRC32 on, the first point whose server has a peer to take
// the request; several peers of one server (a name with several
// addresses) share by smooth weighted round-robin.
func ringPick(ring []ringPoint, peers []*peer, tried map[*peer]bool, now time.Time, hs *hashState) *peer {
	if len(ring) == 0 {
		return nil
	}
	if !hs.ringAt {
		h := crc32.ChecksumIEEE([]byte(hs.key))
		hs.hash = uint32(sort.Search(len(ring), func(i int) bool { return ring[i].hash >= h }))
		hs.ringAt = true
	}
	for hs.tries <= maxHashTries {
		server := ring[hs.hash%uint32(len(ring))].server
		var best *peer
		total := 0
		for _, p := range peers {
			if p.server != server || tried[p] || !p.usable(now) {
				continue
			}
			p.current += p.effective
			total += p.effective
			if p.effective < p.weight {
				p.effective++
			}
			if best == nil || p.current > best.current {
				best = p
			}
		}
		if best != nil {
			best.current -= total
			return chosen(best, now)
		}
		hs.hash++
		hs.tries++
	}
	return smoothRR(peers, tried, now)
}

// randomPick chooses by weight; with "two", the less loaded of two.
func randomPick(peers []*peer, tried map[*peer]bool, now time.Time, two bool) *peer {
	one := func(skip *peer) *peer {
		total := 0
		for _, p := range peers {
			if p != skip && !tried[p] && p.usable(now) {
				total += p.weight
			}
		}
		if total == 0 {
			return nil
		}
		w := rand.IntN(total)
		for _, p := range peers {
			if p == skip || tried[p] || !p.usable(now) {
				continue
			}
			w -= p.weight
			if w < 0 {
				return p
			}
		}
		return nil
	}
	a := one(nil)
	if !two || a == nil {
		return a
	}
	b := one(a)
	if b == nil || a.conns.Load() <= b.conns.Load() {
		return a
	}
	return b
}
