package httpd

// parse.go reads an HTTP/1.x request line with nginx's strictness
// (ngx_http_parse_request_line; header lines are in headerline.go): the
// same requests are refused, with the same status and error-log line, so
// that goproxy and nginx agree on what is a bad request.

import (
	"bytes"
	"net/http"
	"strings"
)

// StatusError is a request nginx would refuse before any handler runs.
type StatusError struct {
	Status int
	// Msg is the error log's line, in nginx's words, with the phase
	// nginx names ("while reading client request headers").
	Msg string
}

func (e *StatusError) Error() string { return e.Msg }

// The phases of the head, as nginx's error log names them.
const (
	inLine    = " while reading client request line"
	inHeaders = " while reading client request headers"
)

var (
	errBadRequest     = &StatusError{400, "client sent invalid request" + inLine}
	errBadMethod      = &StatusError{400, "client sent invalid method" + inLine}
	errBadMethod09    = &StatusError{400, "client sent invalid method in HTTP/0.9 request" + inLine}
	errVersion        = &StatusError{505, "client sent invalid version" + inLine}
	errURITooLong     = &StatusError{414, "client sent too long URI" + inLine}
	errBadLineHost    = &StatusError{400, "client sent invalid host in request line" + inLine}
	errHeaderTooLarge = &StatusError{494, "client sent too large request" + inHeaders}
	errTooManyHeaders = &StatusError{400, "client sent too many header lines" + inHeaders}
	errNoHost         = &StatusError{400, "client sent HTTP/1.1 request without \"Host\" header" + inHeaders}
	errBadHost        = &StatusError{400, "client sent invalid host header" + inHeaders}
	errBadLength      = &StatusError{400, "client sent invalid \"Content-Length\" header" + inHeaders}
	errTE10           = &StatusError{400, "client sent HTTP/1.0 request with \"Transfer-Encoding\" header" + inHeaders}
	errTEAndLength    = &StatusError{400, "client sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time" + inHeaders}
	errPlainHTTP      = &StatusError{497, "client sent plain HTTP request to HTTPS port" + inHeaders}
	errTrace          = &StatusError{405, "client sent TRACE method" + inHeaders}
	// methodRefused are the methods a stream may not use.
	methodRefused = map[string]*StatusError{"TRACE": errTrace,
		"CONNECT": {405, "client sent CONNECT method" + inHeaders}}
	// A body's errors are logged by what reads it, without a phase.
	errBadChunked = &StatusError{400, "client sent invalid chunked body"}
)

// requestLine is the parsed first line.
type requestLine struct {
	method   string
	target   string // as sent
	major    int
	minor    int
	simple   bool // HTTP/0.9: no version, no headers
	absHost  string
	pathPart string // target without scheme and host (absolute-form)
}

// parseRequestLine parses "METHOD SP target SP HTTP/x.y" into rl (the
// connection's, reused).
func parseRequestLine(line []byte, rl *requestLine) (*requestLine, error) {
	*rl = requestLine{}
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return nil, errBadMethod
	}
	for _, c := range line[:sp] {
		if (c < 'A' || c > 'Z') && c != '_' && c != '-' {
			return nil, errBadMethod
		}
	}
	rl.method = internMethod(line[:sp])
	rest := line[sp+1:]
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	end := bytes.IndexByte(rest, ' ')
	var target, version []byte
	if end < 0 {
		target = rest
	} else {
		target = rest[:end]
		version = bytes.TrimLeft(rest[end+1:], " ")
		version = bytes.TrimRight(version, " ")
	}
	if len(target) == 0 {
		return nil, errBadRequest
	}
	for _, c := range target {
		if c <= ' ' || c == 0x7f {
			return nil, errBadRequest
		}
	}
	rl.target = string(target)
	switch {
	case target[0] == '/':
		rl.pathPart = rl.target
	default:
		host, path, ok := splitAbsolute(target)
		if !ok {
			return nil, errBadRequest
		}
		rl.absHost, rl.pathPart = string(host), path
	}
	if version == nil {
		rl.simple, rl.major, rl.minor = true, 0, 9
		if rl.method != "GET" {
			// Refused, and answered in HTTP/0.9 (a bare body).
			return rl, errBadMethod09
		}
		return rl, nil
	}
	major, minor, err := parseVersion(version)
	rl.major, rl.minor = major, minor
	if err == errVersion {
		return rl, err
	}
	if err != nil {
		return nil, err
	}
	return rl, nil
}

// parseVersion reads "HTTP/major.minor" (spaces after it are gone) as
// nginx's request line parser does: the major version starts with 1-9,
// and one above 1 is answered 505 however the rest goes on; the minor
// version is at most three digits' worth of value (leading zeros are
// fine); anything else, a CR included, is an invalid request. For 505
// the numbers are what could be read, for the logs.
func parseVersion(v []byte) (major, minor int, err error) {
	if len(v) < 6 || string(v[:5]) != "HTTP/" || v[5] < '1' || v[5] > '9' {
		return 0, 0, errBadRequest
	}
	v = v[5:]
	if v[0] > '1' || len(v) > 1 && isDigit(v[1]) {
		major, rest := leadingNumber(v)
		if len(rest) > 1 && rest[0] == '.' {
			minor, _ = leadingNumber(rest[1:])
		}
		return major, minor, errVersion
	}
	if len(v) < 3 || v[1] != '.' {
		return 0, 0, errBadRequest
	}
	for _, c := range v[2:] {
		if !isDigit(c) || minor > 99 {
			return 0, 0, errBadRequest
		}
		minor = minor*10 + int(c-'0')
	}
	return 1, minor, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// leadingNumber reads the digits at the start of b (at most 1000).
func leadingNumber(b []byte) (int, []byte) {
	n := 0
	for len(b) > 0 && isDigit(b[0]) {
		n = min(n*10+int(b[0]-'0'), 1000)
		b = b[1:]
	}
	return n, b
}

// splitAbsolute splits an absolute-form target ("http://host:port/p?q")
// with the request line parser's character rules: a scheme that starts
// with a letter, a host of letters, digits, "." and "-" (or an IPv6
// literal in brackets), an optional numeric port, then "/", "?" or the
// end. path is what follows the host, "/" when empty.
func splitAbsolute(t []byte) (host []byte, path string, ok bool) {
	i := bytes.Index(t, []byte("://"))
	if i <= 0 || !isAlpha(t[0]) {
		return nil, "", false
	}
	for _, c := range t[1:i] {
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return nil, "", false
		}
	}
	rest := t[i+3:]
	n := 0
	if len(rest) > 0 && rest[0] == '[' {
		end := bytes.IndexByte(rest, ']')
		if end < 0 {
			return nil, "", false
		}
		for _, c := range rest[1:end] {
			if !isAlpha(c) && !(c >= '0' && c <= '9') && !strings.ContainsRune(":.-_~!$&'()*+,;=", rune(c)) {
				return nil, "", false
			}
		}
		n = end + 1
	} else {
		for n < len(rest) && (isAlpha(rest[n]) || rest[n] >= '0' && rest[n] <= '9' || rest[n] == '.' || rest[n] == '-') {
			n++
		}
	}
	if n == 0 {
		return nil, "", false
	}
	m := n
	if m < len(rest) && rest[m] == ':' {
		m++
		for m < len(rest) && rest[m] >= '0' && rest[m] <= '9' {
			m++
		}
	}
	switch {
	case m == len(rest):
		path = "/"
	case rest[m] == '/':
		path = string(rest[m:])
	case rest[m] == '?':
		path = "/" + string(rest[m:])
	default:
		return nil, "", false
	}
	return rest[:m], path, true
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

var methods = map[string]string{}

func init() {
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE",
		"CONNECT", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"} {
		methods[m] = m
	}
}

// internMethod returns a shared string for common methods.
func internMethod(b []byte) string {
	if m, ok := methods[string(b)]; ok {
		return m
	}
	return string(b)
}

// commonHeaders maps a lower-case header name to its canonical form
// without allocating.
var commonHeaders = map[string]string{}

func init() {
	for _, h := range []string{"Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language",
		"Connection", "Content-Length", "Content-Type", "Cookie", "Referer", "If-Modified-Since",
		"If-None-Match", "If-Match", "If-Unmodified-Since", "If-Range", "Range", "Transfer-Encoding",
		"Upgrade", "Expect", "Authorization", "Cache-Control", "Pragma", "Origin", "X-Forwarded-For",
		"X-Real-Ip", "X-Forwarded-Proto", "X-Forwarded-Host", "Sec-Websocket-Key",
		"Sec-Websocket-Version", "Sec-Websocket-Extensions", "Sec-Websocket-Protocol", "Te", "Via",
		"Keep-Alive", "Dnt", "Upgrade-Insecure-Requests", "Sec-Fetch-Mode", "Sec-Fetch-Site",
		"Sec-Fetch-Dest", "Sec-Fetch-User"} {
		commonHeaders[string(bytes.ToLower([]byte(h)))] = h
	}
}

// canonicalKey canonicalises a header name, allocating only for rare
// names.
func canonicalKey(name []byte) string { return CanonicalKey(name) }

// CanonicalKey canonicalises a header name, allocating only for names
// outside the common set (the proxy reads upstream heads with it too).
func CanonicalKey(name []byte) string {
	var low [64]byte
	if len(name) <= len(low) {
		for i, c := range name {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			low[i] = c
		}
		if h, ok := commonHeaders[string(low[:len(name)])]; ok {
			return h
		}
	}
	return http.CanonicalHeaderKey(string(name))
}
