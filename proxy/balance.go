package proxy

// balance.go holds the hash-based and random balancers.

import (
	"hash/crc32"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"
)

// hashPick maps a key to a peer. Plain "hash" and ip_hash take the key
// modulo the total weight, skipping unusable peers by rehashing, as
// nginx does; "hash ... consistent" uses a ring of 160 points per unit
// of weight (ketama).
func hashPick(peers []*peer, tried map[*peer]bool, now time.Time, key string, consistent bool) *peer {
	if consistent {
		return ringPick(peers, tried, now, key)
	}
	total := 0
	for _, p := range peers {
		total += p.weight
	}
	if total == 0 {
		return nil
	}
	h := crc32.ChecksumIEEE([]byte(key))
	for i := 0; i < 20; i++ {
		w := int(h % uint32(total))
		for _, p := range peers {
			w -= p.weight
			if w < 0 {
				if !tried[p] && p.usable(now) {
					return p
				}
				break
			}
		}
		h = crc32.ChecksumIEEE([]byte(strconv.Itoa(i) + key))
	}
	return smoothRR(peers, tried, now)
}

type ringPoint struct {
	hash uint32
	p    *peer
}

func ringPick(peers []*peer, tried map[*peer]bool, now time.Time, key string) *peer {
	var ring []ringPoint
	for _, p := range peers {
		for i := 0; i < 160*p.weight; i++ {
			ring = append(ring, ringPoint{crc32.ChecksumIEEE([]byte(p.addr + "-" + strconv.Itoa(i))), p})
		}
	}
	sort.Slice(ring, func(i, j int) bool { return ring[i].hash < ring[j].hash })
	h := crc32.ChecksumIEEE([]byte(key))
	i := sort.Search(len(ring), func(i int) bool { return ring[i].hash >= h })
	for n := 0; n < len(ring); n++ {
		pt := ring[(i+n)%len(ring)]
		if !tried[pt.p] && pt.p.usable(now) {
			return pt.p
		}
	}
	return nil
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
