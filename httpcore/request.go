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
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"goproxy/confparse"
	"goproxy/httpd"
	"goproxy/metrics"
)

// Version is goproxy's version, shown where nginx shows its own.
const Version = "0.1.0"

// Engine is what a Request needs from the router: internal redirects.
type Engine interface {
	// InternalRedirect restarts processing at uri ("/x" or "@named"),
	// as nginx's ngx_http_internal_redirect / named_location.
	InternalRedirect(rq *Request, uri, args string)
}

// Subrequester is implemented by the engine: it runs a subrequest for
// uri and writes its body to body (the output the addition module adds
// to a response), returning its status.
type Subrequester interface {
	Subrequest(parent *Request, uri string, body io.Writer) int
	// SubrequestWith runs a subrequest as o describes (the SSI
	// module's include: arguments, and a stub for a failed or empty
	// one), returning its status.
	SubrequestWith(parent *Request, o *SubOptions) int
}

// SubOptions describe a subrequest beyond its URI.
type SubOptions struct {
	URI, Args string
	// Body receives the subrequest's output (nil: dropped).
	Body io.Writer
	// Stub, when set, makes the output of a subrequest that sent none:
	// it runs instead of the error page of a failed one (nginx calls
	// the post-subrequest handler before the special response) and
	// after one that ended with an empty body.
	Stub func(sub *Request)
	// Done sees the finished subrequest before it is recycled.
	Done func(sub *Request)
	// InMemory says Body keeps the output in memory (SSI's set=): it
	// may then be no longer than the subrequest's location's
	// subrequest_output_buffer_size, and a longer one ends the main
	// request without a response, as in nginx.
	InMemory bool
	// Method is the subrequest's method ("": GET), and RequestBody the
	// client's body it sends (nil: none): a mirror repeats the client's
	// request.
	Method      string
	RequestBody []byte
	// Clone runs the subrequest in its parent's location, from the
	// content phase, with the parent's method (nginx's
	// NGX_HTTP_SUBREQUEST_CLONE, the slice module's).
	Clone bool
	// Init sees the subrequest before it runs; OnHeader becomes its
	// Request.OnHeader.
	Init     func(sub *Request)
	OnHeader func(sub *Request, code int)
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
	// ProxyContent says proxy_pass is the content handler: it is chosen
	// when a location is entered and by an if block that has proxy_pass,
	// and kept through a later matching if block that has none (whose
	// settings then name no upstream), as nginx keeps its content handler.
	ProxyContent bool

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
	// ReadBodyLength is the length of a body without Content-Length
	// (chunked) once it has been read in full, and BodyRead says it
	// was: $content_length then gives it, as in nginx.
	ReadBodyLength int64
	BodyRead       bool
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
	// body is the first body filter (nil without any), filters all of
	// them in chain order, and bodyTail the link the last one writes to.
	body     io.Writer
	filters  []io.Writer
	bodyTail *bodyLink
	// OverrideCharset is the charset an upstream's X-Accel-Charset
	// asks the response to be sent in.
	OverrideCharset string
	// EntityType is the Content-Type of the parts of a multipart range
	// response, for the filters that read the type.
	EntityType string
	// RequestID is $request_id, made on first use.
	requestID string
	// Aborted says the connection was closed without a response.
	Aborted bool
	// expectTrailers says add_trailer applies to the main response
	// (nginx's r->expect_trailers); trailers are the ones sent, for
	// $sent_trailer_*.
	expectTrailers bool
	trailers       []Trailer
	// Release runs when the request ends (limit_conn counts).
	Release []func()
	// afterResponse runs once the main response is complete, background
	// counts the work running beside the request, backgrounds the work
	// started and not yet waited for (background.go).
	afterResponse []func()
	background    sync.WaitGroup
	backgrounds   int
	// requestBody is $request_body: the client's body once a module has
	// read all of it into memory; nil while it is unread, or when it
	// went to a temporary file, as in nginx. Atomic: a streamed body is
	// read by the goroutine sending it upstream.
	requestBody atomic.Pointer[[]byte]
	// requestBodyFile is $request_body_file, once the body is in one.
	requestBodyFile atomic.Pointer[string]
	// RealIPFrom is the connection's own address ("ip:port") once the
	// realip module replaced the client address in R.RemoteAddr, for
	// $realip_remote_addr; "" when it did not.
	RealIPFrom string
	// Parent is the request a subrequest was made for (auth_request,
	// addition, SSI include).
	Parent *Request
	// PostSubrequest, on a subrequest, sees an error status before its
	// page is sent and returns true when it made the output itself
	// (the SSI stub).
	PostSubrequest func(rq *Request, code int) bool
	// OnHeader, on a subrequest, sees its response head as its handler
	// made it, before the header filters (the slice module checks each
	// slice's range there).
	OnHeader func(rq *Request, code int)
	// Slice is the slice module's state of a main request and of the
	// subrequests that fetch its slices ($slice_range).
	Slice any
	// SSI is the SSI module's state of the request, for $date_gmt's
	// timefmt and the variables and blocks a main request's includes
	// share.
	SSI any
	// GzipVary asks for "Vary: Accept-Encoding" when gzip_vary is on
	// (nginx's r->gzip_vary): set by gzip, gzip_static and gunzip.
	GzipVary bool
	// modCtx is the state modules keep for the request, each under a
	// key of its own (nginx's module ctx): userid's cookie,
	// secure_link's expiry.
	modCtx map[any]any
}

// ModCtx is the state a module keeps for the request under key, or nil.
func (rq *Request) ModCtx(key any) any { return rq.modCtx[key] }

// SetModCtx records a module's state of the request.
func (rq *Request) SetModCtx(key, v any) {
	if rq.modCtx == nil {
		rq.modCtx = map[any]any{}
	}
	rq.modCtx[key] = v
}

// ClearModCtx forgets every module's state, as nginx's internal
// redirect does.
func (rq *Request) ClearModCtx() { rq.modCtx = nil }

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
	// CacheStatus is $upstream_cache_status ("" when no cache applies).
	CacheStatus string
	// Timer is the upstream's response-time series and Elapsed the
	// time until the response head, for metrics.
	Timer   *metrics.UpstreamTimer
	Elapsed time.Duration
	// one backs each list's first element, so a request with a single
	// try appends without allocating.
	one [8][1]string
}

// Clone copies the record, its lists too (a request's own record is
// reused once the request ends).
func (u *UpstreamInfo) Clone() *UpstreamInfo {
	c := *u
	for _, l := range []*[]string{&c.Addr, &c.Status, &c.ResponseTime, &c.ConnectTime, &c.HeaderTime,
		&c.BytesReceived, &c.BytesSent, &c.ResponseLength} {
		*l = slices.Clone(*l)
	}
	c.Header = u.Header.Clone()
	return &c
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
	if rq.OnHeader != nil {
		rq.OnHeader(rq, code)
	}
	rq.keepalive()
	rq.headerFilter(code)
	for _, hf := range headerFilters {
		hf.f(rq, code)
	}
	rq.W.WriteHeader(code)
}

// FilterOrder places a module's filter in the chain. The order is
// nginx's (its ngx_modules list): a module's header filter runs at its
// place and may add its body filter there, so a body goes gunzip →
// addition → sub → charset → ssi → gzip whatever the order packages
// are initialised in.
type FilterOrder int

// The modules' places in the filter chain.
const (
	OrderUserid FilterOrder = iota
	OrderGunzip
	OrderAddition
	OrderSub
	OrderCharset
	OrderSSI
	OrderGzip
)

type headerFilter struct {
	order FilterOrder
	f     func(rq *Request, status int)
}

// headerFilters are module filters run just before a header is sent,
// after the core ones (nginx's header filter chain), in FilterOrder.
var headerFilters []headerFilter

// RegisterHeaderFilter adds a module's header filter at its place;
// modules call it from init, so the chain is fixed before any request.
func RegisterHeaderFilter(order FilterOrder, f func(rq *Request, status int)) {
	i := len(headerFilters)
	for i > 0 && headerFilters[i-1].order > order {
		i--
	}
	headerFilters = slices.Insert(headerFilters, i, headerFilter{order, f})
}

// typeFilters name what a module will add to a Content-Type (the
// charset), for a multipart range response whose parts carry the type.
var typeFilters []func(rq *Request, ct string) string

// RegisterTypeFilter adds such a module function; called from init.
func RegisterTypeFilter(f func(rq *Request, ct string) string) {
	typeFilters = append(typeFilters, f)
}

// SetEntityType records the type of a multipart response's parts and
// returns it as the modules' header filters will make it.
func (rq *Request) SetEntityType(ct string) string {
	rq.EntityType = ct
	for _, f := range typeFilters {
		ct = f(rq, ct)
	}
	return ct
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

// AddBodyFilter puts a body filter at the end of the chain; header
// filters call it in FilterOrder, so the chain is in nginx's order. make
// gets the writer the filter writes to: the filters added after it, then
// the connection.
func (rq *Request) AddBodyFilter(make func(next io.Writer) io.Writer) {
	link := &bodyLink{w: rawWriter{rq}}
	f := make(link)
	if rq.body == nil {
		rq.body = f
	} else {
		rq.bodyTail.w = f
	}
	rq.bodyTail = link
	rq.filters = append(rq.filters, f)
}

// bodyLink is the writer below a body filter, set to the next filter
// when one is added.
type bodyLink struct{ w io.Writer }

func (l *bodyLink) Write(p []byte) (int, error) { return l.w.Write(p) }

// rawWriter is the writer below the body filters.
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
	for _, bf := range rq.filters {
		if f, ok := bf.(interface{ Flush() error }); ok {
			f.Flush()
		}
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

// CountSent adds n bytes written to the client past the writer (an
// upgraded connection's tunnel) to $body_bytes_sent, as nginx counts
// them.
func (rq *Request) CountSent(n int64) { rq.sent += n }

// SetRequestBody records the client's body, read whole into memory,
// for $request_body.
func (rq *Request) SetRequestBody(b []byte) { rq.requestBody.Store(&b) }

// SetRequestBodyFile records the temporary file the client's body was
// written to, for $request_body_file.
func (rq *Request) SetRequestBodyFile(name string) { rq.requestBodyFile.Store(&name) }

// BodyBytesSent is $body_bytes_sent.
func (rq *Request) BodyBytesSent() int64 { return rq.sent }

// CutShort says whether the response ended early: closed without one,
// or its body cut off (an upstream that closed mid-body), so body
// filters do not finish it as a whole one (nginx's never see the last
// buffer then).
func (rq *Request) CutShort() bool {
	if rq.Aborted {
		return true
	}
	a, ok := rq.W.(interface{ Aborted() bool })
	return ok && a.Aborted()
}

// CloseBody finishes the body filters in chain order, each sending what
// it holds (a compressor's trailer) to the next before that one closes,
// then the add_trailer fields.
func (rq *Request) CloseBody() {
	for _, bf := range rq.filters {
		if c, ok := bf.(io.Closer); ok {
			c.Close()
		}
	}
	rq.body, rq.filters, rq.bodyTail = nil, nil, nil
	if rq.expectTrailers {
		rq.sendTrailers()
	}
}
