package mp4_test

import (
	"bytes"
	"testing"

	"goproxy/mp4"
)

func TestMillis(t *testing.T) {
	for v, want := range map[string]int64{
		"": -1, "0": 0, "1": 1000, "2.5": 2500, ".5": 500, "1.": 1000, "3.99999": 3999,
		"1.2.3": -1, "-1": -1, "1e3": -1, "0.0001": 0, "12.345678": 12345,
		"9223372036854775": 9223372036854775000, "9223372036854776": -1,
		"99999999999999999999": -1,
	} {
		if got := mp4.Millis(v); got != want {
			t.Errorf("Millis(%q) = %d, want %d", v, got, want)
		}
	}
}

func TestRange(t *testing.T) {
	for _, c := range []struct {
		start, end, from, length int64
		ok                       bool
	}{
		{-1, -1, 0, 0, false}, {0, -1, 0, 0, true}, {1000, -1, 1000, 0, true},
		{-1, 500, 0, 500, true}, {1000, 500, 1000, 0, true}, {1000, 3000, 1000, 2000, true},
		{-1, 0, 0, 0, false},
	} {
		from, length, ok := mp4.Range(c.start, c.end)
		if ok != c.ok || int64(from) != c.from || int64(length) != c.length {
			t.Errorf("Range(%d, %d) = %d, %d, %v", c.start, c.end, from, length, ok)
		}
	}
}

// TestSliceCoversTheCut checks that every range of a cut is the same
// bytes as the cut written whole, across the head and the media data.
func TestSliceCoversTheCut(t *testing.T) {
	b := movie{timescale: 1000, tracks: []track{video(50, 10), audio(80, false)}}.build()
	r, err := mp4.Cut(bytes.NewReader(b), int64(len(b)), "x.mp4", mp4.Options{Start: 1000, Length: 500,
		BufferSize: 512 << 10, MaxBufferSize: 10 << 20})
	if err != nil || r == nil {
		t.Fatal(r, err)
	}
	read := func(off, n int64) []byte {
		var out []byte
		r.Slice(off, n, func(p []byte) { out = append(out, p...) }, func(o, k int64) { out = append(out, b[o:o+k]...) })
		return out
	}
	whole := read(0, r.Size)
	if int64(len(whole)) != r.Size {
		t.Fatalf("the cut is %d bytes, Size says %d", len(whole), r.Size)
	}
	for _, c := range [][2]int64{{0, 1}, {5, 100}, {r.Size - r.Len - 3, 10}, {r.Size - 1, 1}, {3, r.Size - 3}} {
		if got := read(c[0], c[1]); !bytes.Equal(got, whole[c[0]:c[0]+c[1]]) {
			t.Errorf("bytes %d+%d differ from the whole cut", c[0], c[1])
		}
	}
}

// TestRefusals checks nginx's log lines for files the cut refuses.
func TestRefusals(t *testing.T) {
	good := movie{timescale: 1000, tracks: []track{video(50, 10)}}.build()
	o := mp4.Options{Start: 1000, BufferSize: 512 << 10, MaxBufferSize: 10 << 20}
	for _, c := range []struct {
		file []byte
		o    mp4.Options
		want string
	}{
		{good, mp4.Options{Start: 3000, BufferSize: 512 << 10, MaxBufferSize: 10 << 20}, `"f" mp4 start time exceeds file duration`},
		{good, mp4.Options{Start: 1000, BufferSize: 1 << 10, MaxBufferSize: 1 << 10}, `"f" mp4 moov atom is too large:`},
		{good[:len(good)-10], o, `"f" mp4 atom too large:`},
		{[]byte("\x00\x00\x00\x04moov"), o, `"f" mp4 atom is too small:4`},
		{[]byte("\x00\x00"), o, `"f" mp4 file truncated`},
		{[]byte("\x00\x00\x00\x10ftypisom\x00\x00\x00\x00"), o, `no mp4 trak atoms were found in "f"`},
	} {
		_, err := mp4.Cut(bytes.NewReader(c.file), int64(len(c.file)), "f", c.o)
		e, ok := err.(*mp4.Error)
		if !ok || e.Level != "error" || !bytes.HasPrefix([]byte(e.Msg), []byte(c.want)) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}
