package mp4

// chunks.go cuts the chunk tables: samples per chunk (stsc) maps the
// start and end samples to chunks, a chunk cut inside getting an entry
// of its own; sizes (stsz) give the bytes of the samples of a cut chunk
// outside the kept range; offsets (stco, co64) are then cropped to the
// kept chunks and, once the new index's size is known, moved.

func (f *file) updateStsc(t *trak) error {
	if t.out[oStscData] == nil {
		return f.fail(`no mp4 stsc atoms were found in "%s"`, f.name)
	}
	if t.stscEntries == 0 {
		return f.fail(`zero number of entries in stsc atom in "%s"`, f.name)
	}
	if err := f.cropStsc(t, true); err != nil {
		return err
	}
	if err := f.cropStsc(t, false); err != nil {
		return err
	}
	data := t.out[oStscData]
	for i := 0; i+12 <= len(data); i += 12 {
		put32(data[i:], get32(data[i:])-uint32(t.startChunk))
	}
	t.finish(oStsc, t.stscEntries, 16+uint64(t.stscEntries)*12)
	return nil
}

// stscEntry makes a 12-byte entry: first chunk, samples, description.
func stscEntry(chunk, samples, id uint32) []byte {
	e := make([]byte, 12)
	put32(e, chunk)
	put32(e[4:], samples)
	put32(e[8:], id)
	return e
}

func (f *file) cropStsc(t *trak, start bool) error {
	entries := uint64(t.stscEntries - 1)
	var sample, samples uint32
	if start {
		sample = uint32(t.startSample)
	} else {
		if f.o.Length == 0 {
			return nil
		}
		sample = uint32(t.endSample - t.startSample)
		if e := t.out[oStscStart]; e != nil {
			// The first kept chunk's entry, made when the start cut it.
			samples = get32(e[4:])
			entries--
			if samples > sample {
				samples = sample
				put32(e[4:], samples)
			}
			sample -= samples
		}
	}
	data := t.out[oStscData]
	if len(data) < 12 {
		return f.fail(`zero number of entries in stsc atom in "%s"`, f.name)
	}
	chunk, samples, id := get32(data), get32(data[4:]), get32(data[8:])
	var prevSamples, nextChunk uint32
	k := 12 // the entry after the current one
	found := false
	for ; k+12 <= len(data); k += 12 {
		nextChunk = get32(data[k:])
		if nextChunk < chunk {
			return f.fail(`unordered mp4 stsc chunks in "%s"`, f.name)
		}
		n := uint64(nextChunk-chunk) * uint64(samples) // 64-bit since the CVE-2024-7347 fix
		if uint64(sample) < n {
			found = true
			break
		}
		sample -= uint32(n)
		if nextChunk > chunk {
			prevSamples = samples
		}
		chunk, samples, id = nextChunk, get32(data[k+4:]), get32(data[k+8:])
		entries--
	}
	if !found {
		nextChunk = t.chunks + 1
		if uint64(sample) > uint64(nextChunk-chunk)*uint64(samples) {
			what := "end"
			if start {
				what = "start"
			}
			return f.fail(`%s time is out mp4 stsc chunks in "%s"`, what, f.name)
		}
	}
	entries++
	cur := k - 12 // the current entry
	if samples == 0 {
		return f.fail(`zero number of samples in "%s"`, f.name)
	}
	target := uint64(chunk-1) + uint64(sample/samples)
	chunkSamples := uint64(sample % samples)
	if start {
		t.out[oStscData] = data[cur:]
		t.stscEntries = uint32(entries)
		t.startChunk, t.startChunkSamples = target, chunkSamples
		put32(data[cur:], uint32(t.startChunk+1))
		samples -= uint32(chunkSamples)
	} else {
		if sample != 0 {
			t.out[oStscData] = data[:cur+12]
			t.stscEntries -= uint32(entries - 1)
			t.endChunkSamples = uint64(samples)
		} else {
			t.out[oStscData] = data[:cur]
			t.stscEntries -= uint32(entries)
			t.endChunkSamples = uint64(prevSamples)
		}
		if chunkSamples != 0 {
			t.endChunk, t.endChunkSamples = target+1, chunkSamples
		} else {
			t.endChunk = target
		}
		samples = uint32(chunkSamples)
		nextChunk = chunk + 1
	}
	switch {
	case chunkSamples == 0:
	case uint64(nextChunk)-target == 2:
		// The cut chunk is its entry's last: the entry itself changes.
		put32(data[cur+4:], samples)
	case start:
		t.out[oStscStart] = stscEntry(1, samples, id)
		put32(data[cur:], uint32(t.startChunk+2))
		t.stscEntries++
	default:
		t.out[oStscEnd] = stscEntry(uint32(t.endChunk-t.startChunk), samples, id)
		t.stscEntries++
	}
	return nil
}

func (f *file) updateStsz(t *trak) error {
	data := t.out[oStszData]
	if data == nil {
		return nil
	}
	entries := t.stszN
	if t.startSample >= uint64(entries) {
		return f.fail(`start time is out mp4 stsz samples in "%s"`, f.name)
	}
	entries -= uint32(t.startSample)
	data = data[4*t.startSample:]
	// The samples of the start chunk before the start sample.
	lo := 4 * (t.startSample - min(t.startChunkSamples, t.startSample))
	t.startChunkSamplesSize += sumSizes(t.stszTable[lo : 4*t.startSample])
	if t.startChunkSamplesSize > uint64(f.end) {
		return f.fail(`too large mp4 start samples size in "%s"`, f.name)
	}
	if f.o.Length != 0 {
		if t.endSample-t.startSample > uint64(entries) {
			return f.fail(`end time is out mp4 stsz samples in "%s"`, f.name)
		}
		entries = uint32(t.endSample - t.startSample)
		data = data[:4*uint64(entries)]
		// The samples of the end chunk that are kept.
		hi := 4*t.startSample + uint64(len(data))
		t.endChunkSamplesSize += sumSizes(t.stszTable[hi-min(4*t.endChunkSamples, hi) : hi])
		if t.endChunkSamplesSize > uint64(f.end) {
			return f.fail(`too large mp4 end samples size in "%s"`, f.name)
		}
	}
	t.out[oStszData] = data
	t.size += 20 + uint64(len(data))
	put32(t.out[oStsz], uint32(20+len(data)))
	put32(t.out[oStsz][16:], entries)
	return nil
}

func sumSizes(b []byte) uint64 {
	var s uint64
	for i := 0; i+4 <= len(b); i += 4 {
		s += uint64(get32(b[i:]))
	}
	return s
}

// updateOffsets crops the chunk offsets (width 4: stco, 8: co64) to the
// kept chunks, the first moved past the samples cut from it, and
// records where the track's kept media data begins and ends.
func (f *file) updateOffsets(t *trak, width uint64) error {
	name, slot := "stco", oStco
	if width == 8 {
		name, slot = "co64", oCo64
	}
	data := t.out[slot+1]
	if data == nil {
		return f.fail(`no mp4 %s atoms were found in "%s"`, name, f.name)
	}
	if t.startChunk >= uint64(t.chunks) {
		return f.fail(`start time is out mp4 %s chunks in "%s"`, name, f.name)
	}
	data = data[width*t.startChunk:]
	get := func(b []byte) uint64 {
		if width == 8 {
			return get64(b[:8])
		}
		return uint64(get32(b[:4]))
	}
	tooLarge := func(off, size uint64) bool {
		return off > uint64(f.end)-size || (width == 4 && off+size > 1<<32-1)
	}
	off, size := get(data), t.startChunkSamplesSize
	if tooLarge(off, size) {
		return f.fail(`too large chunk offset in "%s"`, f.name)
	}
	t.startOffset = int64(off + size)
	if width == 8 {
		put64(data[:8], uint64(t.startOffset))
	} else {
		put32(data[:4], uint32(t.startOffset))
	}
	var entries uint64
	if f.o.Length != 0 {
		if t.endChunk > uint64(t.chunks) {
			return f.fail(`end time is out mp4 %s chunks in "%s"`, name, f.name)
		}
		if t.endChunk < t.startChunk {
			return f.fail(`end time is out mp4 %s chunks in "%s"`, name, f.name)
		}
		entries = t.endChunk - t.startChunk
		data = data[:width*entries]
		if entries != 0 {
			off, size = get(data[len(data)-int(width):]), t.endChunkSamplesSize
			if tooLarge(off, size) {
				return f.fail(`too large chunk offset in "%s"`, f.name)
			}
			t.endOffset = int64(off + size)
		}
	} else {
		entries = uint64(t.chunks) - t.startChunk
		t.endOffset = f.mdatEnd
	}
	if entries == 0 {
		t.startOffset, t.endOffset = f.end, 0
	}
	t.out[slot+1] = data
	t.finish(slot, uint32(entries), 16+uint64(len(data)))
	return nil
}

// adjust moves the kept chunk offsets by the change of position of the
// media data.
func (t *trak) adjust(adjustment int64) {
	if data := t.out[oCo64Data]; data != nil {
		for i := 0; i+8 <= len(data); i += 8 {
			put64(data[i:], get64(data[i:])+uint64(adjustment))
		}
		return
	}
	data := t.out[oStcoData]
	for i := 0; i+4 <= len(data); i += 4 {
		put32(data[i:], get32(data[i:])+uint32(int32(adjustment)))
	}
}
