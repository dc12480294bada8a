package mp4

// process.go puts the cut together: every track's tables are cut, the
// containers' sizes follow, and the media data kept is the span from
// the earliest track start to the latest track end, its chunk offsets
// moved by where that span now sits.

func (f *file) process() error {
	if err := f.readAtoms(topAtoms, uint64(f.end)); err != nil {
		return err
	}
	if len(f.traks) == 0 {
		return f.fail(`no mp4 trak atoms were found in "%s"`, f.name)
	}
	if !f.mdat {
		return f.fail(`no mp4 mdat atom was found in "%s"`, f.name)
	}
	moovHeader := make([]byte, 8)
	var head [][]byte
	if f.ftyp != nil {
		head = append(head, f.ftyp)
	}
	head = append(head, moovHeader)
	moovSize := uint64(0)
	if f.mvhd != nil {
		moovSize += uint64(len(f.mvhd))
		head = append(head, f.mvhd)
	}
	startOff, endOff := f.end, int64(0)
	for _, t := range f.traks {
		if err := f.updateTrak(t); err != nil {
			return err
		}
		moovSize += t.size
		startOff = min(startOff, t.startOffset)
		endOff = max(endOff, t.endOffset)
		for _, b := range t.out {
			if b != nil {
				head = append(head, b)
			}
		}
	}
	// nginx 1.22 refuses a cut without media data (later versions send
	// the index alone).
	if endOff <= startOff {
		return f.fail(`no data between start time and end time in "%s"`, f.name)
	}
	moovSize += 8
	put32(moovHeader, uint32(moovSize))
	copy(moovHeader[4:], "moov")
	f.contentLength += int64(moovSize)
	if startOff >= f.mdatEnd {
		return f.fail(`start time is out mp4 mdat atom in "%s"`, f.name)
	}
	mdat := mdatHeader(endOff - startOff)
	head = append(head, mdat)
	f.contentLength += int64(len(mdat)) + endOff - startOff
	adjustment := int64(len(f.ftyp)) + int64(moovSize) + int64(len(mdat)) - startOff
	for _, t := range f.traks {
		t.adjust(adjustment)
	}
	f.result = &Result{Head: head, Off: startOff, Len: endOff - startOff, Size: f.contentLength}
	return nil
}

// updateTrak cuts a track's tables, then sizes its containers from the
// inside out.
func (f *file) updateTrak(t *trak) error {
	if err := f.updateStts(t); err != nil {
		return err
	}
	f.updateStss(t)
	f.updateCtts(t)
	if err := f.updateStsc(t); err != nil {
		return err
	}
	if err := f.updateStsz(t); err != nil {
		return err
	}
	width := uint64(4)
	if t.out[oCo64Data] != nil {
		width = 8
	}
	if err := f.updateOffsets(t, width); err != nil {
		return err
	}
	t.setSize(oStbl)
	t.size += t.vmhdSize + t.smhdSize + t.dinfSize
	t.setSize(oMinf)
	t.updateMdhd()
	t.size += t.hdlrSize
	t.setSize(oMdia)
	t.size += t.tkhdSize
	t.updateEdts()
	t.setSize(oTrak)
	return nil
}

// mdatHeader heads n bytes of media data: 8 bytes, or 16 with a 64-bit
// size when n does not fit in 32 bits.
func mdatHeader(n int64) []byte {
	if uint64(n) > 1<<32-1-8 {
		h := make([]byte, 16)
		put32(h, 1)
		copy(h[4:], "mdat")
		put64(h[8:], uint64(16+n))
		return h
	}
	h := make([]byte, 8)
	put32(h, uint32(8+n))
	copy(h[4:], "mdat")
	return h
}
