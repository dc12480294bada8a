package limitreq

// slab.go sizes a zone as nginx's shared memory does, so that a zone
// holds as many keys as nginx's: the zone's pages less the slab
// allocator's header, each page cut into chunks of one power-of-two
// size, a node taking the smallest chunk that fits it. Long keys take
// bigger chunks, so a client cannot make a zone hold more bytes than
// its size says.

const (
	pageSize = 4096
	// slabHeader is what nginx's slab pool keeps before its page array
	// on 64-bit systems: the pool (200 bytes), a slot and a statistics
	// entry per chunk size from 8 to 2048 bytes (9 × 24 and 9 × 32).
	slabHeader = 200 + 9*24 + 9*32
	pageEntry  = 24 // an ngx_slab_page_t per page
	minShift   = 3
	classes    = 9 // 8 .. 2048 bytes
)

// slab counts the chunks in use per size, as if pages were filled
// without holes (nginx frees a page when its last chunk goes, and a
// zone's oldest entries go first, so pages empty in order).
type slab struct {
	pages int
	used  [classes]int
	big   int // pages of nodes above half a page
}

// newSlab is the allocator of a zone of size bytes (nginx's
// ngx_slab_init arithmetic).
func newSlab(size int64) *slab {
	pages := int((size - slabHeader) / (pageSize + pageEntry))
	start := (slabHeader + int64(pages)*pageEntry + pageSize - 1) / pageSize * pageSize
	if n := int((size - start) / pageSize); n < pages {
		pages = n
	}
	return &slab{pages: pages}
}

// class is the chunk size index of an allocation, -1 above half a page.
func class(size int) int {
	if size > pageSize/2 {
		return -1
	}
	c, s := 0, 1<<minShift
	for s < size {
		s <<= 1
		c++
	}
	return c
}

// perPage is how many chunks of a class a page holds: below 64 bytes
// the page's own bitmap takes its first chunks.
func perPage(c int) int {
	s := 1 << (c + minShift)
	n := pageSize / s
	if s < 64 {
		bitmap := n / 8
		n -= (bitmap + s - 1) / s
	}
	return n
}

func (s *slab) inUse() int {
	n := s.big
	for c, u := range s.used {
		k := perPage(c)
		n += (u + k - 1) / k
	}
	return n
}

// alloc takes a chunk for size bytes; false when no page is left.
func (s *slab) alloc(size int) bool {
	c := class(size)
	if c < 0 {
		n := (size + pageSize - 1) / pageSize
		if s.inUse()+n > s.pages {
			return false
		}
		s.big += n
		return true
	}
	if s.used[c]%perPage(c) == 0 && s.inUse()+1 > s.pages {
		return false
	}
	s.used[c]++
	return true
}

func (s *slab) free(size int) {
	if c := class(size); c >= 0 {
		s.used[c]--
	} else {
		s.big -= (size + pageSize - 1) / pageSize
	}
}
