package httpd

// headerline.go splits one request header line by nginx's state machine
// (ngx_http_parse_header_line, 1.21.1 and later). It is a state machine
// rather than "split at the colon and trim" because what it refuses is
// what keeps goproxy and the servers around it agreeing on where a
// header, and so a request, ends: a bare CR inside a line, white space or
// a control character in a name, a line that starts with white space
// (obs-fold), an empty name. Those are 400 whatever
// ignore_invalid_headers says; other odd names ("X.Y", "a_b") are only
// flagged, dropped with ignore_invalid_headers and passed on without it.

import (
	"bytes"
	"strconv"
)

// headerLine is where the parts of one header line are: the name is
// line[:nameEnd], the value line[v0:v1]. bad >= 0 is a line nginx refuses
// (400), at the byte its error log points at; invalid is a name outside
// nginx's characters (letters, digits, "-", and "_" with
// underscores_in_headers).
type headerLine struct {
	nameEnd, v0, v1 int
	bad             int
	invalid         bool
}

const (
	hlName = iota
	hlSpaceBeforeValue
	hlValue
	hlSpaceAfterValue
	hlAlmostDone // after a CR: only more CRs may come before the LF
)

// nameChar is a character nginx hashes into a header name.
func nameChar(c byte, underscores bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' ||
		c == '_' && underscores
}

// scanHeaderLine parses a non-empty header line without its LF and the
// one CR before it (readLineN strips them; nginx's end of line). The value
// never holds CR, LF or NUL: a CR inside a line must be followed by the
// line's end, and NUL is refused.
func scanHeaderLine(l []byte, underscores bool) headerLine {
	if bytes.IndexByte(l, '\r') >= 0 || bytes.IndexByte(l, 0) >= 0 {
		return scanHeaderMachine(l, underscores)
	}
	// Without CR and NUL the machine comes down to this: a name up to
	// the colon, then the value without the spaces around it. Two
	// IndexByte calls are cheaper than a state per byte of the value.
	h := headerLine{bad: -1}
	c := l[0]
	if c <= ' ' || c == 0x7f || c == ':' {
		h.bad = 0
		return h
	}
	i := 0
	for ; i < len(l) && l[i] != ':'; i++ {
		switch c := l[i]; {
		case nameChar(c, underscores):
		case c <= ' ' || c == 0x7f:
			h.bad = i
			return h
		default:
			h.invalid = true
		}
	}
	h.nameEnd, h.v0, h.v1 = i, min(i+1, len(l)), len(l)
	for h.v0 < h.v1 && l[h.v0] == ' ' {
		h.v0++
	}
	for h.v1 > h.v0 && l[h.v1-1] == ' ' {
		h.v1--
	}
	return h
}

// scanHeaderMachine is nginx's state machine, byte by byte, for the
// lines with a CR or NUL in them.
func scanHeaderMachine(l []byte, underscores bool) headerLine {
	h := headerLine{bad: -1}
	c := l[0]
	switch {
	case c <= ' ' || c == 0x7f || c == ':':
		// A CR here is "\r\r\n": the CR that ends an empty line must be
		// followed by LF. Space and HTAB are obs-fold.
		h.bad = 0
		return h
	case !nameChar(c, underscores):
		h.invalid = true
	}
	state := hlName
	end := 0 // nginx's header_end: where the value ends, or the error is
	for i := 1; i < len(l); i++ {
		c := l[i]
		switch state {
		case hlName:
			switch {
			case nameChar(c, underscores):
			case c == ':':
				h.nameEnd, state = i, hlSpaceBeforeValue
			case c == '\r':
				h.nameEnd, h.v0, end, state = i, i, i, hlAlmostDone
			case c <= ' ' || c == 0x7f:
				h.bad = i
				return h
			default:
				h.invalid = true
			}
		case hlSpaceBeforeValue:
			switch c {
			case ' ':
			case '\r':
				h.v0, end, state = i, i, hlAlmostDone
			case 0:
				h.bad = i
				return h
			default:
				h.v0, state = i, hlValue
			}
		case hlValue:
			switch c {
			case ' ':
				end, state = i, hlSpaceAfterValue
			case '\r':
				end, state = i, hlAlmostDone
			case 0:
				h.bad = i
				return h
			}
		case hlSpaceAfterValue:
			switch c {
			case ' ':
			case '\r':
				state = hlAlmostDone
			case 0:
				h.bad = i
				return h
			default:
				state = hlValue
			}
		case hlAlmostDone:
			if c != '\r' {
				h.bad = end
				return h
			}
		}
	}
	n := len(l)
	switch state {
	case hlName: // no colon: the name with an empty value
		h.nameEnd, h.v0, end = n, n, n
	case hlSpaceBeforeValue:
		h.v0, end = n, n
	case hlValue:
		end = n
	}
	h.v1 = end
	return h
}

// badHeaderLine is nginx's refusal of line at bad: the line up to there,
// then the byte in hex.
func badHeaderLine(l []byte, bad int) *StatusError {
	b := make([]byte, 0, len(`client sent invalid header line: ""`+inHeaders)+bad+8)
	b = append(b, `client sent invalid header line: "`...)
	b = append(b, l[:bad]...)
	b = append(b, `\x`...)
	if l[bad] < 0x10 {
		b = append(b, '0')
	}
	b = strconv.AppendUint(b, uint64(l[bad]), 16)
	b = append(b, `..."`+inHeaders...)
	return &StatusError{400, string(b)}
}
