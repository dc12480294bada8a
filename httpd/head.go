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

	large := lim.LargeBufferSize
	// Request line; nginx skips empty lines before it.
	var line []byte
	var err error
	for {
		line, err = readLine(c.br, large)
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
	rl, perr := parseRequestLine(line)
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
	// are substrings of a single allocation.
	total := len(line)
	var block []byte
	type span struct{ k, v0, v1 int }
	var spans [32]span
	hs := spans[:0]
	var keys [32]string
	ks := keys[:0]
	for {
		hl, err := readLine(c.br, large)
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				return r, rl, errHeaderTooLarge
			}
			return r, rl, err
		}
		if len(hl) == 0 {
			break
		}
		total += len(hl) + 2
		if total > lim.LargeBuffers*large {
			return r, rl, errHeaderTooLarge
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
	all := string(block)
	vals := make([]string, len(hs))
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

func (c *conn) setURL(r *http.Request, target string) {
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

// readLine reads one CRLF- or LF-terminated line of at most max bytes.
// The slice is valid until the next read.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > max+2 {
		return nil, errLineTooLong
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > max {
		return nil, errLineTooLong
	}
	return line, nil
}

// ValidateHost checks and normalises a Host value as nginx's
// ngx_http_validate_host: lower case, port and trailing dot removed; "/",
// "\", NUL and ".." are refused.
func ValidateHost(h string) (string, bool) {
	if h == "" {
		return "", true
	}
	dotPos := -1
	inBracket := false
	end := len(h)
	lowerNeeded := false
	for i := 0; i < len(h); i++ {
		ch := h[i]
		switch {
		case ch == '.':
			if dotPos == i-1 && i > 0 {
				return "", false
			}
			dotPos = i
		case ch == ':':
			if !inBracket {
				end = i
				i = len(h)
				continue
			}
		case ch == '[':
			if i == 0 {
				inBracket = true
			}
		case ch == ']':
			inBracket = false
		case ch == '/' || ch == '\\' || ch == 0:
			return "", false
		case ch >= 'A' && ch <= 'Z':
			lowerNeeded = true
		}
	}
	h = h[:end]
	if strings.HasSuffix(h, ".") {
		h = h[:len(h)-1]
	}
	if h == "" {
		return "", false
	}
	if lowerNeeded {
		h = strings.ToLower(h)
	}
	return h, true
}
