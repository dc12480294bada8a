package httpd

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// readRequest reads the request line and headers into the connection's
// reusable http.Request. On a refused request it still returns a request
// with what is known, for the error page and the access log.
func (c *conn) readRequest(lim Limits) (*http.Request, *requestLine, error) {
	r := &c.req
	clear(c.header)
	// A struct copy of a template carries the connection's context
	// without the allocation of WithContext.
	*r = *c.tmpl
	r.Header = c.header
	r.RemoteAddr = c.remote
	r.TLS = c.info.TLS
	r.Method = "GET"
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.0", 1, 0
	r.Body = http.NoBody

	bufs := newHeaderBuffers(lim)
	// Request line; nginx skips empty lines before it.
	var line []byte
	var err error
	for {
		var n int
		line, n, err = readLineN(c.br, bufs.maxLine())
		if err == nil && !bufs.place(n) {
			err = errLineTooLong
		}
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				return r, nil, errURITooLong
			}
			return r, nil, err
		}
		if len(line) > 0 {
			break
		}
	}
	rl, perr := parseRequestLine(line, &c.rl)
	if rl != nil {
		r.Method = rl.method
		r.RequestURI = rl.target
		r.ProtoMajor, r.ProtoMinor = rl.major, rl.minor
		r.Proto = protoString(rl.major, rl.minor)
		c.setURL(r, rl.pathPart)
	}
	if perr != nil {
		return r, rl, perr
	}
	if rl.simple {
		return r, rl, nil
	}
	// Headers: one string holds the whole block so that names and values
	// are substrings of a single allocation; the connection's scratch
	// buffers hold the work in progress.
	block := c.scratch[:0]
	type span struct{ k, v0, v1 int }
	var spans [32]span
	hs := spans[:0]
	var keys [32]string
	ks := keys[:0]
	for {
		hl, n, err := readLineN(c.br, bufs.maxLine())
		if err == nil && !bufs.place(n) {
			err = errLineTooLong
		}
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				return r, rl, errHeaderTooLarge
			}
			return r, rl, err
		}
		if len(hl) == 0 {
			break
		}
		if bytes.IndexByte(hl, 0) >= 0 {
			return r, rl, errBadHeader
		}
		colon := bytes.IndexByte(hl, ':')
		if colon <= 0 || !validHeaderName(hl[:colon], lim.UnderscoresInHeaders) {
			if lim.IgnoreInvalidHeaders {
				continue
			}
			if colon <= 0 || hasBadNameChar(hl[:colon]) {
				return r, rl, errBadHeader
			}
		}
		key := canonicalKey(hl[:colon])
		v := bytes.TrimLeft(hl[colon+1:], " \t")
		v = bytes.TrimRight(v, " \t")
		start := len(block)
		block = append(block, v...)
		hs = append(hs, span{len(ks), start, len(block)})
		ks = append(ks, key)
	}
	c.scratch = block
	all := string(block)
	if cap(c.vals) < len(hs) {
		c.vals = make([]string, len(hs))
	}
	// The values of the previous request are no longer referenced: its
	// header map was cleared.
	vals := c.vals[:len(hs)]
	for i, s := range hs {
		vals[i] = all[s.v0:s.v1]
		k := ks[s.k]
		if old, ok := c.header[k]; ok {
			switch k {
			case "Host":
				return r, rl, errDupHost
			case "Content-Length":
				return r, rl, errDupLength
			}
			c.header[k] = append(old, vals[i])
			continue
		}
		c.header[k] = vals[i : i+1 : i+1]
	}
	return r, rl, c.checkRequest(r, rl)
}

// hasBadNameChar reports characters nginx refuses in a header name even
// when invalid headers are not ignored (they end the header line state).
func hasBadNameChar(name []byte) bool {
	for _, c := range name {
		if c <= ' ' || c == 0x7f || c == '"' || c == '(' || c == ')' || c == ',' || c == '/' ||
			c == ';' || c == '<' || c == '=' || c == '>' || c == '?' || c == '@' || c == '[' ||
			c == '\\' || c == ']' || c == '{' || c == '}' {
			return true
		}
	}
	return false
}

func protoString(major, minor int) string {
	switch {
	case major == 1 && minor == 1:
		return "HTTP/1.1"
	case major == 1 && minor == 0:
		return "HTTP/1.0"
	case major == 0:
		return "HTTP/0.9"
	}
	return "HTTP/" + itoa(int64(major)) + "." + itoa(int64(minor))
}

// setURL splits the target into path and query; a fragment ("#...")
// belongs to neither, as nginx ignores it.
func (c *conn) setURL(r *http.Request, target string) {
	if i := strings.IndexByte(target, '#'); i >= 0 {
		target = target[:i]
	}
	path, query, _ := strings.Cut(target, "?")
	c.url = url.URL{Path: path, RawQuery: query}
	r.URL = &c.url
}

// checkRequest applies nginx's header checks: Host, Content-Length,
// Transfer-Encoding, Connection.
func (c *conn) checkRequest(r *http.Request, rl *requestLine) error {
	host := rl.absHost
	if host == "" {
		host = r.Header.Get("Host")
		if _, ok := r.Header["Host"]; !ok && r.ProtoMinor >= 1 {
			return errNoHost
		}
	}
	if host != "" || r.Header["Host"] != nil {
		h, ok := ValidateHost(host)
		if !ok {
			return errBadHost
		}
		_ = h
	}
	r.Host = host
	te := r.Header["Transfer-Encoding"]
	cl := r.Header["Content-Length"]
	c.body.reset(c)
	switch {
	case te != nil:
		if len(te) > 1 || !strings.EqualFold(te[0], "chunked") {
			return errBadTE
		}
		if cl != nil {
			return errTEAndLength
		}
		r.TransferEncoding = []string{"chunked"}
		r.ContentLength = -1
		c.body.chunked = true
		r.Body = &c.body
	case cl != nil:
		n, ok := parseLength(cl[0])
		if !ok {
			return errBadLength
		}
		r.ContentLength = n
		if n > 0 {
			c.body.remaining = n
			r.Body = &c.body
		}
	}
	if e := r.Header["Expect"]; e != nil && strings.EqualFold(e[0], "100-continue") && r.ProtoMinor >= 1 {
		c.body.expect = true
	}
	conn := r.Header["Connection"]
	switch {
	case r.ProtoMinor == 0:
		c.info.KeepAlive = hasToken(conn, "keep-alive")
	default:
		c.info.KeepAlive = !hasToken(conn, "close")
	}
	r.Close = !c.info.KeepAlive
	return nil
}

// hasToken reports whether a comma-separated header has token.
func hasToken(vals []string, token string) bool {
	for _, v := range vals {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func parseLength(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

var errLineTooLong = errors.New("line too long")

// readLine reads one CRLF- or LF-terminated line of at most max bytes,
// its line end included. The slice is valid until the next read.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	line, _, err := readLineN(br, max)
	return line, err
}

// readLineN is readLine that also returns the line's length on the
// wire, its line end included.
func readLineN(br *bufio.Reader, max int) ([]byte, int, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > max {
		return nil, 0, errLineTooLong
	}
	if err != nil {
		return nil, 0, err
	}
	n := len(line)
	line = line[:n-1]
	if k := len(line); k > 0 && line[k-1] == '\r' {
		line = line[:k-1]
	}
	return line, n, nil
}

// headerBuffers follows where nginx keeps a request head: in the
// client_header_buffer_size buffer, then, for a line that does not end
// in the buffer it started in, in a new large buffer that the line (and
// what follows it) is moved to. A line longer than a large buffer, or
// one more large buffer than configured, refuses the request (414 for
// the request line, 494 for a header).
type headerBuffers struct {
	pos, end     int // offset of the next line; end of the current buffer
	large, spare int // large buffer size; large buffers left
}

func newHeaderBuffers(lim Limits) headerBuffers {
	first := lim.HeaderBufferSize
	if first <= 0 {
		first = lim.LargeBufferSize
	}
	return headerBuffers{end: first, large: lim.LargeBufferSize, spare: lim.LargeBuffers}
}

// maxLine is the longest line that can fit anywhere.
func (b *headerBuffers) maxLine() int { return max(b.end-b.pos, b.large) }

// place accounts for a line of n bytes; false when nginx has no room.
func (b *headerBuffers) place(n int) bool {
	start := b.pos
	b.pos += n
	if b.pos <= b.end {
		return true
	}
	if b.spare == 0 || n > b.large {
		return false
	}
	b.spare--
	b.end = start + b.large
	return true
}

// ValidateHost checks and normalises a Host value as nginx's
// ngx_http_validate_host: the port (after ":", or after "]" of an IPv6
// literal) and one trailing dot are removed and the name lower-cased;
// "..", "/", controls, spaces and an empty name are refused. The part
// after the name is checked too, so "a:1/2" is refused.
func ValidateHost(h string) (string, bool) {
	dot := -2 // index of the last dot; -2 so that a leading dot is fine
	end := len(h)
	literal, rest, lower := false, false, false
	for i := 0; i < len(h); i++ {
		switch ch := h[i]; {
		case ch == '.':
			if dot == i-1 {
				return "", false
			}
			dot = i
		case ch == ':':
			if !literal && !rest {
				end, rest = i, true
			}
		case ch == '[':
			if i == 0 {
				literal = true
			}
		case ch == ']':
			if literal && !rest {
				end, rest, literal = i+1, true, false
			}
		case ch == '/' || ch <= ' ' || ch == 0x7f:
			return "", false
		case ch >= 'A' && ch <= 'Z':
			lower = true
		}
	}
	if dot == end-1 {
		end--
	}
	if end <= 0 {
		return "", false
	}
	h = h[:end]
	if lower {
		h = strings.ToLower(h)
	}
	return h, true
}
