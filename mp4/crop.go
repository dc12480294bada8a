package mp4

// crop.go cuts a track's sample tables to the start and end times: the
// time table finds the first and last samples, the others follow them
// (sync and composition tables by sample, the chunk table by sample to
// chunk, the size and offset tables by chunk). Counters keep nginx's
// widths (32-bit products wrap as they do there).

// cropStts finds the start sample (start) or the end sample, and cuts
// the time table there.
func (f *file) cropStts(t *trak, start bool) error {
	ms := f.o.Start
	if !start {
		if f.o.Length == 0 {
			return nil
		}
		ms = f.o.Length
	}
	data := t.out[oSttsData]
	at := ms*uint64(t.timescale)/1000 + t.prefix
	entries := uint64(t.sttsEntries)
	var sample uint64
	var count, duration, rest uint32
	k, n := 0, len(data)/8
	for ; k < n; k++ {
		count, duration = get32(data[8*k:]), get32(data[8*k+4:])
		if at < uint64(count)*uint64(duration) {
			sample += at / uint64(duration)
			rest = uint32(at / uint64(duration))
			break
		}
		sample += uint64(count)
		at -= uint64(count) * uint64(duration)
		entries--
	}
	if k == n {
		if start {
			return f.fail(`start time is out mp4 stts samples in "%s"`, f.name)
		}
		t.endSample = t.startSample + sample
		return nil
	}
	if !start {
		put32(data[8*k:], rest)
		t.out[oSttsData] = data[:8*(k+1)]
		t.sttsEntries -= uint32(entries - 1)
		t.endSample = t.startSample + sample
		return nil
	}
	key := f.seekKeyFrame(t, uint32(sample))
	sample -= uint64(key)
	// The key frame may be in an earlier entry; a damaged sync table
	// walks nginx back past the table's start, into the bytes before
	// it in the index (up to the index's own start here).
	base := f.moovBuf
	pos := cap(base) - cap(data) + 8*k // the entry's place in base
	for rest < key {
		if pos < 8 {
			return f.fail(`start time is out mp4 stts samples in "%s"`, f.name)
		}
		t.prefix += uint64(rest * duration)
		key -= rest
		pos -= 8
		entries++
		count, duration = get32(base[pos:]), get32(base[pos+4:])
		rest = count
	}
	t.prefix += uint64(key * duration)
	t.duration += t.prefix
	rest -= key
	put32(base[pos:], count-rest)
	t.out[oSttsData] = base[pos : cap(base)-cap(data)+len(data)]
	t.sttsEntries = uint32(entries)
	t.startSample = sample
	return nil
}

// seekKeyFrame is how many samples before sample (0-based) the key
// frame at or before it is, with mp4_start_key_frame on.
func (f *file) seekKeyFrame(t *trak, sample uint32) uint32 {
	data := t.out[oStssData]
	if !f.o.StartKeyFrame || data == nil {
		return 0
	}
	sample++ // sync samples count from 1
	var key uint32
	for i := 0; i+4 <= len(data); i += 4 {
		s := get32(data[i:])
		if s > sample {
			break
		}
		key = sample - s
	}
	return key
}

func (f *file) updateStts(t *trak) error {
	if t.out[oSttsData] == nil {
		return f.fail(`no mp4 stts atoms were found in "%s"`, f.name)
	}
	if err := f.cropStts(t, true); err != nil {
		return err
	}
	if err := f.cropStts(t, false); err != nil {
		return err
	}
	t.finish(oStts, t.sttsEntries, 16+uint64(len(t.out[oSttsData])))
	return nil
}

// finish writes a table's size and count, adding it to the track.
func (t *trak) finish(slot int, entries uint32, size uint64) {
	t.size += size
	put32(t.out[slot], uint32(size))
	put32(t.out[slot][12:], entries)
}

// cropStss cuts the sync samples before the start sample, or from the
// end sample on.
func (f *file) cropStss(t *trak, start bool) {
	first := uint32(t.startSample + 1)
	if !start {
		if f.o.Length == 0 {
			return
		}
		first = uint32(t.endSample + 1)
	}
	data := t.out[oStssData]
	entries := t.stssEntries
	k := 0
	for ; k+4 <= len(data); k += 4 {
		if get32(data[k:]) >= first {
			break
		}
		entries--
	}
	if start {
		t.out[oStssData] = data[k:]
		t.stssEntries = entries
	} else {
		t.out[oStssData] = data[:k]
		t.stssEntries -= entries
	}
}

func (f *file) updateStss(t *trak) {
	if t.out[oStssData] == nil {
		return
	}
	f.cropStss(t, true)
	f.cropStss(t, false)
	data := t.out[oStssData]
	if t.stssEntries != 0 {
		for i := 0; i+4 <= len(data); i += 4 {
			put32(data[i:], get32(data[i:])-uint32(t.startSample))
		}
	} else {
		t.out[oStssData] = nil
	}
	t.finish(oStss, t.stssEntries, 16+uint64(len(data)))
}

// cropCtts cuts the composition offsets to the kept samples.
func (f *file) cropCtts(t *trak, start bool) {
	sample := uint32(t.startSample + 1)
	if !start {
		if f.o.Length == 0 {
			return
		}
		sample = uint32(t.endSample - t.startSample + 1)
	}
	data := t.out[oCttsData]
	entries := t.cttsEntries
	for k := 0; k+8 <= len(data); k += 8 {
		count := get32(data[k:])
		if sample <= count {
			rest := sample - 1
			if start {
				put32(data[k:], count-rest)
				t.out[oCttsData] = data[k:]
				t.cttsEntries = entries
			} else {
				put32(data[k:], rest)
				t.out[oCttsData] = data[:k+8]
				t.cttsEntries -= entries - 1
			}
			return
		}
		sample -= count
		entries--
	}
	if start {
		t.out[oCttsData] = data[len(data):]
		t.cttsEntries = 0
	}
}

func (f *file) updateCtts(t *trak) {
	if t.out[oCttsData] == nil {
		return
	}
	f.cropCtts(t, true)
	f.cropCtts(t, false)
	if t.cttsEntries == 0 {
		t.out[oCtts], t.out[oCttsData] = nil, nil
		return
	}
	t.finish(oCtts, t.cttsEntries, 16+uint64(len(t.out[oCttsData])))
}
