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
	"net/http/httputil"
	"strconv"
	"strings"
	"syscall"
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
// frames its body. On errHTTP09 nothing has been consumed.
func readResponse(br *bufio.Reader, max int, req *http.Request) (*http.Response, error) {
	const prefix = "HTTP/"
	for i := 0; i < len(prefix); i++ {
		b, err := br.Peek(i + 1)
		if err != nil {
			return nil, err
		}
		if b[i] != prefix[i] {
			return nil, errHTTP09
		}
	}
	line, err := peekLine(br, 0, max)
	if err != nil {
		return nil, err
	}
	resp := &http.Response{Header: http.Header{}, Request: req, ContentLength: -1}
	if !parseStatusLine(line, resp) {
		return nil, errHTTP09
	}
	off := len(line)
	for {
		line, err := peekLine(br, off, max)
		if err != nil {
			return nil, err
		}
		off += len(line)
		name, value, end, err := parseHeaderLine(line)
		if err != nil {
			return nil, err
		}
		if end {
			break
		}
		if name != "" {
			k := http.CanonicalHeaderKey(name)
			resp.Header[k] = append(resp.Header[k], value)
		}
	}
	br.Discard(off)
	frame(resp, br, req.Method)
	return resp, nil
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
	resp.Status = rest
	resp.ProtoMajor, _ = strconv.Atoi(major)
	resp.ProtoMinor, _ = strconv.Atoi(minor)
	resp.Proto = fmt.Sprintf("HTTP/%d.%d", resp.ProtoMajor, resp.ProtoMinor)
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
// the empty line that ends the head; name is "" for a line nginx skips
// (IIS's repeated status line).
func parseHeaderLine(line []byte) (name, value string, end bool, err error) {
	l := line[:len(line)-1] // without LF
	if len(l) > 0 && l[len(l)-1] == '\r' {
		l = l[:len(l)-1]
	}
	if len(l) == 0 {
		return "", "", true, nil
	}
	invalid := func(at int) error {
		return &headError{fmt.Sprintf("upstream sent invalid header: \"%s\\x%02x...\"", l[:at], l[at])}
	}
	if c := l[0]; c <= ' ' || c == 0x7f || c == ':' {
		return "", "", false, invalid(0)
	}
	i := 0
	for ; i < len(l) && l[i] != ':'; i++ {
		c := l[i]
		if c == '/' && i == 4 && string(l[:4]) == "HTTP" {
			return "", "", false, nil
		}
		if c <= ' ' || c == 0x7f {
			return "", "", false, invalid(i)
		}
	}
	name = string(l[:i])
	if i == len(l) {
		return name, "", false, nil // no colon: an empty value
	}
	v := l[i+1:]
	for j, c := range v {
		if c == 0 || c == '\r' {
			return "", "", false, invalid(i + 1 + j)
		}
	}
	return name, strings.Trim(string(v), " "), false, nil
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
	delete(h, "Transfer-Encoding")
	delete(h, "Content-Length")
	if length >= 0 && !chunked {
		h["Content-Length"] = []string{strconv.FormatInt(length, 10)}
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
		resp.Body = io.NopCloser(&chunkedBody{br: br, r: httputil.NewChunkedReader(br)})
		resp.TransferEncoding = []string{"chunked"}
	case length >= 0:
		resp.Body = io.NopCloser(&lengthBody{r: br, n: length})
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

// chunkedBody decodes a chunked body and consumes its trailer section.
type chunkedBody struct {
	br   *bufio.Reader
	r    io.Reader
	done bool
}

func (c *chunkedBody) Read(p []byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	n, err := c.r.Read(p)
	switch {
	case err == io.EOF:
		for {
			line, lerr := c.br.ReadSlice('\n')
			if lerr != nil {
				return n, io.ErrUnexpectedEOF
			}
			if len(bytes.TrimRight(line, "\r\n")) == 0 {
				break
			}
		}
		c.done = true
	case err == io.ErrUnexpectedEOF || isTimeout(err):
	case err != nil && !isNetErr(err):
		err = errInvalidChunked
	}
	return n, err
}

// lengthBody reads exactly n bytes; an early end is ErrUnexpectedEOF.
type lengthBody struct {
	r io.Reader
	n int64
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
