package router

// acme.go answers ACME HTTP-01 validation on plain HTTP before the
// server's rewrites and locations run, as nginx's acme module does: a
// config whose port 80 only redirects or returns 404 still validates.

import (
	"net/http"
	"strconv"

	"goproxy/acme"
	"goproxy/httpcore"
)

// acmeChallenge answers a request for a token being validated; false
// leaves the request to the configuration.
func (rt *Router) acmeChallenge(rq *httpcore.Request) bool {
	if rt.acme == nil || (rq.R.Method != http.MethodGet && rq.R.Method != http.MethodHead) {
		return false
	}
	resp, ok := acme.HTTPChallenge(rq.URI)
	if !ok {
		return false
	}
	h := rq.W.Header()
	h["Content-Type"] = []string{"text/plain"}
	h["Content-Length"] = []string{strconv.Itoa(len(resp))}
	rq.WriteHeader(http.StatusOK)
	if rq.R.Method != http.MethodHead {
		rq.Write([]byte(resp))
	}
	return true
}
