package mp4

// moov.go reads the index's containers and headers: the movie header
// (mvhd), and per track (trak) its header (tkhd), media (mdia: mdhd,
// hdlr, minf: vmhd or smhd, dinf, stbl). Each is kept as the bytes of
// the index it was read in, rewritten in place; atoms not named here
// (udta, edts, meta, ...) are left out of the cut file, as nginx does.

// Indexes of a track's output atoms, in the order they are sent.
const (
	oTrak = iota
	oTkhd
	oEdts
	oElst
	oMdia
	oMdhd
	oHdlr
	oMinf
	oVmhd
	oSmhd
	oDinf
	oStbl
	oStsd
	oStts
	oSttsData
	oStss
	oStssData
	oCtts
	oCttsData
	oStsc
	oStscStart
	oStscData
	oStscEnd
	oStsz
	oStszData
	oStco
	oStcoData
	oCo64
	oCo64Data
	nOut
)

// trak is one track being cut.
type trak struct {
	out [nOut][]byte // nil: not sent

	timescale                                                 uint32
	sttsEntries, stscEntries, stssEntries, cttsEntries, stszN uint32
	chunks                                                    uint32

	startSample, endSample, startChunk, endChunk     uint64
	startChunkSamples, endChunkSamples               uint64
	startChunkSamplesSize, endChunkSamplesSize       uint64
	duration, prefix, movieDuration                  uint64
	startOffset, endOffset                           int64
	tkhdSize, mdhdSize, hdlrSize, vmhdSize, smhdSize uint64
	dinfSize, size                                   uint64

	stszTable []byte // the whole size table: sums reach before the cut
	edts      [8 + 36]byte
}

var moovAtoms = []handler{{"mvhd", readMvhd}, {"trak", readTrak}, {"cmov", readCmov}}
var trakAtoms = []handler{{"tkhd", readTkhd}, {"mdia", readMdia}}
var mdiaAtoms = []handler{{"mdhd", readMdhd}, {"hdlr", readHdlr}, {"minf", readMinf}}
var minfAtoms = []handler{{"vmhd", readVmhd}, {"smhd", readSmhd}, {"dinf", readDinf}, {"stbl", readStbl}}

func (f *file) last() *trak { return f.traks[len(f.traks)-1] }

// cutDuration is a duration (in timescale units) less the start and
// bounded by the length; ok is false when it ends before the start.
func (f *file) cutDuration(d uint64, timescale uint32, inclusive bool) (uint64, bool) {
	start := f.o.Start * uint64(timescale) / 1000
	if d < start || (!inclusive && d == start) {
		return 0, false
	}
	d -= start
	if f.o.Length != 0 {
		d = min(d, f.o.Length*uint64(timescale)/1000)
	}
	return d, true
}

// versioned reads a header's duration (32 bits in version 0, 64 in
// version 1) at off0 or off1, checking the atom is long enough.
func (f *file) versioned(h []byte, size uint64, min0, min1 uint64, what string) (bool, error) {
	if min0 > size {
		return false, f.fail(`"%s" mp4 %s atom too small`, f.name, what)
	}
	if h[8] == 0 {
		return false, nil
	}
	if min1 > size {
		return false, f.fail(`"%s" mp4 %s atom too small`, f.name, what)
	}
	return true, nil
}

// timescaleOf reads the timescale of a movie or media header.
func timescaleOf(h []byte, v1 bool) uint32 {
	if v1 {
		return get32(h[28:])
	}
	return get32(h[20:])
}

func getDur(h []byte, v1 bool, off0, off1 int) uint64 {
	if v1 {
		return get64(h[off1:])
	}
	return uint64(get32(h[off0:]))
}

func putDur(h []byte, v1 bool, off0, off1 int, d uint64) {
	if v1 {
		put64(h[off1:], d)
	} else {
		put32(h[off0:], uint32(d))
	}
}

func readMvhd(f *file, size uint64) error {
	if f.mvhd != nil {
		return f.fail(`duplicate mp4 mvhd atom in "%s"`, f.name)
	}
	h := f.header(size)
	copy(h[4:], "mvhd")
	v1, err := f.versioned(h, size, 100, 112, "mvhd")
	if err != nil {
		return err
	}
	ts := timescaleOf(h, v1)
	f.timescale = ts
	d, ok := f.cutDuration(getDur(h, v1, 24, 32), ts, true)
	if !ok {
		return f.fail(`"%s" mp4 start time exceeds file duration`, f.name)
	}
	put32(h, uint32(8+size))
	putDur(h, v1, 24, 32, d)
	f.mvhd = h
	f.next(size)
	return nil
}

func readTrak(f *file, size uint64) error {
	t := &trak{}
	f.traks = append(f.traks, t)
	h := f.header(size)
	copy(h[4:], "trak")
	t.out[oTrak] = h[:8]
	endPos, endOff := f.pos+int(size), f.off+int64(size)
	err := f.readAtoms(trakAtoms, size)
	if err == errDeclined {
		// A track that ends before the start is left out.
		f.traks = f.traks[:len(f.traks)-1]
		f.pos, f.off = endPos, endOff
		return nil
	}
	return err
}

func readCmov(f *file, size uint64) error {
	return f.fail(`"%s" mp4 compressed moov atom (cmov) is not supported`, f.name)
}

func readTkhd(f *file, size uint64) error {
	h := f.header(size)
	copy(h[4:], "tkhd")
	v1, err := f.versioned(h, size, 84, 96, "tkhd")
	if err != nil {
		return err
	}
	d, ok := f.cutDuration(getDur(h, v1, 28, 36), f.timescale, false)
	if !ok {
		return errDeclined
	}
	t := f.last()
	if t.out[oTkhd] != nil {
		return f.fail(`duplicate mp4 tkhd atom in "%s"`, f.name)
	}
	t.tkhdSize, t.movieDuration = 8+size, d
	put32(h, uint32(8+size))
	putDur(h, v1, 28, 36, d)
	t.out[oTkhd] = h
	f.next(size)
	return nil
}

// container keeps a box's 8-byte header (its size set later) and reads
// what it holds.
func (f *file) container(size uint64, name string, slot int, table []handler) error {
	h := f.header(size)
	copy(h[4:], name)
	t := f.last()
	if t.out[slot] != nil {
		return f.fail(`duplicate mp4 %s atom in "%s"`, name, f.name)
	}
	t.out[slot] = h[:8]
	return f.readAtoms(table, size)
}

func readMdia(f *file, size uint64) error { return f.container(size, "mdia", oMdia, mdiaAtoms) }
func readMinf(f *file, size uint64) error { return f.container(size, "minf", oMinf, minfAtoms) }
func readStbl(f *file, size uint64) error { return f.container(size, "stbl", oStbl, stblAtoms) }

func readMdhd(f *file, size uint64) error {
	h := f.header(size)
	copy(h[4:], "mdhd")
	v1, err := f.versioned(h, size, 24, 36, "mdhd")
	if err != nil {
		return err
	}
	ts := timescaleOf(h, v1)
	d, ok := f.cutDuration(getDur(h, v1, 24, 32), ts, false)
	if !ok {
		return errDeclined
	}
	t := f.last()
	if t.out[oMdhd] != nil {
		return f.fail(`duplicate mp4 mdhd atom in "%s"`, f.name)
	}
	t.mdhdSize, t.timescale, t.duration = 8+size, ts, d
	put32(h, uint32(8+size))
	t.out[oMdhd] = h
	f.next(size)
	return nil
}

// leaf keeps a whole atom as it is, its size rewritten; dup is the
// duplicate check's name.
func (f *file) leaf(size uint64, name, dup string, slot int, dupSlots ...int) ([]byte, error) {
	h := f.header(size)
	put32(h, uint32(8+size))
	copy(h[4:], name)
	t := f.last()
	for _, s := range append(dupSlots, slot) {
		if t.out[s] != nil {
			return nil, f.fail(`duplicate mp4 %s atom in "%s"`, dup, f.name)
		}
	}
	t.out[slot] = h
	f.next(size)
	return h, nil
}

func readHdlr(f *file, size uint64) error {
	h, err := f.leaf(size, "hdlr", "hdlr", oHdlr)
	if err == nil {
		f.last().hdlrSize = uint64(len(h))
	}
	return err
}

func readVmhd(f *file, size uint64) error {
	h, err := f.leaf(size, "vmhd", "vmhd/smhd", oVmhd, oSmhd)
	if err == nil {
		f.last().vmhdSize += uint64(len(h))
	}
	return err
}

func readSmhd(f *file, size uint64) error {
	h, err := f.leaf(size, "smhd", "vmhd/smhd", oSmhd, oVmhd)
	if err == nil {
		f.last().smhdSize += uint64(len(h))
	}
	return err
}

func readDinf(f *file, size uint64) error {
	h, err := f.leaf(size, "dinf", "dinf", oDinf)
	if err == nil {
		f.last().dinfSize += uint64(len(h))
	}
	return err
}

// setSize adds a container's header to the track's running size and
// writes that size into it.
func (t *trak) setSize(slot int) {
	t.size += 8
	put32(t.out[slot], uint32(t.size))
}

func (t *trak) updateMdhd() {
	h := t.out[oMdhd]
	if h == nil {
		return
	}
	putDur(h, h[8] != 0, 24, 32, t.duration)
	t.size += t.mdhdSize
}

// updateEdts adds an edit list that starts the track's presentation
// after the samples kept before the start (mp4_start_key_frame).
func (t *trak) updateEdts() {
	if t.prefix == 0 {
		return
	}
	e := t.edts[:]
	put32(e, 8+36)
	copy(e[4:], "edts")
	l := e[8:]
	put32(l, 36)
	copy(l[4:], "elst")
	l[8], l[9], l[10], l[11] = 1, 0, 0, 0 // version 1: 64-bit times
	put32(l[12:], 1)
	put64(l[16:], t.movieDuration)
	put64(l[24:], t.prefix)
	l[32], l[33], l[34], l[35] = 0, 1, 0, 0 // rate 1, reserved
	t.out[oEdts], t.out[oElst] = e[:8], l
	t.size += 8 + 36
}
