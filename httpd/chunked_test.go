package httpd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
)

// decodeAll runs the decoder over in, reading step bytes at a time (the
// source itself hands out one byte per read when slow is set), and
// reports the data, how many bytes of in were consumed, and the error
// that ended it (nil for a complete body).
func decodeAll(in []byte, max int64, step int, slow bool) (data []byte, used int, err error) {
	src := &countingReader{r: bytes.NewReader(in)}
	var r io.Reader = src
	if slow {
		r = iotest.OneByteReader(src)
	}
	br := bufio.NewReaderSize(r, 16)
	d := Chunked{Max: max}
	p := make([]byte, step)
	for {
		n, err := d.Decode(br, p)
		data = append(data, p[:n]...)
		if err == io.EOF {
			return data, src.n - br.Buffered(), nil
		}
		if err != nil {
			return data, 0, err
		}
	}
}

// countingReader counts what was read from r.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// refDecode is a second, line-based reading of nginx's chunked rules, to
// check the state machine against: lines end in LF or CRLF; a size line
// is hex digits, then nothing or an extension starting with ";", space or
// HTAB; a size above (2^63-1)/16 is refused when the byte after it
// arrives; data is followed by a line end; after the zero-size chunk,
// trailer lines run to an empty one. When in ends first, the error is
// errTruncated unless what came already breaks a rule.
func refDecode(in []byte, max int64) (data []byte, used int, err error) {
	pos := 0
	next := func() (l []byte, complete bool) {
		i := bytes.IndexByte(in[pos:], '\n')
		if i < 0 {
			l, pos = in[pos:], len(in)
			return l, false
		}
		l = in[pos : pos+i]
		pos += i + 1
		return l, true
	}
	for {
		l, complete := next()
		size, err := refSizeLine(l, complete)
		if err != nil {
			return data, 0, err
		}
		if size == 0 {
			for {
				l, complete := next()
				if err := refCR(l, complete); err != nil {
					return data, 0, err
				}
				if !complete {
					return data, 0, errTruncated
				}
				if len(bytes.TrimSuffix(l, []byte("\r"))) == 0 {
					return data, pos, nil
				}
			}
		}
		if max > 0 && size > max-int64(len(data)) {
			return data, 0, &ChunkTooLarge{Read: int64(len(data)), Size: size}
		}
		if int64(len(in)-pos) < size {
			return append(data, in[pos:]...), 0, errTruncated
		}
		data = append(data, in[pos:pos+int(size)]...)
		pos += int(size)
		switch rest := string(in[pos:]); {
		case strings.HasPrefix(rest, "\r\n"):
			pos += 2
		case strings.HasPrefix(rest, "\n"):
			pos++
		case rest == "" || rest == "\r":
			return data, 0, errTruncated
		default:
			return data, 0, ErrChunked
		}
	}
}

var errTruncated = errors.New("truncated")

// refCR: a CR is only allowed right before the line's LF (or, in a line
// cut off, at the end of what came).
func refCR(l []byte, complete bool) error {
	if i := bytes.IndexByte(l, '\r'); i >= 0 && i < len(l)-1 {
		return ErrChunked
	}
	return nil
}

// refSizeLine judges a size line: errTruncated when it is cut off but
// fine so far, and the size when complete.
func refSizeLine(l []byte, complete bool) (int64, error) {
	if err := refCR(l, complete); err != nil {
		return 0, err
	}
	cr := bytes.HasSuffix(l, []byte("\r"))
	l = bytes.TrimSuffix(l, []byte("\r"))
	digits := 0
	for digits < len(l) && isHex(l[digits]) {
		digits++
	}
	switch {
	case digits == 0 && (len(l) > 0 || cr || complete):
		return 0, ErrChunked
	case digits < len(l) && !strings.ContainsRune("; \t", rune(l[digits])):
		return 0, ErrChunked
	}
	// nginx looks at the size before each byte after the first digit:
	// the size up to the last digit that was followed by something.
	seen := digits
	if !complete && !cr && digits == len(l) {
		seen = digits - 1
	}
	if v := refHex(l[:max(seen, 0)]); v > math.MaxInt64/16 {
		return 0, ErrChunked
	}
	if !complete {
		return 0, errTruncated
	}
	return refHex(l[:digits]), nil
}

// refHex reads hex digits, saturating at 2^62 (beyond every bound).
func refHex(b []byte) int64 {
	var v int64
	for _, c := range b {
		d, _ := hexDigit(c)
		if v >= 1<<58 {
			return 1 << 62
		}
		v = v*16 + d
	}
	return v
}

func isHex(c byte) bool { _, ok := hexDigit(c); return ok }

// TestChunked: nginx's answers for the shapes a chunked body takes.
func TestChunked(t *testing.T) {
	for _, tc := range []struct {
		name, in, data string
		err            string // "", "invalid", "large", "eof"
	}{
		{"simple", "5\r\nhello\r\n0\r\n\r\n", "hello", ""},
		{"two chunks", "5\r\nhello\r\n1\r\n!\r\n0\r\n\r\n", "hello!", ""},
		{"upper hex", "A\r\nhellohello\r\n0\r\n\r\n", "hellohello", ""},
		{"bare LF lines", "5\nhello\n0\n\n", "hello", ""},
		{"extension", "5;a=b\r\nhello\r\n0;x\r\n\r\n", "hello", ""},
		{"long extension", "5;" + strings.Repeat("e", 10000) + "\r\nhello\r\n0\r\n\r\n", "hello", ""},
		{"space before extension", "5 ;a\r\nhello\r\n0\r\n\r\n", "hello", ""},
		{"tab after size", "5\t\r\nhello\r\n0\r\n\r\n", "hello", ""},
		{"leading zeros", "000000000000000000005\r\nhello\r\n0000\r\n\r\n", "hello", ""},
		{"trailers", "5\r\nhello\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n", "hello", ""},
		{"odd trailers", "5\r\nhello\r\n0\r\nX\x00: 1\r\nXYZ\r\n folded\r\n\r\n", "hello", ""},
		{"max size", "7ffffffffffffff\r\n", "", "eof"}, // no client_max_body_size
		{"2^59", "800000000000000\r\n", "", "invalid"},
		{"2^63", "8000000000000000\r\nhello\r\n", "", "invalid"},
		{"2^64-1", "ffffffffffffffff\r\n", "", "invalid"},
		{"2^60-1", "0fffffffffffffff\r\n", "", "invalid"},
		{"no size", "\r\nhello\r\n0\r\n\r\n", "", "invalid"},
		{"bad hex", "5g\r\nhello\r\n", "", "invalid"},
		{"0x", "0x5\r\nhello\r\n", "", "invalid"},
		{"sign", "+5\r\nhello\r\n", "", "invalid"},
		{"data too long", "5\r\nhelloX\r\n0\r\n\r\n", "hello", "invalid"},
		{"bare CR after data", "5\r\nhello\r0\r\n\r\n", "hello", "invalid"},
		{"bare CR after size", "5\rhello\r\n0\r\n\r\n", "", "invalid"},
		{"CRCRLF after size", "5\r\r\nhello\r\n0\r\n\r\n", "", "invalid"},
		{"bare CR in trailer", "5\r\nhello\r\n0\r\nX: a\rb\r\n\r\n", "hello", "invalid"},
		{"bare CR ending", "5\r\nhello\r\n0\r\n\rx", "hello", "invalid"},
		{"no final line", "5\r\nhello\r\n0\r\n", "hello", "eof"},
		{"cut in data", "5\r\nhel", "hel", "eof"},
		{"too large", "100001\r\nhello", "", "large"},
		{"too large later", "5\r\nhello\r\nffffc\r\n", "hello", "large"},
		{"limit exactly", "5\r\nhello\r\nffffb\r\n", "hello", "eof"},
	} {
		max := int64(1 << 20)
		switch tc.name {
		case "limit exactly":
			max = 5 + 0xffffb
		case "max size":
			max = 0
		}
		for _, slow := range []bool{false, true} {
			data, _, err := decodeAll([]byte(tc.in), max, 3, slow)
			kind := ""
			var big *ChunkTooLarge
			switch {
			case err == nil:
			case errors.Is(err, ErrChunked):
				kind = "invalid"
			case errors.As(err, &big):
				kind = "large"
			case err == io.ErrUnexpectedEOF:
				kind = "eof"
			default:
				kind = err.Error()
			}
			if kind != tc.err || string(data) != tc.data {
				t.Errorf("%s (slow %v): data %q error %q, want %q %q", tc.name, slow, data, kind, tc.data, tc.err)
			}
		}
	}
}

// TestChunkedStopsAtTheEnd: what follows a body (a pipelined request)
// stays in the reader.
func TestChunkedStopsAtTheEnd(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("3\r\nabc\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.1\r\n"))
	var d Chunked
	data, err := io.ReadAll(readerFunc(func(p []byte) (int, error) { return d.Decode(br, p) }))
	rest, _ := io.ReadAll(br)
	if err != nil || string(data) != "abc" || string(rest) != "GET / HTTP/1.1\r\n" {
		t.Errorf("data %q err %v rest %q", data, err, rest)
	}
}

// TestChunkedExcess: extensions and trailers are read, not kept, and
// bounded in total.
func TestChunkedExcess(t *testing.T) {
	long := "1;" + strings.Repeat("e", maxChunkExcess/2) + "\r\na\r\n"
	if _, _, err := decodeAll([]byte(long+long+"0\r\n\r\n"), 0, 512, false); err != nil {
		t.Errorf("%d bytes of extensions: %v, want accepted", 2*len(long), err)
	}
	if _, _, err := decodeAll([]byte(long+long+long+"0\r\n\r\n"), 0, 512, false); !errors.Is(err, ErrChunked) {
		t.Errorf("%d bytes of extensions: %v, want refused", 3*len(long), err)
	}
	trailer := "0\r\nX: " + strings.Repeat("t", maxChunkExcess) + "\r\n\r\n"
	if _, _, err := decodeAll([]byte(trailer), 0, 512, false); !errors.Is(err, ErrChunked) {
		t.Errorf("a trailer of %d bytes: %v, want refused", len(trailer), err)
	}
}

// TestRefDecode checks the reference on the same table, so that the fuzz
// target compares with something right.
func TestRefDecode(t *testing.T) {
	for _, in := range []string{"5\r\nhello\r\n0\r\n\r\n", "5\nhello\n0;x\nT: 1\n\n", "000a\r\n0123456789\r\n0\r\n\r\n"} {
		data, used, err := refDecode([]byte(in), 0)
		got, gused, gerr := decodeAll([]byte(in), 0, 7, false)
		if err != nil || gerr != nil || string(data) != string(got) || used != gused || used != len(in) {
			t.Errorf("%q: reference %q %d %v, decoder %q %d %v", in, data, used, err, got, gused, gerr)
		}
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
