package proxy

// head.go reads an upstream's response by nginx's rules rather than
// net/http's: nginx takes a response without a valid status line as an
// HTTP/0.9 body, accepts header lines net/http refuses (no colon, odd
// characters in names), refuses others (leading white space, NUL), limits
// the head to proxy_buffer_size, and frames the body by its own reading of
// Content-Length and Transfer-Encoding. Its error texts are nginx's.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"goproxy/httpd"
)

// headError is an invalid response head; its text is nginx's, before
// " while reading response header from upstream".
type headError struct{ msg string }

func (e *headError) Error() string { return e.msg }

var (
	errTooBigHeader = &headError{"upstream sent too big header"}
	// errHTTP09 is a response without a status line: nginx passes it
	// on as it came, body only.
	errHTTP09 = &headError{"upstream sent no valid HTTP/1.0 header"}
)

// defaultBufferSize is proxy_buffer_size's default (one memory page).
const defaultBufferSize = 4096

// readResponse reads a response head of at most max bytes from br and
// frames its body. names lists the header names as the upstream spelt
// them, in the order they first came (nginx passes both on). On
// errHTTP09 nothing has been consumed.
func readResponse(br *bufio.Reader, max int, req *http.Request) (resp *http.Response, names []httpd.HeaderName, err error) {
	const prefix = "HTTP/"
	for i := 0; i < len(prefix); i++ {
		b, err := br.Peek(i + 1)
		if err != nil {
			return nil, nil, err
		}
		if b[i] != prefix[i] {
			return nil, nil, errHTTP09
		}
	}
	line, err := peekLine(br, 0, max)
	if err != nil {
		return nil, nil, err
	}
	resp = &http.Response{Request: req, ContentLength: -1}
	if !parseStatusLine(line, resp) {
		return nil, nil, errHTTP09
	}
	// Find the whole head first; then one string holds it, and the
	// status and header values are substrings of that one allocation.
	off := len(line)
	type field struct{ k, v0, v1, n0, n1 int }
	var fieldBuf [32]field
	fields := fieldBuf[:0]
	var keyBuf [32]string
	keys := keyBuf[:0]
	for {
		line, err := peekLine(br, off, max)
		if err != nil {
			return nil, nil, err
		}
		start := off
		off += len(line)
		name, v0, v1, end, err := parseHeaderLine(line)
		if err != nil {
			return nil, nil, err
		}
		if end {
			break
		}
		if name != nil {
			fields = append(fields, field{len(keys), start + v0, start + v1, start, start + len(name)})
			keys = append(keys, httpd.CanonicalKey(name))
		}
	}
	b, _ := br.Peek(off)
	head := string(b)
	br.Discard(off)
	resp.Status = statusText(head[:len(line)])
	resp.Header = make(http.Header, len(fields))
	vals := make([]string, len(fields))
	names = make([]httpd.HeaderName, 0, len(fields))
	for i, f := range fields {
		vals[i] = head[f.v0:f.v1]
		k := keys[f.k]
		if old, ok := resp.Header[k]; ok {
			resp.Header[k] = append(old, vals[i])
			continue
		}
		resp.Header[k] = vals[i : i+1 : i+1]
		names = append(names, httpd.HeaderName{Key: k, Name: head[f.n0:f.n1]})
	}
	frame(resp, br, req.Method)
	return resp, names, nil
}

// statusText is the status line after "HTTP/x.y ", as nginx passes it on.
func statusText(line string) string {
	line = strings.TrimRight(line, "\r\n")
	i := strings.IndexByte(line, ' ')
	return strings.TrimLeft(line[i+1:], " ")
}

// peekLine returns the line at off (through its LF) without consuming
// it; the head so far must stay within max bytes.
func peekLine(br *bufio.Reader, off, max int) ([]byte, error) {
	for {
		b, _ := br.Peek(br.Buffered())
		if i := bytes.IndexByte(b[off:], '\n'); i >= 0 {
			if off+i+1 > max {
				return nil, errTooBigHeader
			}
			return b[off : off+i+1], nil
		}
		if len(b) >= max {
			return nil, errTooBigHeader
		}
		if _, err := br.Peek(len(b) + 1); err != nil {
			return nil, err
		}
	}
}

// parseStatusLine checks "HTTP/major.minor NNN [reason]" as nginx does:
// one digit or more on each side of the dot, exactly three status digits
// followed by a space, a dot (IIS's "403.1") or the end of the line.
func parseStatusLine(line []byte, resp *http.Response) bool {
	s := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
	rest := s[len("HTTP/"):]
	major, rest, ok := digits(rest)
	if !ok || major[0] == '0' || !strings.HasPrefix(rest, ".") {
		return false
	}
	minor, rest, ok := digits(rest[1:])
	if !ok || !strings.HasPrefix(rest, " ") {
		return false
	}
	rest = strings.TrimLeft(rest, " ")
	if len(rest) < 3 {
		return false
	}
	code, err := strconv.Atoi(rest[:3])
	if err != nil || rest[0] < '0' || rest[0] > '9' {
		return false
	}
	if len(rest) > 3 && rest[3] != ' ' && rest[3] != '.' {
		return false
	}
	if strings.ContainsRune(rest, '\r') {
		return false // a CR not followed by LF
	}
	resp.StatusCode = code
	resp.ProtoMajor, _ = strconv.Atoi(major)
	resp.ProtoMinor, _ = strconv.Atoi(minor)
	switch {
	case resp.ProtoMajor == 1 && resp.ProtoMinor == 1:
		resp.Proto = "HTTP/1.1"
	case resp.ProtoMajor == 1 && resp.ProtoMinor == 0:
		resp.Proto = "HTTP/1.0"
	default:
		resp.Proto = fmt.Sprintf("HTTP/%d.%d", resp.ProtoMajor, resp.ProtoMinor)
	}
	return len(major) <= 2 && resp.ProtoMinor <= 99
}

func digits(s string) (string, string, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:], i > 0
}

// parseHeaderLine parses one header line by nginx's rules. end reports
// the empty line that ends the head; name is nil for a line nginx skips
// (IIS's repeated status line). The value is line[v0:v1].
func parseHeaderLine(line []byte) (name []byte, v0, v1 int, end bool, err error) {
	l := line[:len(line)-1] // without LF
	if len(l) > 0 && l[len(l)-1] == '\r' {
		l = l[:len(l)-1]
	}
	if len(l) == 0 {
		return nil, 0, 0, true, nil
	}
	invalid := func(at int) error {
		return &headError{fmt.Sprintf("upstream sent invalid header: \"%s\\x%02x...\"", l[:at], l[at])}
	}
	if c := l[0]; c <= ' ' || c == 0x7f || c == ':' {
		return nil, 0, 0, false, invalid(0)
	}
	i := 0
	for ; i < len(l) && l[i] != ':'; i++ {
		c := l[i]
		if c == '/' && i == 4 && string(l[:4]) == "HTTP" {
			return nil, 0, 0, false, nil
		}
		if c <= ' ' || c == 0x7f {
			return nil, 0, 0, false, invalid(i)
		}
	}
	name = l[:i]
	if i == len(l) {
		return name, i, i, false, nil // no colon: an empty value
	}
	v := l[i+1:]
	for j, c := range v {
		if c == 0 || c == '\r' {
			return nil, 0, 0, false, invalid(i + 1 + j)
		}
	}
	v0, v1 = i+1, len(l)
	for v0 < v1 && l[v0] == ' ' {
		v0++
	}
	for v1 > v0 && l[v1-1] == ' ' {
		v1--
	}
	return name, v0, v1, false, nil
}

// frame gives resp its body reader by nginx's rules: none for HEAD, 1xx,
// 204 and 304; chunked when Transfer-Encoding names it (whatever
// Content-Length says); a valid Content-Length; else until close. The
// headers the client gets follow: one Content-Length, or none.
func frame(resp *http.Response, br *bufio.Reader, method string) {
	h := resp.Header
	chunked := false
	for _, te := range h["Transfer-Encoding"] {
		if strings.Contains(strings.ToLower(te), "chunked") {
			chunked = true
		}
	}
	length := int64(-1)
	if cl := h["Content-Length"]; len(cl) > 0 {
		if n, err := strconv.ParseInt(cl[len(cl)-1], 10, 64); err == nil && n >= 0 {
			length = n
		}
	}
	if ct := h["Content-Type"]; len(ct) > 1 {
		h["Content-Type"] = ct[len(ct)-1:] // the last one counts
	}
	cl := h["Content-Length"]
	delete(h, "Transfer-Encoding")
	delete(h, "Content-Length")
	if length >= 0 && !chunked {
		if v := cl[len(cl)-1]; canonicalNumber(v) {
			h["Content-Length"] = cl[len(cl)-1:]
		} else {
			h["Content-Length"] = []string{strconv.FormatInt(length, 10)}
		}
	}
	code := resp.StatusCode
	switch {
	case method == "HEAD" || code == 204 || code == 304 || (code >= 100 && code < 200):
		resp.Body = http.NoBody
		resp.ContentLength = 0
		if method == "HEAD" {
			resp.ContentLength = length
		}
	case chunked:
		resp.Body = io.NopCloser(&chunkedBody{br: br})
		resp.TransferEncoding = []string{"chunked"}
	case length >= 0:
		resp.Body = &lengthBody{r: br, n: length}
		resp.ContentLength = length
	default:
		resp.Body = io.NopCloser(br)
		resp.Close = true
	}
	if strings.EqualFold(h.Get("Connection"), "close") || resp.ProtoMinor == 0 && resp.ProtoMajor == 1 {
		resp.Close = true
	}
}

// errInvalidChunked is a broken chunked body.
var errInvalidChunked = errors.New("upstream sent invalid chunked response")

// chunkedBody decodes a chunked body, its trailer section included, by
// the same rules as a client's (httpd.Chunked).
type chunkedBody struct {
	br  *bufio.Reader
	dec httpd.Chunked
}

func (c *chunkedBody) Read(p []byte) (int, error) {
	n, err := c.dec.Decode(c.br, p)
	switch {
	case err == nil || err == io.EOF || err == io.ErrUnexpectedEOF || isTimeout(err):
	case errors.Is(err, httpd.ErrChunked) || !isNetErr(err):
		err = errInvalidChunked
	}
	return n, err
}

// lengthBody reads exactly n bytes; an early end is ErrUnexpectedEOF.
type lengthBody struct {
	r io.Reader
	n int64
}

func (l *lengthBody) Close() error { return nil }

// canonicalNumber says a decimal is written as strconv would write it.
func canonicalNumber(v string) bool {
	if v == "" || (v[0] == '0' && len(v) > 1) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

func (l *lengthBody) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if err == io.EOF && l.n > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && l.n == 0 {
		err = io.EOF
	}
	return n, err
}

// isNetErr says whether err came from the connection rather than from
// the data read.
func isNetErr(err error) bool {
	var ne net.Error
	var errno syscall.Errno
	return errors.As(err, &ne) || errors.As(err, &errno)
}
