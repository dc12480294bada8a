package httpd

// The fuzz targets of the HTTP/1 engine. Seeds are in testdata/fuzz/
// (the cases and nginx's edge cases); scripts/fuzz runs them.

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// FuzzRequestHead parses any bytes as a request head and checks what an
// accepted one may hold: no CR, LF or NUL in a value, no white space or
// control character in a name, no line nginx refuses (a second, simpler
// reading of its rule), a framing nginx accepts; and that writing the
// request out again and parsing it gives the same request.
func FuzzRequestHead(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte, ignoreOff, underscores bool) {
		raw = raw[:min(len(raw), 16<<10)]
		lim := testLimits
		lim.IgnoreInvalidHeaders, lim.UnderscoresInHeaders = !ignoreOff, underscores
		r, err := parseHead(raw, lim)
		lines := headerLines(raw)
		firstBad := -1
		for i, l := range lines {
			// The fast path is the state machine's shortcut.
			if fast, machine := scanHeaderLine(l, underscores), scanHeaderMachine(l, underscores); fast != machine &&
				!(fast.bad >= 0 && fast.bad == machine.bad) {
				t.Fatalf("%q: %+v, the state machine says %+v", l, fast, machine)
			}
			if refBadLine(l) && firstBad < 0 {
				firstBad = i
			}
		}
		if err != nil {
			var se *StatusError
			if errors.As(err, &se) && strings.HasPrefix(se.Msg, "client sent invalid header line: \"") {
				// The line reported is the first one the reference
				// refuses, up to the byte it points at.
				at := strings.TrimPrefix(se.Msg, "client sent invalid header line: \"")
				at = at[:strings.LastIndex(at, `\x`)]
				if firstBad < 0 || !bytes.HasPrefix(lines[firstBad], []byte(at)) {
					t.Fatalf("refused %q as an invalid line, the reference refuses line %d", at, firstBad)
				}
			}
			return
		}
		if r.ProtoMajor == 0 {
			return // HTTP/0.9: no headers
		}
		if firstBad >= 0 {
			t.Fatalf("accepted a head with line %q, which nginx refuses", lines[firstBad])
		}
		checkRequest(t, r)
		// Round trip, with room for the canonical names.
		again, err := parseHead(writeHead(r), Limits{HeaderBufferSize: 1 << 16, LargeBufferSize: 1 << 16,
			LargeBuffers: 8, IgnoreInvalidHeaders: lim.IgnoreInvalidHeaders, UnderscoresInHeaders: underscores})
		if err != nil {
			t.Fatalf("written out again %q: %v", writeHead(r), err)
		}
		if again.Method != r.Method || again.RequestURI != r.RequestURI || again.Proto != r.Proto ||
			again.Host != r.Host || again.ContentLength != r.ContentLength || !reflect.DeepEqual(again.Header, r.Header) {
			t.Fatalf("round trip:\n%q %q %q %v\n%q %q %q %v", r.Method, r.RequestURI, r.Proto, r.Header,
				again.Method, again.RequestURI, again.Proto, again.Header)
		}
	})
}

// checkRequest asserts what an accepted request may hold.
func checkRequest(t *testing.T, r *http.Request) {
	t.Helper()
	if r.Method == "" || strings.ContainsFunc(r.Method, func(c rune) bool { return (c < 'A' || c > 'Z') && c != '_' && c != '-' }) ||
		strings.ContainsFunc(r.RequestURI, func(c rune) bool { return c <= ' ' || c == 0x7f }) ||
		r.URL == nil || !strings.HasPrefix(r.URL.Path, "/") || r.ProtoMajor != 1 {
		t.Fatalf("request line %q %q %q, path %v", r.Method, r.RequestURI, r.Proto, r.URL)
	}
	for k, vs := range r.Header {
		if k == "" || strings.ContainsFunc(k, func(c rune) bool { return c <= ' ' || c == 0x7f || c == ':' }) {
			t.Fatalf("header name %q", k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") || strings.HasPrefix(v, " ") || strings.HasSuffix(v, " ") {
				t.Fatalf("header %s value %q", k, v)
			}
		}
	}
	te, cl := r.Header["Transfer-Encoding"], r.Header["Content-Length"]
	switch {
	case len(te) > 1 || len(cl) > 1 || len(r.Header["Host"]) > 1:
		t.Fatalf("duplicate framing or host: %v", r.Header)
	case te != nil && (cl != nil || r.ProtoMinor == 0 || !strings.EqualFold(te[0], "chunked") || len(te[0]) != 7):
		t.Fatalf("Transfer-Encoding %q with Content-Length %q in HTTP/1.%d", te, cl, r.ProtoMinor)
	case cl != nil && (r.ContentLength < 0 || strings.TrimLeft(cl[0], "0123456789") != ""):
		t.Fatalf("Content-Length %q taken as %d", cl, r.ContentLength)
	case r.ProtoMinor >= 1 && r.Header["Host"] == nil:
		t.Fatalf("HTTP/1.1 without Host")
	}
}

// writeHead writes r's head as a client would.
func writeHead(r *http.Request) []byte {
	var b bytes.Buffer
	b.WriteString(r.Method + " " + r.RequestURI + " " + r.Proto + "\r\n")
	for k, vs := range r.Header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// headerLines are raw's header lines as the parser sees them: after the
// first non-empty line, up to an empty one, without the LF and one CR.
func headerLines(raw []byte) [][]byte {
	var lines [][]byte
	started := false
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			break
		}
		l := bytes.TrimSuffix(raw[:i], []byte("\r"))
		raw = raw[i+1:]
		switch {
		case !started:
			started = len(l) > 0
		case len(l) == 0:
			return lines
		default:
			lines = append(lines, l)
		}
	}
	return lines
}

// refBadLine is nginx's rule for refusing a header line, said another
// way than the state machine: once the CRs before the line's end are
// gone, no CR and no NUL is left; the line does not start with white
// space, a control character or a colon; and the name (up to the first
// colon) holds no white space or control character.
func refBadLine(l []byte) bool {
	l = bytes.TrimRight(l, "\r")
	if len(l) == 0 || bytes.ContainsAny(l, "\r\x00") {
		return true
	}
	name := l
	if i := bytes.IndexByte(l, ':'); i >= 0 {
		name = l[:i]
	}
	return len(name) == 0 || bytes.ContainsFunc(name, func(c rune) bool { return c <= ' ' || c == 0x7f })
}

// FuzzChunked decodes any bytes as a chunked body and compares with a
// line-based reading of the same rules (refDecode): same data, same
// verdict, the same bytes consumed, however the reads are cut. Then it
// encodes the input as a valid body, chunk sizes taken from the input,
// with extensions and trailers, and decodes that back.
func FuzzChunked(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte, max uint32, step uint8) {
		in = in[:min(len(in), 4096)]    // longer ones only slow the search
		limit := int64(max % (1 << 16)) // 0: no limit
		n := int(step%64) + 1
		want, wantUsed, wantErr := refDecode(in, limit)
		for _, slow := range []bool{false, true} {
			got, used, err := decodeAll(in, limit, n, slow)
			if wantErr == errTruncated {
				wantErr = io.ErrUnexpectedEOF
			}
			if !sameVerdict(err, wantErr) || !bytes.Equal(got, want) || used != wantUsed {
				t.Fatalf("%q (max %d, reads of %d, slow %v):\ndecoder   %q used %d err %v\nreference %q used %d err %v",
					in, limit, n, slow, got, used, err, want, wantUsed, wantErr)
			}
		}
		enc := encodeChunked(in)
		got, used, err := decodeAll(enc, 0, n, false)
		if err != nil || !bytes.Equal(got, in) || used != len(enc) {
			t.Fatalf("valid encoding %q: %q used %d of %d, %v", enc, got, used, len(enc), err)
		}
	})
}

func sameVerdict(a, b error) bool {
	var x, y *ChunkTooLarge
	switch {
	case a == nil || b == nil:
		return a == b
	case errors.As(a, &x) && errors.As(b, &y):
		return *x == *y
	case a == io.ErrUnexpectedEOF || b == io.ErrUnexpectedEOF:
		return a == b
	}
	return errors.Is(a, ErrChunked) && errors.Is(b, ErrChunked)
}

// encodeChunked writes data as a chunked body in the ways clients do:
// chunk sizes from the data's bytes, hex in either case with leading
// zeros, extensions, bare-LF lines, and a trailer.
func encodeChunked(data []byte) []byte {
	var b bytes.Buffer
	for i := 0; len(data) > 0; i++ {
		n := min(int(data[0])%17+1, len(data))
		size := strings.ToUpper(itoaHex(n))
		if i%2 == 1 {
			size = "0" + strings.ToLower(size)
		}
		eol := "\r\n"
		if i%3 == 2 {
			eol = "\n"
		}
		ext := ""
		if i%4 == 3 {
			ext = " ;name=\"v\\\";x\""
		}
		b.WriteString(size + ext + eol)
		b.Write(data[:n])
		b.WriteString(eol)
		data = data[n:]
	}
	b.WriteString("0;last\r\nTrailer: x\r\nT2:\n\r\n")
	return b.Bytes()
}

func itoaHex(n int) string {
	const digits = "0123456789abcdef"
	if n == 0 {
		return "0"
	}
	var s []byte
	for ; n > 0; n /= 16 {
		s = append([]byte{digits[n%16]}, s...)
	}
	return string(s)
}
