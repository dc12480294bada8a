package mp4_test

import (
	"bytes"
	"testing"

	"goproxy/mp4"
)

// FuzzCut feeds damaged movies to the cut: it may refuse them, never
// fail otherwise, and what it answers adds up to the size it gives.
func FuzzCut(f *testing.F) {
	for _, m := range []movie{
		{timescale: 1000, tracks: []track{video(30, 7), audio(40, false)}},
		{timescale: 600, moovFirst: true, co64: true, v1: true, tracks: []track{audio(30, true)}},
	} {
		f.Add(m.build(), uint16(500), uint16(300), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, start, length uint16, key bool) {
		r, err := mp4.Cut(bytes.NewReader(b), int64(len(b)), "f", mp4.Options{Start: uint64(start), Length: uint64(length),
			BufferSize: 4096, MaxBufferSize: 1 << 20, StartKeyFrame: key})
		if err != nil {
			if _, ok := err.(*mp4.Error); !ok {
				t.Fatalf("%T %v", err, err)
			}
			return
		}
		if r == nil {
			return
		}
		n := int64(0)
		for _, h := range r.Head {
			n += int64(len(h))
		}
		if r.Off < 0 || r.Len < 0 || r.Off+r.Len > int64(len(b)) || n+r.Len != r.Size {
			t.Fatalf("cut %d+%d of %d, head %d, size %d", r.Off, r.Len, len(b), n, r.Size)
		}
	})
}
