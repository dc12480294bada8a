package mp4

// tables.go reads the sample table (stbl): descriptions (stsd), times
// (stts), sync samples (stss), composition offsets (ctts), samples per
// chunk (stsc), sample sizes (stsz) and chunk offsets (stco, co64).
// Each table's header and entries are kept apart, the entries to be
// cropped.

var stblAtoms = []handler{
	{"stsd", readStsd},
	{"stts", counted("stts", 8, oStts, false, func(t *trak, n uint32) { t.sttsEntries = n })},
	{"stss", counted("stss", 4, oStss, true, func(t *trak, n uint32) { t.stssEntries = n })},
	{"ctts", counted("ctts", 8, oCtts, true, func(t *trak, n uint32) { t.cttsEntries = n })},
	{"stsc", counted("stsc", 12, oStsc, false, func(t *trak, n uint32) { t.stscEntries = n })},
	{"stsz", readStsz},
	{"stco", counted("stco", 4, oStco, false, func(t *trak, n uint32) { t.chunks = n })},
	{"co64", counted("co64", 8, oCo64, false, func(t *trak, n uint32) { t.chunks = n })},
}

func readStsd(f *file, size uint64) error {
	h := f.header(size)
	put32(h, uint32(8+size))
	copy(h[4:], "stsd")
	if 16 > size {
		return f.fail(`"%s" mp4 stsd atom too small`, f.name)
	}
	t := f.last()
	if t.out[oStsd] != nil {
		return f.fail(`duplicate mp4 stsd atom in "%s"`, f.name)
	}
	t.out[oStsd] = h
	t.size += 8 + size
	f.next(size)
	return nil
}

// table reads a full box of entries of width bytes after its 16-byte
// header (version, flags, count): the header, the entries, the count.
// The duplicate check comes before or after the length check, as in
// nginx's reader of each table.
func (f *file) table(size uint64, name string, width uint64, slot int, dupFirst bool) (uint32, error) {
	h := f.header(size)
	copy(h[4:], name)
	if 8 > size {
		return 0, f.fail(`"%s" mp4 %s atom too small`, f.name, name)
	}
	n := get32(h[12:])
	t := f.last()
	dup := func() error {
		if t.out[slot] != nil || (slot == oStco && t.out[oCo64] != nil) || (slot == oCo64 && t.out[oStco] != nil) {
			if slot == oStco || slot == oCo64 {
				return f.fail(`duplicate mp4 stco/co64 atom in "%s"`, f.name)
			}
			return f.fail(`duplicate mp4 %s atom in "%s"`, name, f.name)
		}
		return nil
	}
	if dupFirst {
		if err := dup(); err != nil {
			return 0, err
		}
	}
	if 8+uint64(n)*width > size {
		return 0, f.fail(`"%s" mp4 %s atom too small`, f.name, name)
	}
	if !dupFirst {
		if err := dup(); err != nil {
			return 0, err
		}
	}
	t.out[slot] = h[:16]
	data := slot + 1
	if slot == oStsc {
		data = oStscData // after the entry a cut first chunk gets
	}
	t.out[data] = h[16 : 16+uint64(n)*width]
	f.next(size)
	return n, nil
}

// counted reads a table with the table reader, the count kept by set.
func counted(name string, width uint64, slot int, dupFirst bool, set func(t *trak, n uint32)) func(*file, uint64) error {
	return func(f *file, size uint64) error {
		n, err := f.table(size, name, width, slot, dupFirst)
		if err == nil {
			set(f.last(), n)
		}
		return err
	}
}

// readStsz keeps a table of sizes, or, for samples all of one size,
// the 20-byte header alone (whose count nginx then leaves as it is).
func readStsz(f *file, size uint64) error {
	h := f.header(size)
	copy(h[4:], "stsz")
	if 12 > size {
		return f.fail(`"%s" mp4 stsz atom too small`, f.name)
	}
	uniform, n := get32(h[12:]), get32(h[16:])
	t := f.last()
	if t.out[oStsz] != nil {
		return f.fail(`duplicate mp4 stsz atom in "%s"`, f.name)
	}
	t.stszN = n
	t.out[oStsz] = h[:20]
	if uniform == 0 {
		if 12+uint64(n)*4 > size {
			return f.fail(`"%s" mp4 stsz atom too small`, f.name)
		}
		t.stszTable = h[20 : 20+uint64(n)*4]
		t.out[oStszData] = t.stszTable
	} else {
		put32(h, uint32(8+size))
		t.size += 8 + size
	}
	f.next(size)
	return nil
}
