package confparse

// merge.go is the one place that decides inheritance. nginx's rule, which
// every ngx_conf_merge_* macro follows: a setting not written at a level
// takes the value of the level around it; a setting written at a level
// replaces the outer value entirely. For lists (add_header,
// proxy_set_header, error_page, access_log, allow/deny, index) this is
// the rule that surprises people: one add_header in a location drops all
// the server's add_headers there.
//
// In the model, "not written" is a nil pointer, slice or map. Fields
// tagged merge:"-" and plain (non-pointer) values belong to their own
// level only.

import (
	"reflect"
	"time"
)

// mergeInto fills every unset field of child from parent, recursively
// through the per-module structs.
func mergeInto(child, parent any) {
	mergeValue(reflect.ValueOf(child).Elem(), reflect.ValueOf(parent).Elem())
}

func mergeValue(c, p reflect.Value) {
	t := c.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Tag.Get("merge") == "-" || !f.IsExported() {
			continue
		}
		cf, pf := c.Field(i), p.Field(i)
		switch cf.Kind() {
		case reflect.Struct:
			mergeValue(cf, pf)
		case reflect.Pointer, reflect.Slice, reflect.Map:
			if cf.IsNil() {
				cf.Set(pf)
			}
		}
	}
}

// mergeLoc merges location-level settings; *_store and *_cache are
// first settled between themselves (storeOrCache).
func mergeLoc(c, p *Loc) {
	storeOrCache(c)
	mergeInto(c, p)
}

func ptr[T any](v T) *T { return &v }

// defaultSrv is nginx's server-level defaults.
func defaultSrv() *SrvConf {
	return &SrvConf{
		ClientHeaderTimeout:      ptr(60 * time.Second),
		ClientHeaderBufferSize:   ptr(int64(1024)),
		LargeClientHeaderBuffers: &BufSpec{Num: 4, Size: 8192},
		IgnoreInvalidHeaders:     ptr(true),
		MergeSlashes:             ptr(true),
		UnderscoresInHeaders:     ptr(false),
		MaxHeaders:               ptr(1000),
		SSL: SSLSrv{
			Protocols:       []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"},
			Ciphers:         ptr("HIGH:!aNULL:!MD5"),
			PreferServer:    ptr(false),
			SessionCache:    ptr("none"),
			SessionTimeout:  ptr(5 * time.Minute),
			SessionTickets:  ptr(true),
			ECDHCurve:       ptr("auto"),
			VerifyClient:    ptr("off"),
			VerifyDepth:     ptr(1),
			RejectHandshake: ptr(false),
			On:              ptr(false),
			Stapling:        ptr(false),
			StaplingVerify:  ptr(false),
			OCSP:            ptr("off"),
			OCSPCache:       ptr("off"),
		},
		HTTP2: HTTP2Srv{On: ptr(false), MaxConcurrentStreams: ptr(128), PrereadSize: ptr(int64(64 << 10))},
		HTTP3: HTTP3Srv{On: ptr(true), HQ: ptr(false), MaxConcurrentStreams: ptr(128), StreamBufferSize: ptr(int64(64 << 10)),
			Retry: ptr(false), GSO: ptr(false), ActiveConnectionIDLimit: ptr(2)},
	}
}

// defaultLoc is nginx's location-level defaults, as merged at the end of
// the http block. prefix is the -p prefix (root defaults to "html" in it).
func defaultLoc(prefix string) *Loc {
	root := prefix + "html"
	l := &Loc{}
	l.Core = CoreLoc{
		Root:        &DocRoot{Path: &Template{Raw: root, Parts: []Part{{Lit: root}}}},
		DefaultType: ptr("text/plain"),
		// Without a types block nginx knows exactly these three.
		Types:             map[string]string{"html": "text/html", "gif": "image/gif", "jpg": "image/jpeg"},
		KeepaliveTimeout:  ptr(75 * time.Second),
		KeepaliveRequests: ptr(1000),
		KeepaliveTime:     ptr(time.Hour),
		SendTimeout:       ptr(60 * time.Second),
		// One memory page, as nginx's "4k|8k" on x86-64.
		SubrequestOutputBufferSize: ptr(int64(4096)),
		ClientMaxBodySize:          ptr(int64(1 << 20)),
		ClientBodyTimeout:          ptr(60 * time.Second),
		ClientBodyBufferSize:       ptr(int64(16 << 10)),
		Etag:                       ptr(true),
		IfModifiedSince:            ptr("exact"),
		ServerTokens:               ptr("on"),
		AbsoluteRedirect:           ptr(true),
		PortInRedirect:             ptr(true),
		ServerNameInRedirect:       ptr(false),
		LogNotFound:                ptr(true),
		LogSubrequest:              ptr(false),
		MSIERefresh:                ptr(false),
		Sendfile:                   ptr(false),
		RecursiveErrorPages:        ptr(false),
		ChunkedTransferEncoding:    ptr(true),
		DisableSymlinks:            &DisableSymlinks{Mode: "off"},
		ResolverTimeout:            ptr(30 * time.Second),
		OpenFileCacheValid:         ptr(60 * time.Second),
		OpenFileCacheMinUses:       ptr(1),
		OpenFileCacheErrors:        ptr(false),
		AuthDelay:                  ptr(time.Duration(0)),
		ClientBodyInFileOnly:       ptr("off"),
		ClientBodyTempPath:         &TempPath{Dir: prefix + "client_body_temp"},
	}
	l.Index.Files = []*Template{{Raw: "index.html", Parts: []Part{{Lit: "index.html"}}}}
	l.Autoindex = AutoindexLoc{On: ptr(false), Format: ptr("html"), ExactSize: ptr(true), Localtime: ptr(false)}
	l.Rewrite = RewriteLoc{Log: ptr(false), UninitWarn: ptr(true)}
	l.Proxy = ProxyLoc{
		HTTPVersion:         ptr("1.0"),
		ConnectTimeout:      ptr(60 * time.Second),
		ReadTimeout:         ptr(60 * time.Second),
		SendTimeout:         ptr(60 * time.Second),
		Buffering:           ptr(true),
		RequestBuffering:    ptr(true),
		NextUpstream:        []string{"error", "timeout"},
		NextUpstreamTries:   ptr(0),
		NextUpstreamTimeout: ptr(time.Duration(0)),
		InterceptErrors:     ptr(false),
		PassRequestHeaders:  ptr(true),
		PassRequestBody:     ptr(true),
		IgnoreClientAbort:   ptr(false),
		UpstreamSSL:         upstreamSSLDefaults(),
		Cache:               defaultCacheLoc("$scheme$proxy_host$request_uri"),
		UpstreamConn:        upstreamConnDefaults(),
	}
	l.FastCGI.CGIUpstream = cgiDefaults()
	l.FastCGI.KeepConn = ptr(false)
	l.SCGI.CGIUpstream = cgiDefaults()
	l.UWSGI.CGIUpstream = cgiDefaults()
	l.UWSGI.Modifier1, l.UWSGI.Modifier2, l.UWSGI.String = ptr(0), ptr(0), ptr("")
	l.UWSGI.UpstreamSSL = upstreamSSLDefaults()
	l.Memcached = memcachedDefaults()
	l.GRPC = grpcDefaults()
	access := &Template{Raw: DefaultAccessLog, Parts: []Part{{Lit: DefaultAccessLog}}}
	l.Log.Access = []*AccessLog{{Path: access, Format: "combined"}}
	l.Limit = LimitLoc{ReqStatus: ptr(503), ReqLogLevel: ptr(LevelError), ReqDryRun: ptr(false),
		ConnStatus: ptr(503), ConnLogLevel: ptr(LevelError), ConnDryRun: ptr(false)}
	l.Gzip = GzipLoc{
		On: ptr(false), Types: []string{"text/html"}, MinLength: ptr(int64(20)), CompLevel: ptr(1),
		Vary: ptr(false), Proxied: []string{"off"}, HTTPVersion: ptr("1.1"), Static: ptr("off"),
		Gunzip: ptr(false),
	}
	l.Charset = CharsetLoc{Charset: &Template{Raw: "off", Parts: []Part{{Lit: "off"}}},
		Override: ptr(false), Types: defaultCharsetTypes}
	l.Addition = AdditionLoc{Before: ptr(""), After: ptr(""), Types: []string{}}
	l.SSI = SSILoc{On: ptr(false), SilentErrors: ptr(false), Types: []string{}, ValueLength: ptr(int64(255)),
		LastModified: ptr(false)}
	l.Sub = SubLoc{Once: ptr(true), LastModified: ptr(false), Types: []string{}}
	l.HTTP2.ChunkSize = ptr(int64(8 << 10))
	l.Access.Satisfy = ptr("all")
	l.RandomIndex.On = ptr(false)
	l.Mp4 = Mp4Loc{BufferSize: ptr(int64(512 << 10)), MaxBufferSize: ptr(int64(10 << 20)), StartKeyFrame: ptr(false)}
	l.Dav = DavLoc{Methods: []string{}, Access: ptr(uint32(0o600)), CreateFullPutPath: ptr(false), MinDeleteDepth: ptr(0)}
	l.AuthReq.URI = ptr("")
	l.Slice.Size = ptr(int64(0))
	l.Browser = BrowserLoc{ModernValue: ptr("1"), AncientValue: ptr("1")}
	l.Mirror = MirrorLoc{URIs: []string{}, RequestBody: ptr(true)}
	l.RealIP.Header = ptr("X-Real-IP")
	l.RealIP.Recursive = ptr(false)
	return l
}

// finishHTTP applies defaults and resolves inheritance for the whole http
// block, top down, so that every Loc holds final values.
func (b *builder) finishHTTP() error {
	h := b.cfg.HTTP
	if err := b.checkLimitRefs(); err != nil {
		return err
	}
	if err := b.checkCacheRefs(); err != nil {
		return err
	}
	if err := b.checkAcmeRefs(); err != nil {
		return err
	}
	mergeInto(h.Srv, defaultSrv())
	mergeLoc(h.Loc, defaultLoc(b.cfg.Prefix))
	mergeScript(h.Loc)
	for _, s := range h.Servers {
		mergeInto(s.Srv, h.Srv)
		mergeLoc(s.Loc, h.Loc)
		mergeScript(s.Loc)
		if len(s.Listens) == 0 {
			s.Listens = []*Listen{defaultListen(s)}
		}
		if len(s.Names) == 0 {
			s.Names = []*ServerName{{Name: "", Kind: NameExact}}
		}
		for _, l := range s.Locations {
			mergeLocation(l, s.Loc)
		}
	}
	b.checkCacheKeys()
	if err := b.checkCharsets(); err != nil {
		return err
	}
	if err := b.checkReferers(); err != nil {
		return err
	}
	return b.checkHTTP()
}

func mergeLocation(l *Location, parent *Loc) {
	mergeLoc(l.Conf, parent)
	mergeScript(l.Conf)
	for _, c := range l.Locations {
		mergeLocation(c, l.Conf)
	}
}

// mergeScript resolves the Locs of if and limit_except blocks, which
// nginx merges from the location they are written in. Their content
// handler is the location's unless they set their own: a request that
// enters an "if" is still proxied by the location's proxy_pass.
func mergeScript(l *Loc) {
	for _, op := range l.Rewrite.Script {
		if op.Kind == "if" {
			inheritBlock(op.Conf, l)
		}
	}
	if le := l.Core.LimitExcept; le != nil {
		inheritBlock(le.Conf, l)
	}
}

func inheritBlock(c, parent *Loc) {
	mergeLoc(c, parent)
	if c.Proxy.Pass == nil {
		c.Proxy.Pass = parent.Proxy.Pass
	}
	if c.FastCGI.Pass == nil {
		c.FastCGI.Pass = parent.FastCGI.Pass
	}
	if c.SCGI.Pass == nil {
		c.SCGI.Pass = parent.SCGI.Pass
	}
	if c.UWSGI.Pass == nil {
		c.UWSGI.Pass = parent.UWSGI.Pass
	}
	if c.Memcached.Pass == nil {
		c.Memcached.Pass = parent.Memcached.Pass
	}
	if c.GRPC.Pass == nil {
		c.GRPC.Pass = parent.GRPC.Pass
	}
	if !c.Status.StubStatus {
		c.Status.StubStatus = parent.Status.StubStatus
	}
	c.Flv.On = c.Flv.On || parent.Flv.On
	c.Mp4.On = c.Mp4.On || parent.Mp4.On
	c.EmptyGif.On = c.EmptyGif.On || parent.EmptyGif.On
}
