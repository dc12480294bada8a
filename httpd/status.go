package httpd

import "strconv"

// statusLines are nginx's reason phrases (ngx_http_status_lines); a code
// nginx has no phrase for is sent as "NNN " with nothing after it.
var statusLines = map[int]string{
	200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content",
	301: "Moved Permanently", 302: "Moved Temporarily", 303: "See Other", 304: "Not Modified",
	307: "Temporary Redirect", 308: "Permanent Redirect",
	400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
	404: "Not Found", 405: "Not Allowed", 406: "Not Acceptable", 408: "Request Time-out",
	409: "Conflict", 410: "Gone", 411: "Length Required", 412: "Precondition Failed",
	413: "Request Entity Too Large", 414: "Request-URI Too Large", 415: "Unsupported Media Type",
	416: "Requested Range Not Satisfiable", 421: "Misdirected Request", 429: "Too Many Requests",
	500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
	503: "Service Temporarily Unavailable", 504: "Gateway Time-out",
	505: "HTTP Version Not Supported", 507: "Insufficient Storage",
	101: "Switching Protocols",
}

var statusCache = func() map[int]string {
	m := map[int]string{}
	for c, t := range statusLines {
		m[c] = strconv.Itoa(c) + " " + t
	}
	return m
}()

// StatusLine is the status line text after "HTTP/1.1 ", e.g. "302 Moved
// Temporarily".
func StatusLine(code int) string {
	if s, ok := statusCache[code]; ok {
		return s
	}
	s := strconv.Itoa(code)
	for len(s) < 3 {
		s = "0" + s
	}
	return s + " "
}

// StatusText is nginx's reason phrase, or "".
func StatusText(code int) string { return statusLines[code] }
