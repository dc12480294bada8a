// Package httpcore holds nginx's per-request state and the rules every
// content handler shares: variables, URI normalisation, the header filter
// (Server, add_header, expires), special responses and redirects. The
// *Request is the http.ResponseWriter that content handlers receive, so
// they stay plain http.Handlers and still reach nginx's state through
// From(w).
package httpcore

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"time"

	"goproxy/confparse"
	"goproxy/httpd"
)

// Version is goproxy's version, shown where nginx shows its own.
const Version = "0.1.0"

// Engine is what a Request needs from the router: internal redirects.
type Engine interface {
	// InternalRedirect restarts processing at uri ("/x" or "@named"),
	// as nginx's ngx_http_internal_redirect / named_location.
	InternalRedirect(rq *Request, uri, args string)
}

// Server is what a Request knows of its server block.
type Server struct {
	Conf *confparse.Server
	// Name is the first server_name, for $server_name.
	Name string
}

// Request is one client request as nginx sees it.
type Request struct {
	W    http.ResponseWriter // the engine's writer
	R    *http.Request
	Conn *httpd.Conn
	Cfg  *confparse.Config
	Eng  Engine
	Vars *VarTable

	Server   *Server
	Loc      *confparse.Loc      // settings of the location (or if block) in force
	Location *confparse.Location // nil before find-location, or for a server-level if
	// LocName names the location for logs and metrics ("/static/", "@app").
	LocName string

	URI      string // $uri: decoded, normalised, maybe rewritten
	Args     string // $args
	Internal bool   // reached by an internal redirect
	// URIChanged says a rewrite changed the URI in the current location
	// (rewrite ... break), for proxy_pass.
	URIChanged bool
	// Rewritten says a rewrite changed the URI at some point: the
	// client's request URI is then no longer the one to send upstream.
	Rewritten bool
	// KeepLocation keeps a relative Location header relative: an
	// upstream's own redirect that no proxy_redirect rule changed.
	KeepLocation bool
	// AddURIToAlias says try_files found the URI under a regex
	// location's alias: the file is then the alias and the URI.
	AddURIToAlias bool
	Redirects     int // internal redirects so far (nginx stops at 10)
	Start         time.Time
	// LimitRate is $limit_rate; limitRateSet says "set $limit_rate"
	// chose it, so limit_rate is not evaluated (ratelimit.go).
	LimitRate    int64
	limitRateSet bool
	Host         string // $host: validated Host, or the server name
	// HostOK says the Host header is valid (ngx_http_validate_host).
	HostOK bool

	// Regex captures of the last successful match: Caps holds index
	// pairs into CapSrc, and Named the named ones by name.
	CapSrc string
	Caps   []int
	Named  map[string]string

	// Set holds variables set by "set" and cached map results.
	Set map[string]string

	// DocRoot is $document_root, Filename $request_filename, computed
	// by MapURIToPath.
	DocRoot  string
	Filename string

	// ErrorPage is true once an error_page redirect happened.
	ErrorPage bool
	// ErrStatus, when set, replaces the status of the response sent
	// (error_page keeps the error's code for the page it redirects to).
	ErrStatus int
	// Upstream holds proxy results for $upstream_* variables.
	Upstream    *UpstreamInfo
	upstream    UpstreamInfo
	status      int
	wroteHeader bool
	// Body bytes sent, counted here for $body_bytes_sent on any writer.
	sent int64
	// BodyFilter, if set, wraps the writer (gzip).
	body io.Writer
	// RequestID is $request_id, made on first use.
	requestID string
	// RequestBody is $request_body: the body once a module (proxy_pass)
	// has read it into memory, as nginx has it in its buffer; nil while
	// unread, streamed or written to a temporary file.
	RequestBody []byte
	// Aborted says the connection was closed without a response.
	Aborted bool
	// Release runs when the request ends (limit_conn counts).
	Release []func()
	// RealIPFrom is the connection's own address ("ip:port") once the
	// realip module replaced the client address in R.RemoteAddr, for
	// $realip_remote_addr; "" when it did not.
	RealIPFrom string
	// Parent is the main request of an auth_request subrequest.
	Parent *Request
	// GzipVary asks for "Vary: Accept-Encoding" when gzip_vary is on
	// (nginx's r->gzip_vary): set by gzip, gzip_static and gunzip.
	GzipVary bool
}

// UpstreamInfo is what the proxy records for $upstream_* variables.
type UpstreamInfo struct {
	Addr           []string
	Status         []string
	ResponseTime   []string
	ConnectTime    []string
	HeaderTime     []string
	BytesReceived  []string
	BytesSent      []string
	ResponseLength []string
	Header         http.Header
	ProxyHost      string
	ProxyPort      string
	// Group is the upstream's name and Elapsed the time until the
	// response head, for metrics.
	Group   string
	Elapsed time.Duration
	// one backs each list's first element, so a request with a single
	// try appends without allocating.
	one [8][1]string
}

// NewUpstream resets the request's upstream record and returns it.
func (rq *Request) NewUpstream() *UpstreamInfo {
	u := &rq.upstream
	*u = UpstreamInfo{}
	u.Addr, u.Status, u.ResponseTime, u.ConnectTime = u.one[0][:0], u.one[1][:0], u.one[2][:0], u.one[3][:0]
	u.HeaderTime, u.BytesReceived, u.BytesSent, u.ResponseLength = u.one[4][:0], u.one[5][:0], u.one[6][:0], u.one[7][:0]
	rq.Upstream = u
	return u
}

// From returns the Request behind a ResponseWriter handed to a content
// handler, or nil.
func From(w http.ResponseWriter) *Request {
	rq, _ := w.(*Request)
	return rq
}

// Header implements http.ResponseWriter.
func (rq *Request) Header() http.Header { return rq.W.Header() }

// Status is the response status once the header is written.
func (rq *Request) Status() int { return rq.status }

// SetStatus records the status about to be sent, for $status while
// the response is still being made ("return" sets it before its text
// is evaluated, as nginx does).
func (rq *Request) SetStatus(code int) {
	if !rq.wroteHeader {
		rq.status = code
	}
}

// WroteHeader says whether the response header is gone.
func (rq *Request) WroteHeader() bool { return rq.wroteHeader }

// WriteHeader runs nginx's header filters, then sends the header.
func (rq *Request) WriteHeader(code int) {
	if rq.wroteHeader {
		return
	}
	rq.wroteHeader = true
	if rq.ErrStatus != 0 {
		code = rq.ErrStatus
	}
	rq.status = code
	rq.keepalive()
	rq.headerFilter(code)
	for _, f := range headerFilters {
		f(rq, code)
	}
	rq.W.WriteHeader(code)
}

// headerFilters are module filters run just before a header is sent,
// after the core ones (nginx's header filter chain).
var headerFilters []func(rq *Request, status int)

// RegisterHeaderFilter adds a module's header filter; modules call it
// from init, so the chain is fixed before any request.
func RegisterHeaderFilter(f func(rq *Request, status int)) {
	headerFilters = append(headerFilters, f)
}

// bodyTransforms report whether a module will rewrite the body of the
// response about to be sent (gzip); ranges then do not apply.
var bodyTransforms []func(rq *Request, status int) bool

// RegisterBodyTransform adds such a module check; called from init.
func RegisterBodyTransform(f func(rq *Request, status int) bool) {
	bodyTransforms = append(bodyTransforms, f)
}

// WillTransform says whether a body filter will rewrite a response with
// this status and the headers set so far.
func (rq *Request) WillTransform(status int) bool {
	for _, f := range bodyTransforms {
		if f(rq, status) {
			return true
		}
	}
	return false
}

// keepalive applies the location's keep-alive settings to the
// connection before the Connection header is decided.
func (rq *Request) keepalive() {
	if rq.Conn == nil || rq.Loc == nil {
		return
	}
	c := &rq.Loc.Core
	rq.Conn.IdleTimeout = *c.KeepaliveTimeout
	rq.Conn.SendTimeout = *c.SendTimeout
	if c.KeepaliveHeader != nil {
		rq.Conn.KeepAliveHeader = *c.KeepaliveHeader
	}
	if *c.KeepaliveTimeout <= 0 || rq.Conn.Requests >= *c.KeepaliveRequests ||
		time.Since(rq.Conn.Start) > *c.KeepaliveTime {
		rq.Conn.KeepAlive = false
	}
	if !*c.ChunkedTransferEncoding {
		if cw, ok := rq.W.(httpd.ConnWriter); ok {
			cw.DisableChunking()
		}
	}
}

// SetBodyFilter routes the body through w (a compressor); the filter
// writes to rq.Raw().
func (rq *Request) SetBodyFilter(w io.Writer) { rq.body = w }

// Raw is the writer below the body filters.
func (rq *Request) Raw() io.Writer { return rawWriter{rq} }

type rawWriter struct{ rq *Request }

func (r rawWriter) Write(p []byte) (int, error) {
	n, err := r.rq.W.Write(p)
	r.rq.sent += int64(n)
	return n, err
}

func (rq *Request) Write(p []byte) (int, error) {
	if !rq.wroteHeader {
		rq.WriteHeader(200)
	}
	if rq.body != nil {
		return rq.body.Write(p)
	}
	n, err := rq.W.Write(p)
	rq.sent += int64(n)
	return n, err
}

// ReadFrom lets the engine send files with sendfile when no body filter
// is in the way.
func (rq *Request) ReadFrom(src io.Reader) (int64, error) {
	if !rq.wroteHeader {
		rq.WriteHeader(200)
	}
	if rq.body == nil {
		if rf, ok := rq.W.(io.ReaderFrom); ok {
			n, err := rf.ReadFrom(src)
			rq.sent += n
			return n, err
		}
	}
	return io.Copy(writerOnly{rq}, src)
}

type writerOnly struct{ io.Writer }

// Flush implements http.Flusher.
func (rq *Request) Flush() {
	if !rq.wroteHeader {
		rq.WriteHeader(200)
	}
	if f, ok := rq.body.(interface{ Flush() error }); ok {
		f.Flush()
	}
	if f, ok := rq.W.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack implements http.Hijacker for protocol upgrades.
func (rq *Request) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := rq.W.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, http.ErrNotSupported
}

// BodyBytesSent is $body_bytes_sent.
func (rq *Request) BodyBytesSent() int64 { return rq.sent }

// CloseBody finishes a body filter (a compressor's trailer).
func (rq *Request) CloseBody() {
	if c, ok := rq.body.(io.Closer); ok {
		c.Close()
	}
	rq.body = nil
}
