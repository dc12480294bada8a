package httpd

import (
	"strconv"
	"strings"
	"testing"
)

// TestScanHeaderLine: each class of character in each place of a line,
// with what nginx 1.22 makes of it (checked by hand against it, and by
// TestFraming on the wire): the name and value it keeps, or the byte its
// "client sent invalid header line" points at.
func TestScanHeaderLine(t *testing.T) {
	for _, tc := range []struct {
		line, name, value string
		invalid           bool
		log               string // the error's line, "" when accepted
	}{
		{line: "Host: a", name: "Host", value: "a"},
		{line: "X-A:b", name: "X-A", value: "b"},
		{line: "X-A:   b  c  ", name: "X-A", value: "b  c"},
		{line: "X-A:\tb\t", name: "X-A", value: "\tb\t"}, // only spaces are trimmed
		{line: "X-A: a\x01b\x7f\xff", name: "X-A", value: "a\x01b\x7f\xff"},
		{line: "X-A:", name: "X-A", value: ""},
		{line: "X-A:   ", name: "X-A", value: ""},
		{line: "XA", name: "XA", value: ""},           // no colon: empty value
		{line: "X-A: v\r\r", name: "X-A", value: "v"}, // "v\r\r\r\n": CRs before the LF
		{line: "X-A\r", name: "X-A", value: ""},       // CR in the name ends the line
		{line: "X-A:  \r", name: "X-A", value: ""},
		{line: "X-A: a \r", name: "X-A", value: "a"},
		{line: "X.Y: 1", name: "X.Y", value: "1", invalid: true},
		{line: "X_Y: 1", name: "X_Y", value: "1", invalid: true},
		{line: "_: 1", name: "_", value: "1", invalid: true},
		{line: "X\xffY: 1", name: "X\xffY", value: "1", invalid: true},
		{line: `X"(@{}/Y: 1`, name: `X"(@{}/Y`, value: "1", invalid: true},
		{line: "X-A: a\rX-Real-IP: 6.6.6.6", log: `"X-A: a\x0d..."`},
		{line: "X-A: a\rTransfer-Encoding: chunked", log: `"X-A: a\x0d..."`},
		{line: "X\rA: a", log: `"X\x0d..."`},
		{line: "XA\rB", log: `"XA\x0d..."`},
		{line: "X-A: a \rb", log: `"X-A: a\x20..."`}, // nginx points at the space
		{line: "X-A:  \rb", log: `"X-A:  \x0d..."`},
		{line: "X A: a", log: `"X\x20..."`},
		{line: "Transfer-Encoding : chunked", log: `"Transfer-Encoding\x20..."`},
		{line: "X\tA: a", log: `"X\x09..."`},
		{line: "X-A\t: a", log: `"X-A\x09..."`},
		{line: "X\x01A: a", log: `"X\x01..."`},
		{line: "X\x7fA: a", log: `"X\x7f..."`},
		{line: "X\x00A: a", log: `"X\x00..."`},
		{line: "X-A: a\x00b", log: `"X-A: a\x00..."`},
		{line: "X-A: \x00", log: `"X-A: \x00..."`},
		{line: "X-A: a \x00", log: `"X-A: a \x00..."`},
		{line: " b", log: `"\x20..."`}, // obs-fold
		{line: "\tb", log: `"\x09..."`},
		{line: ": b", log: `"\x3a..."`},
		{line: "\r", log: `"\x0d..."`}, // "\r\r\n"
		{line: "\x7fA: a", log: `"\x7f..."`},
	} {
		h := scanHeaderLine([]byte(tc.line), false)
		if m := scanHeaderMachine([]byte(tc.line), false); h != m && !(h.bad >= 0 && h.bad == m.bad) {
			t.Errorf("%q: %+v, the state machine says %+v", tc.line, h, m)
		}
		if tc.log != "" {
			if h.bad < 0 {
				t.Errorf("%q accepted, nginx refuses it", tc.line)
				continue
			}
			want := "client sent invalid header line: " + tc.log + " while reading client request headers"
			if got := badHeaderLine([]byte(tc.line), h.bad).Msg; got != want {
				t.Errorf("%q: %s, want %s", tc.line, got, want)
			}
			continue
		}
		if h.bad >= 0 {
			t.Errorf("%q refused at %d, nginx accepts it", tc.line, h.bad)
			continue
		}
		name, value := tc.line[:h.nameEnd], tc.line[h.v0:h.v1]
		if name != tc.name || value != tc.value || h.invalid != tc.invalid {
			t.Errorf("%q: name %q value %q invalid %v, want %q %q %v", tc.line, name, value, h.invalid, tc.name, tc.value, tc.invalid)
		}
	}
	// underscores_in_headers makes "_" a name character.
	if h := scanHeaderLine([]byte("X_Y: 1"), true); h.invalid || h.bad >= 0 {
		t.Errorf("X_Y with underscores_in_headers: %+v", h)
	}
}

// TestParseLength is ngx_atoof: leading zeros and the full int64 range.
func TestParseLength(t *testing.T) {
	for s, want := range map[string]int64{
		"0": 0, "5": 5, "0005": 5, strings.Repeat("0", 40) + "5": 5,
		"9223372036854775807": 1<<63 - 1,
		"9223372036854775808": -1, "99999999999999999999": -1,
		"": -1, "+5": -1, "-5": -1, "5 5": -1, "5,5": -1, "0x5": -1, "5\t": -1,
	} {
		n, ok := parseLength(s)
		if !ok {
			n = -1
		}
		if n != want {
			t.Errorf("parseLength(%q) = %d, %v; want %d", s, n, ok, want)
		}
	}
}

// TestParseVersion: nginx's answers for versions, 505 once the major
// version is above 1, whatever follows.
func TestParseVersion(t *testing.T) {
	for v, want := range map[string]string{
		"HTTP/1.1": "1.1", "HTTP/1.0": "1.0", "HTTP/1.10": "1.10", "HTTP/1.0001": "1.1",
		"HTTP/1.999": "1.999", "HTTP/1.1000": "400", "HTTP/1.": "400", "HTTP/1": "400",
		"HTTP/.1": "400", "HTTP/0.9": "400", "HTTP/01.1": "400", "HTTP/1.x": "400",
		"HTTP/1.1x": "400", "HTTP/1.1\r": "400", "HTTP/1.1\x00": "400", "http/1.1": "400",
		"HTTP/1.1 x": "400", "HTTP/2.0": "505", "HTTP/2": "505", "HTTP/2.x": "505",
		"HTTP/10.x": "505", "HTTP/1000.0": "505", "HTTP/99.1": "505",
	} {
		major, minor, err := parseVersion([]byte(v))
		got := strconv.Itoa(int(major)) + "." + strconv.Itoa(int(minor))
		if err != nil {
			got = strconv.Itoa(int(err.(*StatusError).Status))
		}
		if got != want {
			t.Errorf("%q: %s, want %s", v, got, want)
		}
	}
}
