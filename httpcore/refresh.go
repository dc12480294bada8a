package httpcore

// refresh.go is msie_refresh: MSIE is answered a redirect with a page
// whose meta refresh goes to the target, status 200 and no Location
// (nginx's ngx_http_send_refresh).

import "strconv"

// msieRefresh sends the refresh page for the redirect about to be sent,
// when the location asks for it and MSIE asked; false otherwise.
func (rq *Request) msieRefresh() bool {
	if rq.Loc == nil || !*rq.Loc.Core.MSIERefresh || !rq.Browser().MSIE {
		return false
	}
	h := rq.W.Header()
	target := h.Get("Location")
	clearHeaders(h)
	const head = `<html><head><meta http-equiv="Refresh" content="0; URL=`
	const tail = "\"></head><body></body></html>\r\n"
	body := make([]byte, 0, len(head)+len(target)+len(tail)+16)
	body = append(body, head...)
	body = appendEscaped(body, target, escapeRefreshByte)
	body = append(body, tail...)
	h["Content-Type"] = []string{"text/html"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	rq.ErrStatus = 0
	rq.WriteHeader(200)
	if rq.R.Method != "HEAD" {
		rq.Write(body)
	}
	return true
}

// escapeRefreshByte is NGX_ESCAPE_REFRESH: controls, space, quotes, and
// bytes from DEL up.
func escapeRefreshByte(c byte) bool {
	return c <= ' ' || c == '"' || c == '\'' || c >= 0x7f
}
