package proxy

// cache.go is the upstream module's cache logic (nginx's
// ngx_http_upstream_cache and friends) over the filecache core: the
// lookup before the upstream is contacted (HIT, UPDATING, a wait on
// proxy_cache_lock, conditional headers for proxy_cache_revalidate), the
// decision when the response head arrives (REVALIDATED, STALE,
// cacheable or not), and the store while the body streams to the client.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"goproxy/confparse"
	"goproxy/filecache"
	"goproxy/httpcore"
	"goproxy/httpd"
)

// The values of $upstream_cache_status.
const (
	cacheMiss        = "MISS"
	cacheBypass      = "BYPASS"
	cacheExpired     = "EXPIRED"
	cacheStale       = "STALE"
	cacheUpdating    = "UPDATING"
	cacheRevalidated = "REVALIDATED"
	cacheHit         = "HIT"
)

var cacheVariables = []httpcore.Variable{
	{Name: "upstream_cache_status", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		if rq.Upstream == nil || rq.Upstream.CacheStatus == "" {
			return "", false
		}
		return rq.Upstream.CacheStatus, true
	}},
}

func init() { httpcore.RegisterVariables(cacheVariables) }

// zones are the open cache zones, by path: they outlive configurations,
// so a reload keeps the cache (and its index).
var zones struct {
	sync.Mutex
	byPath map[string]*filecache.Zone
}

// openZones opens (or finds open) the zones a configuration defines.
func openZones(h *confparse.HTTPConf) (map[string]*filecache.Zone, error) {
	zones.Lock()
	defer zones.Unlock()
	if zones.byPath == nil {
		zones.byPath = map[string]*filecache.Zone{}
	}
	out := map[string]*filecache.Zone{}
	for _, c := range h.CacheZones {
		z := zones.byPath[c.Path]
		if z == nil || !sameLayout(z.Conf, c) {
			if z != nil {
				z.Close()
			}
			var err error
			if z, err = filecache.Open(c); err != nil {
				return nil, err
			}
			zones.byPath[c.Path] = z
		}
		out[c.Name] = z
	}
	return out, nil
}

func sameLayout(a, b *confparse.CacheZone) bool {
	if a.Module != b.Module || len(a.Levels) != len(b.Levels) || a.Size != b.Size || a.Inactive != b.Inactive ||
		a.MaxSize != b.MaxSize || a.MinFree != b.MinFree {
		return false
	}
	for i := range a.Levels {
		if a.Levels[i] != b.Levels[i] {
			return false
		}
	}
	return true
}

// cacheState is one request's cache state.
type cacheState struct {
	conf  *confparse.CacheLoc
	lk    *filecache.Lookup
	key   string
	stale *filecache.Entry // an expired entry, for use_stale and revalidation
	store bool             // the response may be stored
	owner bool             // this request holds the key's lock
	// staleError says the expired entry is within its stale-if-error
	// window: an upstream that fails is answered with it.
	staleError bool
	status     string
}

var errServeCached = errors.New("serve the cached entry")

// cacheStart looks the request up in its cache. true means it was
// answered from the cache (or with an error); otherwise st.cache says
// what to do with the upstream's response.
func (h *handler) cacheStart(st *state, w http.ResponseWriter, r *http.Request) bool {
	rq := st.rq
	if bg := backgroundOf(r); bg != nil {
		// A background update: the request it copies made the
		// lookup and holds the lock.
		st.cache = bg.cache
		return h.cacheMiss(st, r)
	}
	cl := &h.loc.Proxy.Cache
	if !cl.On() {
		return false
	}
	name := cl.Zone.Raw
	if !cl.Zone.IsConst() {
		name = rq.Eval(cl.Zone)
		if name == "" || name == "off" {
			return false
		}
	}
	z := h.c.zones[name]
	if z == nil {
		h.c.errs.Request(rq, confparse.LevelError, "cache \""+name+"\" not found")
		rq.Error(500)
		return true
	}
	if !methodIn(r.Method, cl.Methods) {
		return false
	}
	c := &cacheState{conf: cl, key: rq.Eval(cl.Key), store: true}
	st.cache = c
	if anySet(rq, cl.Bypass) {
		c.status = cacheBypass
		c.lk = z.Find(filecache.KeyOf(c.key))
		c.lk.Entry.Close()
		c.lk.Entry = nil
		rq.Upstream.CacheStatus = c.status
		return false
	}
	var deadline time.Time // of proxy_cache_lock_timeout
	for {
		c.lk = c.find(z, r)
		e := c.lk.Entry
		now := time.Now()
		if e != nil && fresh(e.ValidUntil, now) {
			c.status = cacheHit
			if h.interceptsEntry(e.Status) {
				// An intercepted error was cached as its status
				// alone (nginx's node "error"): error_page again.
				rq.Upstream.CacheStatus = c.status
				e.Close()
				rq.Error(e.Status)
				return true
			}
			h.serveEntry(st, e, cacheHit)
			e.Close()
			return true
		}
		// nginx's stale_updating and stale_error: the windows the
		// entry's Cache-Control granted past its expiry.
		staleUpdating := false
		if e != nil {
			staleUpdating = useStale(cl, "updating") || withinStale(e.ValidUntil, e.WhileRevalidate, now)
			c.staleError = withinStale(e.ValidUntil, e.IfError, now)
		}
		if e != nil && c.lk.Updating && staleUpdating {
			h.serveEntry(st, e, cacheUpdating)
			e.Close()
			return true
		}
		if c.lk.Uses < *cl.MinUses {
			c.store = false
		}
		if *cl.Lock {
			if deadline.IsZero() {
				// Requests that arrived just before this one take
				// the lock first, as in nginx (httpd's arrival.go).
				arrival(rq).AwaitEarlier(arrivalWindow)
				deadline = time.Now().Add(*cl.LockTimeout)
			}
			ch, age, owner := c.lk.Lock(*cl.LockAge)
			arrival(rq).Settle()
			if !owner {
				e.Close()
				if !waitLock(ch, age, deadline, r) {
					// nginx passes the request on after lock_timeout
					// and does not cache the response.
					c.store = false
					c.lk.Entry = nil
					break
				}
				continue // look again: the holder may have stored it
			}
			c.owner = true
		} else if e != nil {
			// An expired entry is being updated by this request:
			// others may be answered with it meanwhile.
			c.owner = c.lk.MarkUpdating()
		}
		if e != nil && c.owner && staleUpdating && *cl.BackgroundUpdate {
			h.serveEntry(st, e, cacheStale)
			h.updateInBackground(st, c)
			return true
		}
		break
	}
	return h.cacheMiss(st, r)
}

// arrivalWindow bounds how long a request about to take a cache lock
// waits for those that arrived before it: the scheduler's reordering is
// shorter than that, and a request that long before it is not "sent at
// the same time".
const arrivalWindow = 50 * time.Millisecond

// arrival is the request's place in arrival order (nil: none kept).
func arrival(rq *httpcore.Request) *httpd.Arrival {
	if rq.Conn == nil {
		return nil
	}
	return rq.Conn.Arrival
}

// cacheMiss readies a request that goes to the upstream (MISS, EXPIRED).
func (h *handler) cacheMiss(st *state, r *http.Request) bool {
	c := st.cache
	if !rangeAllowed(st, r.Header.Get("Range")) {
		// nginx's cache_check_range: a range beyond
		// proxy_cache_max_range_offset goes upstream as asked, and
		// its answer is not cached.
		c.store = false
	}
	c.status = cacheMiss
	if e := c.lk.Entry; e != nil {
		c.status = cacheExpired
		c.stale = e
	}
	st.rq.Upstream.CacheStatus = c.status
	return false
}

// fresh says whether an entry valid until valid is fresh now. nginx
// counts in whole seconds and expires an entry once the second after its
// last is reached: "max-age=1" keeps a response for one to two seconds.
func fresh(valid, now time.Time) bool { return now.Unix() <= valid.Unix() }

// withinStale says whether now is within a stale window after valid, in
// whole seconds as nginx counts it.
func withinStale(valid time.Time, window time.Duration, now time.Time) bool {
	return window > 0 && valid.Unix()+int64(window/time.Second) >= now.Unix()
}

// background is what a background update takes over from the request it
// copies: the cache state, with the key's lock, and the request body.
type background struct {
	cache    *cacheState
	body     *bufferedBody
	declared int64
}

type backgroundKey struct{}

func backgroundOf(r *http.Request) *background {
	b, _ := r.Context().Value(backgroundKey{}).(*background)
	return b
}

// updateInBackground is *_cache_background_update: the request was
// answered with the expired entry, and a copy of it fetches the
// response once the client has that answer, holding the key's lock
// until the entry is refreshed, as nginx's background subrequest.
func (h *handler) updateInBackground(st *state, c *cacheState) {
	bg := &background{cache: &cacheState{conf: c.conf, lk: c.lk, key: c.key, store: c.store, owner: true,
		staleError: c.staleError}, body: st.body, declared: st.declared}
	c.owner = false
	st.body = nil
	st.rq.Background(httpcore.AfterResponse, func(clone *httpcore.Request) {
		clone.R = clone.R.WithContext(context.WithValue(clone.R.Context(), backgroundKey{}, bg))
		h.ServeHTTP(clone, clone.R)
	})
}

// find looks the key up, and the secondary key of the request's variant
// when the main entry was stored for another one (Vary).
func (c *cacheState) find(z *filecache.Zone, r *http.Request) *filecache.Lookup {
	k := filecache.KeyOf(c.key)
	lk := z.Find(k)
	if e := lk.Entry; e != nil && e.Vary != "" {
		if v := filecache.Variant(e.Vary, r.Header); v != e.Variant {
			e.Close()
			lk = z.Find(filecache.VariantKey(k, v))
		}
	}
	return lk
}

// waitLock waits for the key's lock holder until it is done or its lock
// is past lock_age (true: look again), or until the deadline of
// proxy_cache_lock_timeout or the client leaves (false).
func waitLock(ch <-chan struct{}, age time.Duration, deadline time.Time, r *http.Request) bool {
	left := time.Until(deadline)
	if left <= 0 {
		return false
	}
	aged := age < left
	if aged {
		left = age
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return aged
	case <-r.Context().Done():
	}
	return false
}

// cacheEnd releases what the request held.
func (st *state) cacheEnd() {
	c := st.cache
	if c == nil {
		return
	}
	if c.owner {
		c.lk.Unlock()
	}
	if c.stale != nil {
		c.stale.Close()
	}
}

// countCache adds the request's final $upstream_cache_status to its
// zone's counts (metrics).
func (st *state) countCache() {
	c := st.cache
	if c == nil || c.lk == nil || st.rq.Upstream == nil || st.rq.Upstream.CacheStatus == "" {
		return
	}
	c.lk.Zone().Count(st.rq.Upstream.CacheStatus)
}

// cacheHeaders are the client headers nginx does not pass upstream for a
// response it may cache (its proxy_cache headers set): the entry must be
// the whole, unconditional response.
var cacheHeaders = []string{"If-Modified-Since", "If-Unmodified-Since", "If-None-Match", "If-Match", "Range", "If-Range"}

// revalidateHeaders makes the upstream request's conditional headers
// those of the cache: the client's go when the response may be stored
// (not those the location sets itself, as the slice module's Range:
// nginx's cache headers are defaults proxy_set_header overrides), and
// proxy_cache_revalidate's are added for an expired entry.
func (st *state) revalidateHeaders(h http.Header, userSet map[string]bool) {
	c := st.cache
	if c != nil && c.store {
		for _, k := range cacheHeaders {
			if !userSet[strings.ToLower(k)] {
				delete(h, k)
			}
		}
	}
	// nginx keeps the validators of a 200 or 206 only.
	if c == nil || c.stale == nil || !*c.conf.Revalidate || (c.stale.Status != 200 && c.stale.Status != 206) {
		return
	}
	if lm := c.stale.Header.Get("Last-Modified"); lm != "" {
		h.Set("If-Modified-Since", lm)
	}
	if et := c.stale.Header.Get("Etag"); et != "" {
		h.Set("If-None-Match", et)
	}
}

// cacheResponse decides, as the upstream's head arrives, whether the
// cached entry answers instead (REVALIDATED, STALE) and whether the
// response is stored; it runs before the head is changed for the client.
func (h *handler) cacheResponse(st *state, resp *http.Response) error {
	c := st.cache
	if c == nil {
		return nil
	}
	rq := st.rq
	now := time.Now()
	cl := c.conf
	ignore := func(name string) bool { return ignored(h.loc.Proxy.IgnoreHeaders, name) }
	if resp.StatusCode == http.StatusNotModified && c.stale != nil && *cl.Revalidate {
		resp.Body.Close()
		if f, ok := filecache.Revalidation(&c.stale.Meta, resp.Header, cl.Valid, ignore, now); ok {
			if err := c.lk.Revalidated(f, now); err != nil {
				h.cacheWriteFailed(st, err)
			}
		}
		c.status = cacheRevalidated
		return errServeCached
	}
	if c.stale != nil && useStale(cl, "http_"+strconv.Itoa(resp.StatusCode)) {
		resp.Body.Close()
		c.status = cacheStale
		return errServeCached
	}
	if !c.store || anySet(rq, cl.NoCache) {
		return nil
	}
	f, ok := filecache.Validity(resp.StatusCode, resp.Header, cl.Valid, ignore, now)
	if !ok {
		return nil
	}
	m := &filecache.Meta{Key: c.key, ValidUntil: f.Until, Date: now, Stale: f.Stale, Status: resp.StatusCode}
	m.Reason = strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)+" ")
	if h.interceptsEntry(resp.StatusCode) {
		// proxy_intercept_errors answers with error_page: only the
		// status is kept, for the next requests to do the same.
		w, err := c.lk.Create(m)
		if err == nil {
			err = w.Commit()
		}
		if err != nil {
			h.cacheWriteFailed(st, err)
		}
		return nil
	}
	if !ignore("Vary") {
		m.Vary = strings.Join(resp.Header["Vary"], ",")
		m.Variant = filecache.Variant(m.Vary, rq.R.Header)
	}
	lk := c.lk
	main := filecache.KeyOf(c.key)
	if lk.Key != main && (m.Vary == "" || filecache.VariantKey(main, m.Variant) != lk.Key) {
		// A response without Vary replaces every variant, and one
		// whose variant is not the one looked up goes to the main
		// key, as in nginx.
		lk = lk.Zone().Find(filecache.KeyOf(c.key))
		lk.Entry.Close()
	}
	sb := &storeBody{rc: resp.Body, resp: resp, lk: lk, meta: m, full: -1, accel: accelHeaders(resp.Header),
		failed: func(err error) { h.cacheWriteFailed(st, err) }}
	resp.Body = sb
	return h.upstreamRanges(st, resp, sb)
}

// cacheWriteFailed logs why an entry could not be stored (or its
// validity updated), at crit as nginx's file calls do; the client's
// response goes on.
func (h *handler) cacheWriteFailed(st *state, err error) {
	upstream := ""
	if a := st.rq.Upstream.Addr; len(a) > 0 {
		upstream = st.upstreamAt(a[len(a)-1])
	}
	h.c.errs.RequestUpstream(st.rq, confparse.LevelCrit, err.Error()+" while reading upstream", upstream)
}

// reprocessed are the upstream headers the proxy acts on and hides; the
// entry keeps them, so that a response from the cache is treated as the
// upstream's was, as nginx processes a cached head again.
var reprocessed = []string{"X-Accel-Charset", "X-Accel-Limit-Rate"}

func accelHeaders(h http.Header) http.Header {
	var out http.Header
	for _, k := range reprocessed {
		if v, ok := h[k]; ok {
			if out == nil {
				out = http.Header{}
			}
			out[k] = v
		}
	}
	return out
}

// interceptsEntry says whether a response with this status is answered
// by error_page (proxy_intercept_errors) rather than sent.
func (h *handler) interceptsEntry(status int) bool {
	return *h.loc.Proxy.InterceptErrors && status >= 300 && hasErrorPage(h.loc, status)
}

// storeBody writes the body to the entry as the client reads it; the
// head is taken at the first read, once the proxy's rules have made it
// what the client gets. Only a body read to its end is committed.
type storeBody struct {
	rc   io.ReadCloser
	resp *http.Response
	lk   *filecache.Lookup
	meta *filecache.Meta
	w    *filecache.Writer
	// broken says the entry is not written; failed logs why.
	broken bool
	failed func(error)
	accel  http.Header // reprocessed headers, hidden from resp by now
	// full is the whole body's length when the client is sent a range
	// of it (missRange), accept the upstream's Accept-Ranges: the entry
	// keeps the head of the whole response.
	full   int64
	accept []string
}

func (b *storeBody) Read(p []byte) (int, error) {
	if b.w == nil && !b.broken {
		b.meta.Header = storedHeader(b.resp.Header)
		for k, v := range b.accel {
			b.meta.Header[k] = v
		}
		if b.full >= 0 {
			delete(b.meta.Header, "Content-Range")
			b.meta.Header["Content-Length"] = []string{strconv.FormatInt(b.full, 10)}
			b.meta.Header["Accept-Ranges"] = b.accept
		}
		w, err := b.lk.Create(b.meta)
		if err != nil {
			b.broken = true
			b.failed(err)
		}
		b.w = w
	}
	n, err := b.rc.Read(p)
	if n > 0 && b.w != nil {
		if _, werr := b.w.Write(p[:n]); werr != nil {
			b.w.Abort()
			b.w = nil
			b.broken = true
			b.failed(werr)
		}
	}
	if err == io.EOF && b.w != nil {
		if cerr := b.w.Commit(); cerr != nil {
			b.failed(cerr)
		}
		b.w = nil
	}
	return n, err
}

func (b *storeBody) Close() error {
	if b.w != nil {
		b.w.Abort()
		b.w = nil
	}
	return b.rc.Close()
}

// storedHeader is the head kept with an entry: what the client gets,
// without the connection's own headers.
func storedHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range []string{"Connection", "Keep-Alive", "Transfer-Encoding", "Date", "Server"} {
		delete(out, k)
	}
	return out
}

// serveCached answers with the entry st.cache chose after the upstream
// was asked (REVALIDATED, STALE).
func (h *handler) serveCached(st *state) {
	c := st.cache
	h.serveEntry(st, c.stale, c.status)
}

// staleOnError serves the expired entry when the upstream failed in a
// way proxy_cache_use_stale lists.
func (h *handler) staleOnError(st *state, err error) bool {
	c := st.cache
	if c == nil || c.stale == nil {
		return false
	}
	kind := "error"
	switch st.status {
	case 504:
		kind = "timeout"
	case 502:
		if strings.Contains(err.Error(), "invalid") {
			kind = "invalid_header"
		}
	}
	if !useStale(c.conf, kind) && !c.staleError {
		return false
	}
	h.serveEntry(st, c.stale, cacheStale)
	return true
}

// serveEntry sends a cached response: its head, then the body, or the
// ranges asked for, or a 304 for a conditional request it satisfies.
func (h *handler) serveEntry(st *state, e *filecache.Entry, status string) {
	rq := st.rq
	rq.Upstream.CacheStatus = status
	hd := rq.Header()
	for k, v := range e.Header {
		// The entry's values, read only: an append makes a copy.
		hd[k] = v[:len(v):len(v)]
	}
	h.accel(rq, hd)
	for _, k := range reprocessed {
		delete(hd, k)
	}
	if s, ok := rq.W.(interface{ SetStatusLine(int, string) }); ok {
		s.SetStatusLine(e.Status, e.StatusLine)
	}
	code := e.Status
	if code == 200 && notModifiedEntry(rq, e) {
		delete(hd, "Content-Length")
		delete(hd, "Content-Type")
		rq.WriteHeader(304)
		return
	}
	// nginx reads the entry's head as the upstream's again: its length
	// is the Content-Length the upstream sent, and an entry stored
	// without one (a chunked or CGI response) goes out chunked, with no
	// ranges.
	_, known := e.Header["Content-Length"]
	if known {
		hd["Content-Length"] = e.Length[:1:1]
	}
	// Ranges are served when the upstream allowed them (nginx's
	// allow_ranges from its Accept-Ranges), or *_force_ranges does;
	// several at once, as the entry is whole.
	ranges := known && (e.Header["Accept-Ranges"] != nil || *h.loc.Proxy.ForceRanges) && code == 200 && rq.R.ProtoMajor > 0 && (rq.Loc.Core.MaxRanges == nil || *rq.Loc.Core.MaxRanges > 0)
	if ranges && !rq.WillTransform(200) { // a filter changing the length takes them away
		hd["Accept-Ranges"] = []string{"bytes"}
	}
	if rr := rq.R.Header.Get("Range"); ranges && rr != "" && !rq.WillTransform(200) && rangeAllowed(st, rr) &&
		httpcore.IfRange(rq, e.Header.Get("ETag"), lastModified(e.Header)) {
		if httpcore.SendRanges(rq, e.BodySize, rr, false, func(off, n int64) {
			st.sentFromCache(e, off, n)
		}) {
			return
		}
	}
	rq.WriteHeader(code)
	if rq.R.Method == "HEAD" || e.BodySize == 0 {
		return
	}
	st.sentFromCache(e, 0, e.BodySize)
}

// sentFromCache sends bytes [off, off+n) of an entry's body, with
// sendfile when the location has it, and counts them for its zone's
// metrics.
func (st *state) sentFromCache(e *filecache.Entry, off, n int64) {
	r := e.Body(off, n)
	if *st.rq.Loc.Core.Sendfile {
		r = e.File(off, n)
	}
	sent, _ := st.rq.ReadFrom(r)
	if c := st.cache; c != nil && c.lk != nil {
		c.lk.Zone().Sent(sent)
	}
}

// rangeAllowed is proxy_cache_max_range_offset: a range starting beyond
// it is answered with the whole response.
func rangeAllowed(st *state, rr string) bool {
	if rr == "" {
		return true
	}
	max := int64(-1)
	if c := st.cache; c != nil {
		max = *c.conf.MaxRangeOffset
	} else {
		max = *st.rq.Loc.Proxy.Cache.MaxRangeOffset
	}
	if max < 0 {
		return true
	}
	if max == 0 {
		return false
	}
	// Like nginx, only the first range's start counts.
	i := strings.Index(strings.ToLower(rr), "bytes=")
	if i < 0 {
		return true
	}
	v := strings.TrimLeft(rr[i+6:], " ")
	if strings.HasPrefix(v, "-") {
		return false // a suffix range starts wherever the end is
	}
	j := 0
	for j < len(v) && v[j] >= '0' && v[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(v[:j], 10, 64)
	return err != nil || n < max
}

// notModifiedEntry is nginx's not_modified filter for a cached entry.
func notModifiedEntry(rq *httpcore.Request, e *filecache.Entry) bool {
	in := rq.R.Header
	ims, inm := in.Get("If-Modified-Since"), in.Get("If-None-Match")
	if ims == "" && inm == "" {
		return false
	}
	if ims != "" {
		lm, err1 := http.ParseTime(e.Header.Get("Last-Modified"))
		t, err2 := http.ParseTime(ims)
		if err1 != nil || err2 != nil || *rq.Loc.Core.IfModifiedSince == "off" {
			return false
		}
		if !(t.Equal(lm) || (*rq.Loc.Core.IfModifiedSince == "before" && !lm.After(t))) {
			return false
		}
	}
	if inm != "" {
		et := strings.TrimPrefix(e.Header.Get("Etag"), "W/")
		if et == "" {
			return false
		}
		match := strings.TrimSpace(inm) == "*"
		for _, t := range strings.Split(inm, ",") {
			if strings.TrimPrefix(strings.TrimSpace(t), "W/") == et {
				match = true
			}
		}
		if !match {
			return false
		}
	}
	return true
}

func methodIn(m string, list []string) bool {
	for _, x := range list {
		if x == m {
			return true
		}
	}
	return false
}

func useStale(cl *confparse.CacheLoc, kind string) bool {
	for _, x := range cl.UseStale {
		if x == kind {
			return true
		}
	}
	return false
}

// anySet is proxy_cache_bypass / proxy_no_cache: a value neither empty
// nor "0".
func anySet(rq *httpcore.Request, list []*confparse.Template) bool {
	for _, t := range list {
		if v := rq.Eval(t); v != "" && v != "0" {
			return true
		}
	}
	return false
}
