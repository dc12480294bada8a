package mp4_test

// gen_test.go is a minimal MP4 muxer for the tests: tracks of made-up
// samples (their bytes name the track and sample, so a wrong cut shows)
// with the tables a real file has, in the layouts the module meets:
// index first or last, 32- or 64-bit chunk offsets, version 0 or 1
// headers, uniform or listed sizes, several samples-per-chunk runs.

import "encoding/binary"

type sample struct {
	size, dur, cts uint32
	sync           bool
}

type track struct {
	handler   string // "vide" or "soun"
	timescale uint32
	samples   []sample
	chunks    []int // samples per chunk, repeated as a cycle
	uniform   bool  // stsz with one size for all (sizes must agree)
	noSync    bool  // no stss: every sample is a key frame
	ctts      bool
	v1        bool // 64-bit tkhd and mdhd
}

type movie struct {
	timescale uint32
	v1        bool // 64-bit mvhd
	moovFirst bool
	co64      bool
	largeMdat bool // a 64-bit mdat size
	tracks    []track
}

func atom(name string, parts ...[]byte) []byte {
	n := 8
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 8, n)
	binary.BigEndian.PutUint32(b, uint32(n))
	copy(b[4:], name)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func u32(vs ...uint32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.BigEndian.PutUint32(b[4*i:], v)
	}
	return b
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

var matrix = u32(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)

func (t *track) duration() uint64 {
	var d uint64
	for _, s := range t.samples {
		d += uint64(s.dur)
	}
	return d
}

// chunking splits the samples into chunks: first sample of each.
func (t *track) chunking() []int {
	var starts []int
	for i, k := 0, 0; i < len(t.samples); k++ {
		starts = append(starts, i)
		i += t.chunks[k%len(t.chunks)]
	}
	return starts
}

func sampleBytes(tr, i int, size uint32) []byte {
	b := make([]byte, size)
	for j := range b {
		b[j] = byte(tr*64 + i + j/8)
	}
	copy(b, []byte{byte('A' + tr), byte(i >> 8), byte(i)})
	return b
}

// build muxes the movie. Chunks are interleaved: chunk k of every
// track, then chunk k+1.
func (m movie) build() []byte {
	ftyp := atom("ftyp", []byte("isom"), u32(0x200), []byte("isomiso2avc1mp41"))
	starts := make([][]int, len(m.tracks))
	for i := range m.tracks {
		starts[i] = m.tracks[i].chunking()
	}
	// The media data and where each chunk lies in it.
	var mdat []byte
	offs := make([][]uint64, len(m.tracks))
	for k := 0; ; k++ {
		any := false
		for i := range m.tracks {
			t := &m.tracks[i]
			if k >= len(starts[i]) {
				continue
			}
			any = true
			offs[i] = append(offs[i], uint64(len(mdat)))
			end := len(t.samples)
			if k+1 < len(starts[i]) {
				end = starts[i][k+1]
			}
			for s := starts[i][k]; s < end; s++ {
				mdat = append(mdat, sampleBytes(i, s, t.samples[s].size)...)
			}
		}
		if !any {
			break
		}
	}
	moov := func(base uint64) []byte {
		var dur uint64
		var traks [][]byte
		for i := range m.tracks {
			t := &m.tracks[i]
			d := t.duration() * uint64(m.timescale) / uint64(t.timescale)
			dur = max(dur, d)
			traks = append(traks, m.trak(i, t, d, starts[i], offs[i], base))
		}
		var mvhd []byte
		if m.v1 {
			mvhd = atom("mvhd", u32(1<<24), u64(1), u64(2), u32(m.timescale), u64(dur),
				u32(0x10000), []byte{1, 0}, make([]byte, 10), matrix, make([]byte, 24), u32(uint32(len(m.tracks)+1)))
		} else {
			mvhd = atom("mvhd", u32(0, 1, 2, m.timescale, uint32(dur), 0x10000), []byte{1, 0}, make([]byte, 10),
				matrix, make([]byte, 24), u32(uint32(len(m.tracks)+1)))
		}
		udta := atom("udta", atom("meta", u32(0), atom("hdlr", u32(0, 0), []byte("mdirappl"), u32(0, 0), []byte{0})))
		return atom("moov", cat(mvhd, cat(traks...), udta))
	}
	mdatBox := atom("mdat", mdat)
	if m.largeMdat {
		mdatBox = cat(u32(1), []byte("mdat"), u64(uint64(16+len(mdat))), mdat)
	}
	hdr := uint64(len(mdatBox) - len(mdat))
	if m.moovFirst {
		size := uint64(len(moov(0)))
		base := uint64(len(ftyp)) + size + hdr
		return cat(ftyp, moov(base), mdatBox)
	}
	free := atom("free", make([]byte, 16))
	base := uint64(len(ftyp)+len(free)) + hdr
	return cat(ftyp, free, mdatBox, moov(base))
}

func (m movie) trak(id int, t *track, movieDur uint64, starts []int, offs []uint64, base uint64) []byte {
	var tkhd, mdhd []byte
	vol, w, h := []byte{0, 0}, uint32(320<<16), uint32(240<<16)
	if t.handler == "soun" {
		vol, w, h = []byte{1, 0}, 0, 0
	}
	tail := cat(make([]byte, 8), []byte{0, 0, 0, 0}, vol, []byte{0, 0}, matrix, u32(w, h))
	if t.v1 {
		tkhd = atom("tkhd", u32(1<<24|3), u64(1), u64(2), u32(uint32(id+1), 0), u64(movieDur), tail)
		mdhd = atom("mdhd", u32(1<<24), u64(1), u64(2), u32(t.timescale), u64(t.duration()), []byte{0x55, 0xc4, 0, 0})
	} else {
		tkhd = atom("tkhd", u32(3, 1, 2, uint32(id+1), 0, uint32(movieDur)), tail)
		mdhd = atom("mdhd", u32(0, 1, 2, t.timescale, uint32(t.duration())), []byte{0x55, 0xc4, 0, 0})
	}
	edts := atom("edts", atom("elst", u32(0, 1, uint32(movieDur), 0, 0x10000)))
	hdlr := atom("hdlr", u32(0, 0), []byte(t.handler), u32(0, 0, 0), []byte("Handler\x00"))
	var mhd, entry []byte
	if t.handler == "vide" {
		mhd = atom("vmhd", u32(1, 0, 0))
		entry = atom("avc1", make([]byte, 6), []byte{0, 1}, make([]byte, 16), []byte{1, 64, 0, 240},
			u32(0x480000, 0x480000, 0), []byte{0, 1}, make([]byte, 32), []byte{0, 24, 0xff, 0xff},
			atom("avcC", []byte{1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0xc0, 0x1e, 1, 0, 4, 0x68, 0xce, 0x3c, 0x80}))
	} else {
		mhd = atom("smhd", u32(0, 0))
		entry = atom("mp4a", make([]byte, 6), []byte{0, 1}, u32(0, 0), []byte{0, 2, 0, 16, 0, 0, 0, 0}, u32(44100<<16))
	}
	dinf := atom("dinf", atom("dref", u32(0, 1), atom("url ", u32(1))))
	stsd := atom("stsd", u32(0, 1), entry)

	stts := t.runs(func(s sample) uint32 { return s.dur })
	tables := [][]byte{stsd, atom("stts", u32(0, uint32(len(stts)/2)), u32(stts...))}
	if !t.noSync {
		var ss []uint32
		for i, s := range t.samples {
			if s.sync {
				ss = append(ss, uint32(i+1))
			}
		}
		tables = append(tables, atom("stss", u32(0, uint32(len(ss))), u32(ss...)))
	}
	if t.ctts {
		c := t.runs(func(s sample) uint32 { return s.cts })
		tables = append(tables, atom("ctts", u32(0, uint32(len(c)/2)), u32(c...)))
	}
	// Samples per chunk, an entry where the count changes.
	var stsc []uint32
	for k := range starts {
		end := len(t.samples)
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		n := uint32(end - starts[k])
		if l := len(stsc); l > 0 && stsc[l-2] == n {
			continue
		}
		stsc = append(stsc, uint32(k+1), n, 1)
	}
	tables = append(tables, atom("stsc", u32(0, uint32(len(stsc)/3)), u32(stsc...)))
	if t.uniform {
		tables = append(tables, atom("stsz", u32(0, t.samples[0].size, uint32(len(t.samples)))))
	} else {
		var sz []uint32
		for _, s := range t.samples {
			sz = append(sz, s.size)
		}
		tables = append(tables, atom("stsz", u32(0, 0, uint32(len(sz))), u32(sz...)))
	}
	if m.co64 {
		var co []byte
		for _, o := range offs {
			co = append(co, u64(base+o)...)
		}
		tables = append(tables, atom("co64", u32(0, uint32(len(offs))), co))
	} else {
		var co []uint32
		for _, o := range offs {
			co = append(co, uint32(base+o))
		}
		tables = append(tables, atom("stco", u32(0, uint32(len(co))), u32(co...)))
	}
	stbl := atom("stbl", cat(tables...))
	return atom("trak", tkhd, edts, atom("mdia", mdhd, hdlr, atom("minf", mhd, dinf, stbl)))
}

// runs codes a value of the samples as (count, value) pairs, as the
// time and composition tables do.
func (t *track) runs(value func(sample) uint32) []uint32 {
	var r []uint32
	for _, s := range t.samples {
		v := value(s)
		if n := len(r); n > 0 && r[n-1] == v {
			r[n-2]++
			continue
		}
		r = append(r, 1, v)
	}
	return r
}

// video is n frames at 25 per second, a key frame every gop, B-frame
// style composition offsets, sizes that vary.
func video(n, gop int) track {
	t := track{handler: "vide", timescale: 12800, chunks: []int{3, 3, 5, 2, 5}, ctts: true}
	for i := 0; i < n; i++ {
		cts := []uint32{1024, 0, 512, 1024, 0}[i%5]
		t.samples = append(t.samples, sample{size: uint32(100 + (i*37)%300), dur: 512, cts: cts, sync: i%gop == 0})
	}
	return t
}

// audio is n AAC-like frames of 1024 samples at 44.1 kHz, the last
// shorter.
func audio(n int, uniform bool) track {
	t := track{handler: "soun", timescale: 44100, chunks: []int{10, 10, 7}, noSync: true, uniform: uniform}
	for i := 0; i < n; i++ {
		size := uint32(60 + (i*13)%90)
		if uniform {
			size = 96
		}
		dur := uint32(1024)
		if i == n-1 {
			dur = 300
		}
		t.samples = append(t.samples, sample{size: size, dur: dur, sync: true})
	}
	return t
}
