package httpcore

// special.go is nginx's special response handler: error_page lookup,
// the built-in error pages, and the "return" responses.

import (
	"net/http"
	"strconv"
	"strings"

	"goproxy/httpd"
)

// pageTitles are the titles of nginx's built-in pages where they differ
// from the status line's reason phrase.
var pageTitles = map[int]string{
	302: "302 Found",
	401: "401 Authorization Required",
	494: "400 Request Header Or Cookie Too Large",
	495: "400 The SSL certificate error",
	496: "400 No required SSL certificate was sent",
	497: "400 The plain HTTP request was sent to HTTPS port",
}

// hasPage lists the statuses nginx has a built-in page for.
func hasPage(code int) bool {
	switch {
	case code == 301, code == 302, code == 303, code == 307, code == 308:
		return true
	case code >= 400 && code <= 416 && code != 407 && code != 408:
		return true
	case code == 421, code == 429, code >= 494 && code <= 498:
		return true
	case code >= 500 && code <= 505, code == 507:
		return true
	}
	return false
}

// ErrorPageBody renders nginx's built-in page for code; tokens is the
// server_tokens setting.
func ErrorPageBody(code int, tokens string) string {
	if code == 498 {
		code = 404 // nginx's table gives 498 the 404 page
	}
	title, ok := pageTitles[code]
	if !ok {
		title = strconv.Itoa(code) + " " + httpd.StatusText(code)
	}
	var b strings.Builder
	b.Grow(256)
	b.WriteString("<html>\r\n<head><title>")
	b.WriteString(title)
	b.WriteString("</title></head>\r\n<body>\r\n<center><h1>")
	if code >= 494 && code <= 497 {
		b.WriteString("400 Bad Request</h1></center>\r\n<center>")
		b.WriteString(title[4:])
		b.WriteString("</center>\r\n")
	} else {
		b.WriteString(title)
		b.WriteString("</h1></center>\r\n")
	}
	b.WriteString("<hr><center>")
	b.WriteString(ServerHeader(tokens))
	b.WriteString("</center>\r\n</body>\r\n</html>\r\n")
	return b.String()
}

// closesConnection lists the errors after which nginx does not keep the
// connection alive.
func closesConnection(code int) bool {
	switch code {
	case 400, 413, 414, 494, 495, 496, 497, 500, 501:
		return true
	}
	return false
}

// Error finishes the request with status code the way nginx's
// ngx_http_special_response_handler does: an error_page if one matches,
// otherwise the built-in page (or an empty body for codes without one).
// 444, 499 and 408 close the connection without an answer.
func (rq *Request) Error(code int) {
	if rq.wroteHeader {
		return
	}
	if code == 444 || code == 499 || code == 408 {
		rq.Abort(code)
		return
	}
	if rq.PostSubrequest != nil && rq.PostSubrequest(rq, code) {
		return
	}
	if closesConnection(code) && rq.Conn != nil {
		rq.Conn.KeepAlive = false
	}
	// The error's status replaces an earlier error_page's (nginx's
	// err_status): a redirect cycle in error pages ends in a 500.
	rq.ErrStatus = code
	if code >= 494 && code <= 497 {
		rq.ErrStatus = 400
	}
	if rq.Loc != nil && !rq.ErrorPage && rq.Redirects < maxRedirects {
		for _, ep := range rq.Loc.Core.ErrorPages {
			for _, c := range ep.Codes {
				if c == code {
					rq.sendErrorPage(code, ep.Status, rq.Eval(ep.URI))
					return
				}
			}
		}
	}
	if (code == 301 || code == 302) && rq.msieRefresh() {
		return
	}
	rq.sendSpecial(code)
}

// maxRedirects is nginx's NGX_HTTP_MAX_URI_CHANGES + 1.
const maxRedirects = 11

func (rq *Request) sendErrorPage(code, overwrite int, target string) {
	if !*rq.Loc.Core.RecursiveErrorPages {
		rq.ErrorPage = true
	}
	switch {
	case overwrite > 0:
		rq.ErrStatus = overwrite
	case overwrite == 0:
		// The error's own status, as Error set it (494 is sent as 400).
	default: // "=": the page's own status
		rq.ErrStatus = 0
	}
	if strings.HasPrefix(target, "/") || strings.HasPrefix(target, "@") {
		if rq.R.Method != "HEAD" {
			rq.R.Method = "GET"
		}
		uri, args, _ := strings.Cut(target, "?")
		rq.Eng.InternalRedirect(rq, uri, args)
		return
	}
	status := overwrite
	if status != 301 && status != 302 && status != 303 && status != 307 && status != 308 {
		status = 302
	}
	rq.ErrStatus = 0
	rq.W.Header().Set("Location", target)
	if rq.msieRefresh() {
		return
	}
	rq.sendSpecial(status)
}

// sendSpecial writes the built-in page for code.
func (rq *Request) sendSpecial(code int) {
	h := rq.W.Header()
	loc := h.Get("Location")
	cr := h["Content-Range"]
	clearHeaders(h)
	if loc != "" || isRedirect(code) {
		h["Location"] = []string{loc}
	}
	if code == 416 && cr != nil {
		h["Content-Range"] = cr
	}
	tokens := "on"
	if rq.Loc != nil {
		tokens = *rq.Loc.Core.ServerTokens
	}
	status := code
	if code >= 494 && code <= 497 {
		status = 400
	}
	if !hasPage(code) {
		if code >= 400 {
			h["Content-Length"] = []string{"0"}
			rq.WriteHeader(status)
			return
		}
		rq.sendText(status, "")
		return
	}
	body := ErrorPageBody(code, tokens)
	h["Content-Type"] = []string{"text/html"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	rq.WriteHeader(status)
	// HTTP/0.9 has no header to send alone: a refused "HEAD /x" gets
	// the page.
	if rq.R.Method != "HEAD" || rq.R.ProtoMajor == 0 {
		rq.Write([]byte(body))
	}
}

func isRedirect(code int) bool {
	return code == 301 || code == 302 || code == 303 || code == 307 || code == 308
}

// clearHeaders drops what a content handler had set, as nginx does
// before a special response (ngx_http_clean_header). WWW-Authenticate
// stays: auth_basic and auth_request set it for their 401.
func clearHeaders(h http.Header) {
	for k := range h {
		if k != "Server" && k != "Www-Authenticate" {
			delete(h, k)
		}
	}
}

// Return answers "return code [text]".
func (rq *Request) Return(code int, text string, hasText bool) {
	switch {
	case isRedirect(code):
		if hasText {
			rq.W.Header().Set("Location", text)
		}
		rq.Error(code)
	case code == 444:
		rq.Abort(444)
	case code >= 400 && !hasText:
		rq.Error(code)
	case code == 204 && rq.ErrStatus == 0:
		rq.WriteHeader(204)
	// Under error_page the status sent is the error's, so nginx's empty
	// body goes out as an ordinary response (type and length 0).
	default:
		rq.sendText(code, text)
	}
}

// sendText sends a short body with the content type nginx would pick for
// the URI (its extension, else default_type).
func (rq *Request) sendText(code int, text string) {
	h := rq.W.Header()
	h["Content-Type"] = []string{rq.ContentTypeFor(rq.URI)}
	h["Content-Length"] = []string{strconv.Itoa(len(text))}
	rq.WriteHeader(code)
	if rq.R.Method != "HEAD" && text != "" {
		rq.Write([]byte(text))
	}
}

// ContentTypeFor is nginx's ngx_http_set_content_type: the types entry
// for the path's extension, else default_type.
func (rq *Request) ContentTypeFor(path string) string {
	c := &rq.Loc.Core
	if ext := Extension(path); ext != "" {
		if t, ok := c.Types[ext]; ok {
			return t
		}
		if t, ok := c.Types[strings.ToLower(ext)]; ok {
			return t
		}
	}
	return *c.DefaultType
}

// Extension is the part after the last "." of the last path segment.
func Extension(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i] {
		case '.':
			return path[i+1:]
		case '/':
			return ""
		}
	}
	return ""
}

// Abort closes the connection without a response (444, 499, 408); code
// is what the access log shows.
func (rq *Request) Abort(code int) {
	rq.Aborted = true
	rq.status = code
	if rq.Conn != nil {
		rq.Conn.KeepAlive = false
	}
	if h, ok := rq.W.(http.Hijacker); ok {
		if c, _, err := h.Hijack(); err == nil {
			c.Close()
		}
	}
}
