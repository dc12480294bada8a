package httpcore

// vars.go evaluates nginx variables and pre-split templates.

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"goproxy/authbasic"
	"goproxy/confparse"
	"goproxy/httpd"
)

// VarTable holds what the configuration defines: maps, and the
// variables of geo, split_clients and set (modvars.go).
type VarTable struct {
	Maps map[string]*confparse.Map
	// Funcs evaluate geo and split_clients variables.
	Funcs map[string]func(rq *Request) string
	// SetVars are the variables only "set" gives a value
	// (uninitialized_variable_warn).
	SetVars map[string]bool
}

// NewVarTable indexes a configuration's maps.
func NewVarTable(h *confparse.HTTPConf) *VarTable {
	t := &VarTable{Maps: map[string]*confparse.Map{}}
	if h != nil {
		for _, m := range h.Maps {
			t.Maps[m.Var] = m
		}
		t.addModuleVars(h)
	}
	return t
}

// Eval expands a template for this request.
func (rq *Request) Eval(t *confparse.Template) string {
	if t == nil {
		return ""
	}
	switch len(t.Parts) {
	case 0:
		return ""
	case 1:
		p := &t.Parts[0]
		if p.Var == "" && !p.IsCap {
			return p.Lit
		}
	}
	// The values first, then one allocation of the right size.
	var stack [16]string
	vals, n := stack[:0], 0
	for i := range t.Parts {
		p := &t.Parts[i]
		var v string
		switch {
		case p.IsCap:
			v = rq.Capture(p.Capture)
		case p.Var != "":
			v, _ = rq.Var(p.Var)
		default:
			v = p.Lit
		}
		vals = append(vals, v)
		n += len(v)
	}
	var b strings.Builder
	b.Grow(n)
	for _, v := range vals {
		b.WriteString(v)
	}
	return b.String()
}

// Capture returns $n of the last regex match.
func (rq *Request) Capture(n int) string {
	if 2*n+1 >= len(rq.Caps) || rq.Caps[2*n] < 0 {
		return ""
	}
	return rq.CapSrc[rq.Caps[2*n]:rq.Caps[2*n+1]]
}

// FindRegex runs re on s as ngx_http_regex_exec does: a match that hits
// the match limit is logged at "alert" and returned as an error; nginx
// then answers 500 where it was choosing a location or rewriting, and
// takes it for no match elsewhere.
func (rq *Request) FindRegex(re *confparse.Regexp, s string) ([]int, error) {
	m, err := re.FindIndex(s)
	if err != nil {
		rq.LogRegexError(err)
	}
	return m, err
}

// MatchRegex is FindRegex without the captures.
func (rq *Request) MatchRegex(re *confparse.Regexp, s string) (bool, error) {
	ok, err := re.Match(s)
	if err != nil {
		rq.LogRegexError(err)
	}
	return ok, err
}

// LogRegexError writes a failed match to the error log.
func (rq *Request) LogRegexError(err error) {
	if l, ok := rq.Eng.(RequestLogger); ok {
		l.LogRequest(rq, confparse.LevelAlert, err.Error())
	}
}

// SetCaptures records a successful match for $1..$9 and named captures.
func (rq *Request) SetCaptures(r *confparse.Regexp, src string, m []int) {
	rq.CapSrc, rq.Caps = src, m
	for i, n := range r.SubexpNames() {
		if n == "" || 2*i+1 >= len(m) {
			continue
		}
		if rq.Named == nil {
			rq.Named = map[string]string{}
		}
		if m[2*i] >= 0 {
			rq.Named[strings.ToLower(n)] = src[m[2*i]:m[2*i+1]]
		} else {
			rq.Named[strings.ToLower(n)] = ""
		}
	}
}

// SetVar is "set $name value".
func (rq *Request) SetVar(name, value string) {
	if rq.Set == nil {
		rq.Set = map[string]string{}
	}
	switch name {
	case "args":
		rq.Args = value
		return
	case "limit_rate":
		rq.setLimitRate(value)
		return
	}
	rq.Set[name] = value
}

// Var returns a variable's value and whether it is defined.
func (rq *Request) Var(name string) (string, bool) {
	if v, ok := rq.Set[name]; ok {
		return v, true
	}
	if v, ok := rq.Named[name]; ok {
		return v, true
	}
	if rq.Vars != nil {
		if m, ok := rq.Vars.Maps[name]; ok {
			return rq.evalMap(m), true
		}
		if f, ok := rq.Vars.Funcs[name]; ok {
			return f(rq), true
		}
		if rq.Vars.SetVars[name] {
			return rq.uninitialized(name), true
		}
	}
	if g, ok := lookupVariable(name); ok {
		return g(rq, name)
	}
	return "", false
}

// SetByModule is the getter of a variable a module's handler sets
// ($gzip_ratio, $limit_req_status): its value once set; nginx has no
// value (logged as "-") where the module did not set it.
func SetByModule(rq *Request, name string) (string, bool) {
	v := rq.Set[name]
	return v, v != ""
}

// coreVariables are ngx_http_core_module's variables.
var coreVariables = []Variable{
	{"uri", func(rq *Request, _ string) (string, bool) {
		return rq.URI, true
	}},
	{"document_uri", func(rq *Request, _ string) (string, bool) {
		return rq.URI, true
	}},
	{"args", func(rq *Request, _ string) (string, bool) {
		// Without arguments nginx has no value ("-" in logs).
		return rq.Args, rq.Args != ""
	}},
	{"query_string", func(rq *Request, _ string) (string, bool) {
		// Without arguments nginx has no value ("-" in logs).
		return rq.Args, rq.Args != ""
	}},
	{"is_args", func(rq *Request, _ string) (string, bool) {
		if rq.Args != "" {
			return "?", true
		}
		return "", true
	}},
	{"request_uri", func(rq *Request, _ string) (string, bool) {
		r := rq.R
		return requestURI(r.RequestURI), true
	}},
	{"request_method", func(rq *Request, _ string) (string, bool) {
		return rq.mainR().Method, true
	}},
	{"request", func(rq *Request, _ string) (string, bool) {
		return RequestLine(rq.mainR()), true
	}},
	{"server_protocol", func(rq *Request, _ string) (string, bool) {
		r := rq.R
		if r.ProtoMajor == 0 {
			return "", true // nginx leaves it empty for HTTP/0.9
		}
		return r.Proto, true
	}},
	{"scheme", func(rq *Request, _ string) (string, bool) {
		return rq.Scheme(), true
	}},
	{"https", func(rq *Request, _ string) (string, bool) {
		r := rq.R
		if r.TLS != nil {
			return "on", true
		}
		return "", true
	}},
	{"host", func(rq *Request, _ string) (string, bool) {
		return rq.Host, true
	}},
	{"hostname", func(rq *Request, name string) (string, bool) {
		return hostname, true
	}},
	{"remote_addr", func(rq *Request, _ string) (string, bool) {
		ip, _ := rq.RemoteAddrPort()
		return ip, true
	}},
	{"remote_port", func(rq *Request, _ string) (string, bool) {
		_, p := rq.RemoteAddrPort()
		return p, true
	}},
	{"binary_remote_addr", func(rq *Request, _ string) (string, bool) {
		ip, _ := rq.RemoteAddrPort()
		if a := net.ParseIP(ip); a != nil {
			if a4 := a.To4(); a4 != nil {
				return string(a4), true
			}
			return string(a), true
		}
		return "", true
	}},
	{"server_addr", func(rq *Request, _ string) (string, bool) {
		ip, _ := rq.LocalAddrPort()
		return ip, true
	}},
	{"server_port", func(rq *Request, _ string) (string, bool) {
		_, p := rq.LocalAddrPort()
		return p, true
	}},
	{"server_name", func(rq *Request, _ string) (string, bool) {
		if rq.Server != nil {
			return rq.Server.Name, true
		}
		return "", true
	}},
	{"remote_user", func(rq *Request, _ string) (string, bool) {
		r := rq.R
		u, _, ok := authbasic.Credentials(r.Header.Get("Authorization"))
		return u, ok
	}},
	{"content_length", func(rq *Request, _ string) (string, bool) {
		r := rq.R
		if _, ok := r.Header["Content-Length"]; !ok && rq.BodyRead {
			return strconv.FormatInt(rq.ReadBodyLength, 10), true
		}
		return headerFound(r.Header, "Content-Length")
	}},
	{"content_type", func(rq *Request, _ string) (string, bool) {
		r := rq.R
		return headerFound(r.Header, "Content-Type")
	}},
	{"document_root", func(rq *Request, _ string) (string, bool) {
		rq.MapURIToPath()
		return rq.DocRoot, true
	}},
	{"realpath_root", func(rq *Request, _ string) (string, bool) {
		rq.MapURIToPath()
		p, err := filepath.EvalSymlinks(rq.DocRoot)
		if err != nil {
			return "", true
		}
		return p, true
	}},
	{"request_filename", func(rq *Request, name string) (string, bool) {
		rq.MapURIToPath()
		return rq.Filename, true
	}},
	{"status", func(rq *Request, _ string) (string, bool) {
		r := rq.R
		// nginx's order: the error_page status, the status set so far,
		// "009" for HTTP/0.9, "000".
		switch {
		case rq.ErrStatus != 0:
			return strconv.Itoa(rq.ErrStatus), true
		case rq.status != 0:
			return strconv.Itoa(rq.status), true
		case r.ProtoMajor == 0:
			return "009", true
		}
		return "000", true
	}},
	{"body_bytes_sent", func(rq *Request, _ string) (string, bool) {
		return strconv.FormatInt(rq.sent, 10), true
	}},
	{"bytes_sent", func(rq *Request, _ string) (string, bool) {
		var hb int64
		if cw, ok := rq.W.(httpd.ConnWriter); ok {
			hb = cw.HeaderBytes()
		}
		return strconv.FormatInt(rq.sent+hb, 10), true
	}},
	{"request_length", func(rq *Request, _ string) (string, bool) {
		return strconv.FormatInt(rq.RequestLength(), 10), true
	}},
	{"request_time", func(rq *Request, _ string) (string, bool) {
		return FormatSeconds(time.Since(rq.Start)), true
	}},
	{"connection_time", func(rq *Request, _ string) (string, bool) {
		if rq.Conn != nil {
			return FormatSeconds(time.Since(rq.Conn.Start)), true
		}
		return "0.000", true
	}},
	{"connection", func(rq *Request, _ string) (string, bool) {
		if rq.Conn != nil {
			return strconv.FormatUint(rq.Conn.ID, 10), true
		}
		return "0", true
	}},
	{"connection_requests", func(rq *Request, _ string) (string, bool) {
		if rq.Conn != nil {
			return strconv.Itoa(rq.Conn.Requests), true
		}
		return "1", true
	}},
	{"pipe", func(rq *Request, _ string) (string, bool) {
		if rq.Conn != nil && rq.Conn.Pipelined {
			return "p", true
		}
		return ".", true
	}},
	{"msec", func(rq *Request, _ string) (string, bool) {
		now := time.Now()
		return strconv.FormatInt(now.Unix(), 10) + "." + pad3(now.Nanosecond()/1e6), true
	}},
	{"time_local", func(rq *Request, _ string) (string, bool) {
		return time.Now().Format("02/Jan/2006:15:04:05 -0700"), true
	}},
	{"time_iso8601", func(rq *Request, _ string) (string, bool) {
		return time.Now().Format("2006-01-02T15:04:05-07:00"), true
	}},
	{"nginx_version", func(rq *Request, _ string) (string, bool) {
		return Version, true
	}},
	{"pid", func(rq *Request, _ string) (string, bool) {
		return pid, true
	}},
	{"request_id", func(rq *Request, _ string) (string, bool) {
		// A subrequest has its main request's id, as in nginx.
		rq = rq.Main()
		if rq.requestID == "" {
			var b [16]byte
			rand.Read(b[:])
			rq.requestID = hex.EncodeToString(b[:])
		}
		return rq.requestID, true
	}},
	{"request_completion", func(rq *Request, _ string) (string, bool) {
		if rq.wroteHeader {
			return "OK", true
		}
		return "", true
	}},
	{"request_body", func(rq *Request, _ string) (string, bool) {
		if b := rq.requestBody.Load(); b != nil {
			return string(*b), true
		}
		return "", false
	}},
	{"request_body_file", func(rq *Request, _ string) (string, bool) {
		if f := rq.requestBodyFile.Load(); f != nil {
			return *f, true
		}
		return "", false
	}},
	{"limit_rate", func(rq *Request, _ string) (string, bool) {
		return strconv.FormatInt(rq.LimitRate, 10), true
	}},

	// The families: request and response headers, cookies, arguments.
	{"http_", func(rq *Request, name string) (string, bool) {
		return headerVarFound(rq.R.Header, name[len("http_"):])
	}},
	{"sent_http_", func(rq *Request, name string) (string, bool) {
		return sentHeaderVarFound(rq.W.Header(), name[len("sent_http_"):])
	}},
	{"sent_trailer_", func(rq *Request, name string) (string, bool) {
		return rq.sentTrailer(name[len("sent_trailer_"):])
	}},
	{"cookie_", func(rq *Request, name string) (string, bool) {
		v := CookieVar(rq.R.Header.Values("Cookie"), name[len("cookie_"):])
		return v, v != ""
	}},
	{"arg_", func(rq *Request, name string) (string, bool) {
		return argFound(rq.Args, name[len("arg_"):])
	}},

	// What a PROXY protocol header said; not found on other connections.
	{"proxy_protocol_addr", proxyProtocolVar(func(pp *httpd.ProxyProtocol) string { return pp.SrcAddr })},
	{"proxy_protocol_port", proxyProtocolVar(func(pp *httpd.ProxyProtocol) string { return pp.SrcPort })},
	{"proxy_protocol_server_addr", proxyProtocolVar(func(pp *httpd.ProxyProtocol) string { return pp.DstAddr })},
	{"proxy_protocol_server_port", proxyProtocolVar(func(pp *httpd.ProxyProtocol) string { return pp.DstPort })},
}

func init() { RegisterVariables(coreVariables) }

func proxyProtocolVar(field func(*httpd.ProxyProtocol) string) Getter {
	return func(rq *Request, _ string) (string, bool) {
		if rq.Conn == nil || rq.Conn.ProxyProtocol == nil {
			return "", false
		}
		return field(rq.Conn.ProxyProtocol), true
	}
}

// headerFound is a header's value and whether it was sent: nginx tells
// an absent header (logged as "-") from an empty one.
func headerFound(h http.Header, key string) (string, bool) {
	vs := h[key]
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

func headerVarFound(h http.Header, name string) (string, bool) {
	v := HeaderVar(h, name)
	if v != "" {
		return v, true
	}
	_, ok := h[headerKey(name)]
	return "", ok
}

// sentHeaderVarFound is $sent_http_name. nginx 1.22 keeps Cache-Control
// and Link of a response as lists (several add_header lines, or an
// upstream's repeated headers, make one logical header), so their
// variables join every value with ", "; any other response header gives
// its first value.
func sentHeaderVarFound(h http.Header, name string) (string, bool) {
	key := headerKey(name)
	vs, ok := h[key]
	if len(vs) > 1 && (key == "Cache-Control" || key == "Link") {
		return strings.Join(vs, ", "), true
	}
	if len(vs) == 0 {
		return "", ok
	}
	return vs[0], true
}

// headerKeys caches headerKey: the names come from the configuration's
// templates, so the cache is bounded, and the conversion then costs no
// allocation per request.
var headerKeys sync.Map

// headerKey is the header a $http_name variable reads: "_" stands
// for "-", in net/http's canonical form.
func headerKey(name string) string {
	if k, ok := headerKeys.Load(name); ok {
		return k.(string)
	}
	k := http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-"))
	headerKeys.Store(name, k)
	return k
}

// HeaderVar is $http_name: "_" stands for "-"; several Cookie headers
// join with "; ", several X-Forwarded-For with ", "; other headers give
// their first value (nginx 1.22).
func HeaderVar(h http.Header, name string) string {
	key := headerKey(name)
	vs := h[key]
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return vs[0]
	}
	switch key {
	case "Cookie":
		return strings.Join(vs, "; ")
	case "X-Forwarded-For":
		return strings.Join(vs, ", ")
	}
	return vs[0]
}

// CookieVar finds a cookie by name in Cookie headers.
func CookieVar(headers []string, name string) string {
	for _, h := range headers {
		for h != "" {
			var part string
			part, h, _ = strings.Cut(h, ";")
			part = strings.TrimLeft(part, " ")
			k, v, ok := strings.Cut(part, "=")
			if ok && strings.EqualFold(k, name) {
				return v
			}
		}
	}
	return ""
}

func setCookieVar(headers []string, name string) string {
	for _, h := range headers {
		part, _, _ := strings.Cut(h, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// ArgVar finds a query argument (not decoded), case-insensitively.
func ArgVar(args, name string) string {
	v, _ := argFound(args, name)
	return v
}

// argFound is $arg_name and whether the argument is there with "=":
// "?a=" has an empty a, "?a" none (nginx's ngx_http_arg).
func argFound(args, name string) (string, bool) {
	if name == "" {
		return "", false // $arg_ names no argument in nginx, not "?=v"'s
	}
	for args != "" {
		var part string
		part, args, _ = strings.Cut(args, "&")
		k, v, eq := strings.Cut(part, "=")
		if eq && strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// requestURI is $request_uri: the target as sent, less the scheme and
// host of an absolute-form target ("http://h?x" gives "?x").
func requestURI(t string) string {
	if t == "" || t[0] == '/' {
		return t
	}
	if i := strings.Index(t, "://"); i >= 0 {
		rest := t[i+3:]
		if j := strings.IndexAny(rest, "/?"); j >= 0 {
			return rest[j:]
		}
		return "/"
	}
	return t
}

// RequestLine is $request.
func RequestLine(r *http.Request) string {
	if r.ProtoMajor == 0 {
		return r.Method + " " + r.RequestURI
	}
	return r.Method + " " + r.RequestURI + " " + r.Proto
}

// Scheme is $scheme.
func (rq *Request) Scheme() string {
	if rq.R.TLS != nil {
		return "https"
	}
	return "http"
}

// RemoteAddrPort splits the client address ("unix:" for unix sockets).
func (rq *Request) RemoteAddrPort() (string, string) {
	return SplitAddr(rq.R.RemoteAddr)
}

// LocalAddrPort splits the server address of the connection.
func (rq *Request) LocalAddrPort() (string, string) {
	if rq.Conn == nil || rq.Conn.Local == nil {
		return "", ""
	}
	if rq.Conn.Local.Network() == "unix" {
		return "unix:", ""
	}
	return SplitAddr(rq.Conn.Local.String())
}

// SplitAddr splits an address into host and port; a unix socket's is
// "unix:" as nginx prints it.
func SplitAddr(a string) (string, string) {
	if a == "" || a == "@" || strings.HasPrefix(a, "/") {
		return "unix:", ""
	}
	h, p, err := net.SplitHostPort(a)
	if err != nil {
		return a, ""
	}
	return h, p
}

// RequestLength is $request_length: the request head and body read. The
// head is counted as it came (bare LF line ends, ignored lines); where
// there is no head text (HTTP/2) it is rebuilt from the parsed lines.
func (rq *Request) RequestLength() int64 {
	cw, ok := rq.W.(httpd.ConnWriter)
	if ok {
		if n := cw.HeadBytesRead(); n >= 0 {
			return n + cw.BodyBytesRead()
		}
	}
	n := int64(len(RequestLine(rq.R)) + 2)
	for k, vs := range rq.R.Header {
		for _, v := range vs {
			n += int64(len(k) + len(v) + 4)
		}
	}
	n += 2
	if ok {
		n += cw.BodyBytesRead()
	}
	return n
}

// FormatSeconds renders a duration as nginx's "0.123".
func FormatSeconds(d time.Duration) string {
	ms := d.Milliseconds()
	if ms < 0 {
		ms = 0
	}
	if ms < int64(len(secondsTable)) {
		return secondsTable[ms]
	}
	return strconv.FormatInt(ms/1000, 10) + "." + pad3(int(ms%1000))
}

// secondsTable holds "0.000" to "9.999": request and upstream times are
// formatted on every logged or proxied request.
var secondsTable = func() []string {
	t := make([]string, 10000)
	for i := range t {
		t[i] = strconv.Itoa(i/1000) + "." + pad3(i%1000)
	}
	return t
}()

// StatusString is strconv.Itoa for a status, without allocating for the
// usual ones.
func StatusString(code int) string {
	if code >= 0 && code < len(statusStrings) {
		return statusStrings[code]
	}
	return strconv.Itoa(code)
}

var statusStrings = func() []string {
	t := make([]string, 1000)
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

func pad3(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

var (
	hostname, _ = os.Hostname()
	pid         = strconv.Itoa(os.Getpid())
)

// evalMap evaluates a map variable: exact key, wildcards (hostnames),
// regexes in order, default. Results are cached per request unless the
// map is volatile.
func (rq *Request) evalMap(m *confparse.Map) string {
	src := rq.Eval(m.Source)
	key := strings.ToLower(src)
	if m.Hostnames {
		key = strings.TrimSuffix(key, ".")
	}
	var val *confparse.Template
	if v, ok := m.Exact[key]; ok {
		val = v
	} else if m.Hostnames {
		val = matchWildcards(m, key)
	}
	if val == nil {
		for _, r := range m.Regexes {
			if loc, _ := rq.FindRegex(r.Regex, src); loc != nil {
				rq.SetCaptures(r.Regex, src, loc)
				val = r.Value
				break
			}
		}
	}
	if val == nil {
		val = m.Default
	}
	out := rq.Eval(val)
	if !m.Volatile {
		rq.SetVar(m.Var, out)
	}
	return out
}

func matchWildcards(m *confparse.Map, host string) *confparse.Template {
	var best *confparse.Template
	bestLen := -1
	for _, w := range m.Prefix {
		if strings.HasSuffix(host, "."+w.Name) && len(w.Name) > bestLen {
			best, bestLen = w.Value, len(w.Name)
		}
	}
	if best != nil {
		return best
	}
	for _, w := range m.Suffix {
		if strings.HasPrefix(host, w.Name+".") && len(w.Name) > bestLen {
			best, bestLen = w.Value, len(w.Name)
		}
	}
	return best
}
