package httpd

// parse.go reads an HTTP/1.x request head with nginx's strictness
// (ngx_http_parse_request_line / ngx_http_parse_header_line): the same
// requests are refused, with the same status, so that goproxy and nginx
// agree on what is a bad request.

import (
	"bytes"
	"errors"
	"net/http"
)

// StatusError is a request nginx would refuse before any handler runs.
type StatusError struct {
	Status int
	Msg    string // for the error log, in nginx's words
}

func (e *StatusError) Error() string { return e.Msg }

var (
	errBadRequest     = &StatusError{400, "client sent invalid request"}
	errBadMethod      = &StatusError{400, "client sent invalid method"}
	errBadVersion     = &StatusError{400, "client sent invalid version"}
	errVersion        = &StatusError{505, "client sent unsupported HTTP version"}
	errURITooLong     = &StatusError{414, "client sent too long URI"}
	errHeaderTooLarge = &StatusError{494, "client sent too large request"}
	errBadHeader      = &StatusError{400, "client sent invalid header line"}
	errNoHost         = &StatusError{400, "client sent HTTP/1.1 request without \"Host\" header"}
	errBadHost        = &StatusError{400, "client sent invalid host header"}
	errBadLength      = &StatusError{400, "client sent invalid \"Content-Length\" header"}
	errBadTE          = &StatusError{501, "client sent unknown \"Transfer-Encoding\""}
	errTEAndLength    = &StatusError{400, "client sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time"}
	errDupHost        = &StatusError{400, "client sent duplicate host header"}
	errDupLength      = &StatusError{400, "client sent duplicate header line: \"Content-Length\""}
	errIncomplete     = errors.New("incomplete request head")
	errPlainHTTP      = &StatusError{497, "client sent plain HTTP request to HTTPS port"}
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

// parseRequestLine parses "METHOD SP target SP HTTP/x.y".
func parseRequestLine(line []byte) (*requestLine, error) {
	rl := &requestLine{}
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
	case hasSchemePrefix(target):
		i := bytes.Index(target, []byte("://"))
		hostStart := target[i+3:]
		slash := bytes.IndexAny(hostStart, "/?")
		host := hostStart
		rl.pathPart = "/"
		if slash >= 0 {
			host = hostStart[:slash]
			rl.pathPart = string(hostStart[slash:])
			if rl.pathPart[0] == '?' {
				rl.pathPart = "/" + rl.pathPart
			}
		}
		if len(host) == 0 {
			return nil, errBadRequest
		}
		rl.absHost = string(host)
	default:
		return nil, errBadRequest
	}
	if version == nil {
		if rl.method != "GET" {
			return nil, errBadRequest
		}
		rl.simple, rl.major, rl.minor = true, 0, 9
		return rl, nil
	}
	if len(version) < 8 || string(version[:5]) != "HTTP/" {
		return nil, errBadRequest
	}
	v := version[5:]
	dot := bytes.IndexByte(v, '.')
	if dot <= 0 || dot == len(v)-1 {
		return nil, errBadVersion
	}
	major, ok1 := atoiSmall(v[:dot])
	minor, ok2 := atoiSmall(v[dot+1:])
	if !ok1 || !ok2 {
		return nil, errBadVersion
	}
	rl.major, rl.minor = major, minor
	if major > 1 {
		return rl, errVersion
	}
	if major < 1 {
		return nil, errBadVersion
	}
	return rl, nil
}

func hasSchemePrefix(t []byte) bool {
	i := bytes.Index(t, []byte("://"))
	if i <= 0 {
		return false
	}
	for _, c := range t[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func atoiSmall(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 3 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

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
func canonicalKey(name []byte) string {
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

// validHeaderName applies nginx's rule for header names: letters,
// digits, "-", and "_" when allowed. Others make the line invalid
// (ignored when ignore_invalid_headers is on).
func validHeaderName(name []byte, underscores bool) bool {
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		case c == '_' && underscores:
		default:
			return false
		}
	}
	return true
}
