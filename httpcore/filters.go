package httpcore

// filters.go is nginx's header filter chain, in one place: the Server
// header (server_tokens), then ngx_http_headers_module's expires and
// add_header, which apply only to the statuses nginx lists unless
// "always" is given.

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"goproxy/confparse"
)

// serverOn and serverOff are the shared Server header values.
var (
	serverOn  = []string{ServerHeader("on")}
	serverOff = []string{ServerHeader("off")}
)

// ServerHeader is the Server header value for a server_tokens setting.
func ServerHeader(tokens string) string {
	if tokens == "off" {
		return "goproxy"
	}
	return "goproxy/" + Version
}

// headersApply is nginx's list of statuses add_header and expires act on
// without "always".
func headersApply(code int) bool {
	switch code {
	case 200, 201, 204, 206, 301, 302, 303, 304, 307, 308:
		return true
	}
	return false
}

func (rq *Request) headerFilter(code int) {
	rq.startRateLimit()
	h := rq.W.Header()
	if _, ok := h["Server"]; !ok {
		tokens := "on"
		if rq.Loc != nil {
			tokens = *rq.Loc.Core.ServerTokens
		}
		if tokens == "off" {
			h["Server"] = serverOff
		} else {
			h["Server"] = serverOn
		}
	}
	if lm := h["Last-Modified"]; lm != nil && code != 200 && code != 206 && code != 304 {
		// nginx's header filter sends a (valid) Last-Modified only
		// with these: not on an error_page served from a file.
		if _, err := http.ParseTime(lm[0]); err == nil {
			delete(h, "Last-Modified")
		}
	}
	if rq.Loc == nil {
		return
	}
	if loc := h["Location"]; len(loc) == 1 && strings.HasPrefix(loc[0], "/") && *rq.Loc.Core.AbsoluteRedirect && !rq.KeepLocation {
		h["Location"] = []string{rq.AbsoluteURL(loc[0])}
	}
	hl := &rq.Loc.Headers
	apply := headersApply(code)
	if hl.Expires != nil && apply {
		rq.setExpires(h, hl.Expires)
	}
	for _, a := range hl.Add {
		if !apply && !a.Always {
			continue
		}
		v := rq.Eval(a.Value)
		switch a.Key {
		case "Last-Modified", "Etag":
			// nginx replaces these rather than adding a second one,
			// and an empty value removes the one the response had.
			key := a.Key
			if key == "Etag" {
				key = "ETag" // as the static handler spells it
				delete(h, "Etag")
			}
			delete(h, key)
			if v != "" {
				h[key] = []string{v}
			}
		default:
			if v == "" {
				continue
			}
			h[a.Key] = append(h[a.Key], v)
			rq.NoteHeader(a.Key, a.Name)
		}
	}
	if rq.Parent == nil {
		rq.expectTrailers = false
		for _, t := range hl.Trailers {
			if apply || t.Always {
				rq.expectTrailers = true
				break
			}
		}
		if rq.expectTrailers && rq.R.ProtoMajor == 1 && rq.R.ProtoMinor >= 1 &&
			*rq.Loc.Core.ChunkedTransferEncoding && rq.R.Method != "HEAD" &&
			code >= 200 && code != 204 && code != 304 {
			// Trailers go in the last chunk, so nginx's chunked
			// filter chunks even a body of known length.
			delete(h, "Content-Length")
		}
	}
}

// Trailer is a trailer field sent after the body.
type Trailer struct{ Name, Value string }

// sendTrailers evaluates add_trailer at the end of the main response,
// as nginx's trailers filter does with the last buffer: the fields of
// the statuses add_header applies to, or "always" ones, each seeing the
// ones before it ($sent_trailer_*); an empty value sends nothing. The
// engine writes them in the last chunk (HTTP/1.1 chunked) or a HEADERS
// frame (HTTP/2); a response cut short or without a body has none.
func (rq *Request) sendTrailers() {
	rq.expectTrailers = false
	if rq.CutShort() || rq.R.Method == "HEAD" || rq.Loc == nil {
		return
	}
	tw, ok := rq.W.(interface{ AddTrailer(name, value string) })
	if !ok {
		return
	}
	apply := headersApply(rq.status)
	for _, t := range rq.Loc.Headers.Trailers {
		if !apply && !t.Always {
			continue
		}
		if v := rq.Eval(t.Value); v != "" {
			rq.trailers = append(rq.trailers, Trailer{t.Name, v})
			tw.AddTrailer(t.Name, v)
		}
	}
}

// sentTrailer is $sent_trailer_name: the first trailer of that name
// (case aside, "_" for "-"), as nginx 1.22 finds it.
func (rq *Request) sentTrailer(name string) (string, bool) {
	for _, t := range rq.trailers {
		if len(t.Name) != len(name) {
			continue
		}
		same := true
		for i := 0; i < len(name) && same; i++ {
			a, b := lowerByte(t.Name[i]), lowerByte(name[i])
			if a == '-' {
				a = '_'
			}
			same = a == b
		}
		if same {
			return t.Value, true
		}
	}
	return "", false
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

var (
	expiresEpoch = "Thu, 01 Jan 1970 00:00:01 GMT"
	expiresMax   = "Thu, 31 Dec 2037 23:55:55 GMT"
)

// setExpires applies the expires directive.
func (rq *Request) setExpires(h http.Header, e *confparse.Expires) {
	if e.Var != nil {
		args := []string{rq.Eval(e.Var)}
		if e.Modified {
			// "expires modified $v": the value is a time, so "epoch"
			// or "max" there is invalid and sets nothing (as nginx).
			args = []string{"modified", args[0]}
		}
		pe, err := confparse.ParseExpires(args)
		if err != nil || pe.Var != nil {
			return
		}
		e = pe
	}
	switch {
	case e.Off:
		return
	case e.Epoch:
		rq.noteExpires()
		h.Set("Expires", expiresEpoch)
		h.Set("Cache-Control", "no-cache")
		return
	case e.Max:
		rq.noteExpires()
		h.Set("Expires", expiresMax)
		h.Set("Cache-Control", "max-age=315360000")
		return
	}
	now := time.Now()
	base := now
	if e.Modified {
		if lm, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
			base = lm
		}
	}
	var at time.Time
	if e.Daily {
		day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
		at = day.Add(e.Dur)
		if !at.After(now) {
			at = at.Add(24 * time.Hour)
		}
	} else {
		at = base.Add(e.Dur)
	}
	rq.noteExpires()
	h.Set("Expires", at.UTC().Format(http.TimeFormat))
	maxAge := int64(at.Sub(now) / time.Second)
	if e.Dur < 0 || maxAge < 0 {
		h.Set("Cache-Control", "no-cache")
		return
	}
	h.Set("Cache-Control", "max-age="+strconv.FormatInt(maxAge, 10))
}

// noteExpires places expires' two headers where nginx puts them: after
// the handler's, before add_header's.
func (rq *Request) noteExpires() {
	rq.NoteHeader("Expires", "Expires")
	rq.NoteHeader("Cache-Control", "Cache-Control")
}

// NoteHeader asks the engine to send the header at key (canonical) as
// name, in the order noted; writers without the notion ignore it.
func (rq *Request) NoteHeader(key, name string) {
	if n, ok := rq.W.(interface{ NoteHeader(key, name string) }); ok {
		n.NoteHeader(key, name)
	}
}

// AbsoluteURL makes a redirect target that starts with "/" absolute, as
// nginx's header filter does with absolute_redirect on: the Host the
// client sent (the server name with server_name_in_redirect, the local
// address without a Host), and the port when port_in_redirect and it is
// not the scheme's default.
func (rq *Request) AbsoluteURL(path string) string {
	c := &rq.Loc.Core
	var host string
	switch {
	case *c.ServerNameInRedirect:
		host = rq.Server.Name
	case rq.HostOK:
		host = rq.Host
	default:
		// No Host: nginx names the address the connection came to.
		host, _ = rq.LocalAddrPort()
	}
	scheme := rq.Scheme()
	port := ""
	if *c.PortInRedirect {
		_, p := rq.LocalAddrPort()
		if p != "" && !(scheme == "http" && p == "80") && !(scheme == "https" && p == "443") {
			port = ":" + p
		}
	}
	return scheme + "://" + host + port + path
}

// TypeMatches is the test of nginx's *_types lists (gzip_types,
// charset_types, addition_types, ...): the response's type, without
// parameters and case aside, is text/html or in the list, or the list
// has "*".
func TypeMatches(contentType string, types []string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	if ct == "text/html" {
		return true
	}
	for _, t := range types {
		if t == "*" || t == ct {
			return true
		}
	}
	return false
}
