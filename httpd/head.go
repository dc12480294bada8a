package httpd

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
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
	for first := true; ; first = false {
		var n int
		if first {
			err = methodAhead(c.br)
		}
		if err == nil {
			line, n, err = readLineN(c.br, bufs.maxLine())
		}
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
			c.headBytes = int64(n) // empty lines before it are not counted
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
	if rl.absHost != "" {
		if _, ok := ValidateHost(rl.absHost); !ok {
			return r, rl, errBadLineHost
		}
	}
	if rl.simple {
		return r, rl, nil
	}
	// Headers: one string holds the whole block so that names and values
	// are substrings of a single allocation; the connection's scratch
	// buffers hold the work in progress.
	block := c.scratch[:0]
	var spans [32]headerSpan
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
		c.headBytes += int64(n)
		if len(hl) == 0 {
			break
		}
		h := scanHeaderLine(hl, lim.UnderscoresInHeaders)
		if h.bad >= 0 {
			// nginx handles each line as it comes: an error in an
			// earlier one (a duplicate Host) is the one it reports.
			c.scratch = block
			if err := c.setHeaders(block, hs, ks); err != nil {
				return r, rl, err
			}
			return r, rl, badHeaderLine(hl, h.bad)
		}
		if h.invalid && lim.IgnoreInvalidHeaders {
			continue
		}
		if lim.MaxHeaders > 0 && len(hs) >= lim.MaxHeaders {
			c.scratch = block
			if err := c.setHeaders(block, hs, ks); err != nil {
				return r, rl, err
			}
			return r, rl, errTooManyHeaders
		}
		key := canonicalKey(hl[:h.nameEnd])
		start := len(block)
		if string(hl[:h.nameEnd]) != key {
			// Kept as sent when it differs, for the error log of a
			// duplicate and for the upstream, which gets it so.
			block = append(block, hl[:h.nameEnd]...)
		}
		nameEnd := len(block)
		block = append(block, hl[h.v0:h.v1]...)
		hs = append(hs, headerSpan{len(ks), start, nameEnd, len(block)})
		ks = append(ks, key)
	}
	c.scratch = block
	c.headRoom = bufs.end - bufs.pos
	if err := c.setHeaders(block, hs, ks); err != nil {
		return r, rl, err
	}
	return r, rl, c.checkRequest(r, rl)
}

// headerSpan is one header line in the block: the value is
// block[v0:v1]; k indexes its canonical key; block[n0:v0] is the name as
// sent, for the headers whose duplicates are refused, when it is not the
// canonical one.
type headerSpan struct{ k, n0, v0, v1 int }

// setHeaders fills the request's header map from the lines read, in
// their order, with the checks nginx makes on each line as it arrives:
// a valid and single Host, and single lines for the headers nginx keeps
// one of. The first failing line is the error.
func (c *conn) setHeaders(block []byte, hs []headerSpan, ks []string) error {
	c.lines = len(hs)
	if len(hs) == 0 {
		return nil
	}
	all := string(block)
	if cap(c.vals) < len(hs) {
		c.vals = make([]string, len(hs))
		c.keys = make([]string, len(hs))
		c.names = make([]string, len(hs))
	}
	// The values of the previous request are no longer referenced: its
	// header map was cleared.
	vals := c.vals[:len(hs)]
	keys := c.keys[:len(hs)]
	names := c.names[:len(hs)]
	for i, s := range hs {
		vals[i] = all[s.v0:s.v1]
		k := ks[s.k]
		keys[i] = k
		names[i] = asSent(all, s, k)
		old, dup := c.header[k]
		switch {
		case k == "Host":
			if dup {
				p := previous(hs, ks, i)
				return &StatusError{400, `client sent duplicate host header: "` + asSent(all, s, k) + ": " +
					all[s.v0:s.v1] + `", previous value: "` + asSent(all, p, k) + ": " + all[p.v0:p.v1] + `"` + inHeaders}
			}
			if _, ok := ValidateHost(vals[i]); !ok {
				return errBadHost
			}
		case dup && uniqueHeader(k):
			p := previous(hs, ks, i)
			return &StatusError{400, `client sent duplicate header line: "` + asSent(all, s, k) + ": " +
				all[s.v0:s.v1] + `", previous value: "` + asSent(all, p, k) + ": " + all[p.v0:p.v1] + `"` + inHeaders}
		}
		if dup {
			c.header[k] = append(old, vals[i])
			continue
		}
		c.header[k] = vals[i : i+1 : i+1]
	}
	return nil
}

// asSent is the name of a line as the client wrote it.
func asSent(all string, s headerSpan, key string) string {
	if s.n0 == s.v0 {
		return key
	}
	return all[s.n0:s.v0]
}

// previous is the line before hs[i] with the same name.
func previous(hs []headerSpan, ks []string, i int) headerSpan {
	j := i - 1
	for j > 0 && ks[hs[j].k] != ks[hs[i].k] {
		j--
	}
	return hs[j]
}

// uniqueHeader names the headers nginx stores once and refuses twice
// (ngx_http_process_unique_header_line): two Content-Length or
// Transfer-Encoding lines are how requests are smuggled.
func uniqueHeader(k string) bool {
	switch k {
	case "Content-Length", "Transfer-Encoding", "If-Modified-Since", "If-Unmodified-Since",
		"If-Match", "If-None-Match", "Content-Range", "If-Range", "Expect", "Authorization":
		return true
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
	return "HTTP/" + strconv.Itoa(int(major)) + "." + strconv.Itoa(int(minor))
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

// checkRequest applies nginx's checks on the whole head
// (ngx_http_process_request_header), in its order: Host, Content-Length,
// Transfer-Encoding, TRACE; then Expect and Connection.
func (c *conn) checkRequest(r *http.Request, rl *requestLine) error {
	_, hasHost := r.Header["Host"]
	if !hasHost && r.ProtoMinor >= 1 {
		// Also in absolute form: the host in the request line does not
		// make up for the header HTTP/1.1 requires.
		return errNoHost
	}
	r.Host = rl.absHost
	if r.Host == "" {
		r.Host = r.Header.Get("Host")
	}
	te := r.Header["Transfer-Encoding"]
	cl := r.Header["Content-Length"]
	c.body.reset(c)
	length := int64(-1)
	if cl != nil {
		n, ok := parseLength(cl[0])
		if !ok {
			return errBadLength
		}
		length = n
	}
	switch {
	case te != nil:
		if r.ProtoMinor == 0 {
			return errTE10
		}
		if !asciiEqualFold(te[0], "chunked") {
			return &StatusError{501, `client sent unknown "Transfer-Encoding": "` + te[0] + `"` + inHeaders}
		}
		if cl != nil {
			return errTEAndLength
		}
		r.TransferEncoding = []string{"chunked"}
		r.ContentLength = -1
		c.body.chunked = true
		r.Body = &c.body
	case cl != nil:
		r.ContentLength = length
		if length > 0 {
			c.body.remaining = length
			c.body.preread = min(int64(max(c.headRoom, 0)), int64(c.br.Buffered()), length)
			r.Body = &c.body
		}
	}
	if rl.method == "TRACE" {
		return errTrace // nginx refuses TRACE outright, after the framing checks
	}
	if e := r.Header["Expect"]; e != nil && strings.EqualFold(e[0], "100-continue") && r.ProtoMinor >= 1 {
		c.body.expect = true
	}
	c.info.KeepAlive = r.ProtoMinor > 0
	// As nginx reads Connection: each header that has "close" anywhere
	// in it (in any case) says close, else one with "keep-alive" says
	// keep-alive; the last that says either decides.
	for _, v := range r.Header["Connection"] {
		switch {
		case asciiContainsFold(v, "close"):
			c.info.KeepAlive = false
		case asciiContainsFold(v, "keep-alive"):
			c.info.KeepAlive = true
		}
	}
	r.Close = !c.info.KeepAlive
	return nil
}

// asciiContainsFold says whether s has sub (lower case) in it, ignoring
// ASCII case only, as nginx's ngx_strcasestrn.
func asciiContainsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if asciiEqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// asciiEqualFold compares a with b (lower case) ignoring ASCII case only,
// as nginx's ngx_strncasecmp: strings.EqualFold would take the Kelvin
// sign for a "k".
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != b[i] {
			return false
		}
	}
	return true
}

// parseLength reads a Content-Length as nginx's ngx_atoof: decimal
// digits only, any number of leading zeros, at most 2^63-1.
func parseLength(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	const cutoff, cutlim = math.MaxInt64 / 10, math.MaxInt64 % 10
	var n int64
	for i := 0; i < len(s); i++ {
		d := int64(s[i]) - '0'
		if d < 0 || d > 9 || n > cutoff || n == cutoff && d > cutlim {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

var errLineTooLong = errors.New("line too long")

// methodAhead reads until the request line's method is known good (up to
// its space) or bad, as nginx parses the line as it arrives: a client
// that sends no method (binary data, a TLS handshake, a uwsgi packet)
// gets its 400 at once, not after a newline that may never come. Empty
// lines before the request line are skipped, and a line end in the
// method is left to the line's parse. The bytes stay buffered; an error
// is the connection's.
func methodAhead(br *bufio.Reader) error {
	for {
		b, _ := br.Peek(br.Buffered())
		for _, c := range bytes.TrimLeft(b, "\r\n") {
			switch {
			case c == ' ' || c == '\r' || c == '\n':
				return nil
			case (c < 'A' || c > 'Z') && c != '_' && c != '-':
				return errBadMethod
			}
		}
		if len(b) >= br.Size() {
			return nil
		}
		// Wait for bytes beyond those looked at.
		if _, err := br.Peek(len(b) + 1); err != nil {
			return err
		}
	}
}

// readLineN reads one CRLF- or LF-terminated line of at most max bytes,
// its line end included, and returns it without the LF and one CR before
// it, with its length on the wire. The slice is valid until the next
// read.
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
