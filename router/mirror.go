package router

// mirror.go is ngx_http_mirror_module: in the precontent phase of a
// main request, each mirror URI becomes a background subrequest with the
// client's method, arguments and (mirror_request_body on) body, read
// whole first. Its response is dropped; the client's goes on beside it,
// and the request ends once the mirrors are done (httpcore.Beside).

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"

	"goproxy/httpcore"
	"goproxy/httpd"
)

// mirror starts the location's mirrors; false when the request was
// answered instead (its body could not be read).
func (rt *Router) mirror(rq *httpcore.Request) bool {
	m := &rq.Loc.Mirror
	if rq.Parent != nil || len(m.URIs) == 0 {
		return true
	}
	var body []byte
	if *m.RequestBody {
		b, status := holdBody(rq)
		if status != 0 {
			rq.Error(status)
			return false
		}
		body = b
	}
	// A location's mirrors run one after the other, beside the main
	// request: in the order written, as nginx's finish when they answer
	// at once (a static file, a return).
	rq.Background(httpcore.Beside, func(snap *httpcore.Request) {
		for _, uri := range m.URIs {
			rt.run(snap, &httpcore.SubOptions{URI: uri, Args: snap.Args, Method: snap.R.Method, RequestBody: body})
		}
	})
	return true
}

// heldBody is a client's body read whole for the mirrors; the main
// request reads it from memory, and a later location's mirrors (after
// an internal redirect) send it again.
type heldBody struct {
	*bytes.Reader
	b []byte
}

func (heldBody) Close() error { return nil }

// holdBody reads the client's body into memory (nil without one); a
// non-zero status answers the request instead.
func holdBody(rq *httpcore.Request) ([]byte, int) {
	r := rq.R
	if h, ok := r.Body.(heldBody); ok {
		return h.b, 0
	}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil, 0
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var se *httpd.StatusError
		var ne net.Error
		switch {
		case errors.As(err, &se):
			return nil, se.Status
		case errors.As(err, &ne) && ne.Timeout():
			return nil, 408
		}
		return nil, 400
	}
	r.Body, r.ContentLength = heldBody{bytes.NewReader(b), b}, int64(len(b))
	rq.SetRequestBody(b)
	rq.ReadBodyLength, rq.BodyRead = int64(len(b)), true
	return b, 0
}
