package confparse

// nginx_directives.go completes the registry with every directive nginx
// itself knows (nginx_directives.tsv, produced by
// scripts/probe-nginx-directives.sh from a real nginx binary). Those that
// no goproxy module registered become Unsupported rows, so a real nginx
// directive is refused with "is not supported by goproxy" rather than
// called unknown, and is never silently ignored.

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed nginx_directives.tsv
var nginxDirectivesTSV string

// extraNginxDirectives are nginx's blocks from modules the probed build
// loads dynamically (stream, mail) or not at all.
var extraNginxDirectives = map[string]Ctx{"mail": CtxMain}

var tsvCtx = map[string]Ctx{
	"main": CtxMain, "events": CtxEvents, "http": CtxHTTP, "server": CtxServer,
	"location": CtxLocation, "upstream": CtxUpstream, "if_server": CtxIfServer,
	"if_location": CtxIfLocation, "limit_except": CtxLimitExcept,
}

// unsupportedWhy is the reason, by module, that goproxy refuses what
// nginx has: code outside Go's reach, or a decision of this project.
// The reason is given in the error and in docs/directives.md.
var unsupportedWhy = map[string]string{
	"ngx_stream_geoip_module": "MaxMind's legacy GeoIP C library and its databases are not available to Go",
	"ngx_stream_js_module":    "njs, nginx's JavaScript engine, is not available to Go",
	"ngx_mail_module":         "goproxy has no mail proxy (IMAP, POP3, SMTP); nginx:latest loads it only with load_module",
	"debug":                   "needs an nginx built --with-debug: goproxy has no debug log level",
}

var completeOnce sync.Once

// completeRegistry adds the Unsupported rows; it runs once, after every
// module's init has registered its table.
func completeRegistry() {
	completeOnce.Do(func() {
		add := func(name string, ctx Ctx, block bool) {
			// A name goproxy registers for some contexts only (proxy_bind in
			// stream, not in http) still gets an Unsupported row for the
			// others, so it is refused by name there, not "not allowed here".
			for _, r := range registry[name] {
				ctx &^= r.Ctx
			}
			if ctx == 0 || name == "include" { // include: expanded by the builder
				return
			}
			m := moduleOf(name)
			why := unsupportedWhy[m]
			if strings.HasPrefix(name, "debug_") {
				why = unsupportedWhy["debug"]
			}
			registry[name] = append(registry[name], &Directive{Name: name, Ctx: ctx, Args: ArgsAny,
				Block: block, Status: Unsupported, Module: m, Note: why})
		}
		for i, line := range strings.Split(nginxDirectivesTSV, "\n") {
			f := strings.Split(line, "\t")
			if i == 0 || len(f) != 3 {
				continue
			}
			var ctx Ctx
			for _, c := range strings.Split(f[1], ",") {
				ctx |= tsvCtx[c]
			}
			add(f[0], ctx, f[2] == "yes")
		}
		for name, ctx := range extraNginxDirectives {
			add(name, ctx, true)
		}
	})
}

// moduleOf guesses the nginx module of an unsupported directive from its
// name, for the documentation.
func moduleOf(name string) string {
	if name == "mail" {
		return "ngx_mail_module"
	}
	for _, p := range []string{"fastcgi", "uwsgi", "scgi", "grpc", "memcached", "ssl", "http2",
		"limit_req", "limit_conn", "auth_request", "auth_basic", "sub_filter", "ssi", "userid",
		"mp4", "flv", "dav", "secure_link", "split_clients", "geo", "gunzip", "mirror", "slice",
		"charset", "addition", "realip", "stub_status", "empty_gif", "random_index", "referer",
		"browser", "stream"} {
		if strings.HasPrefix(name, p) {
			return "ngx_http_" + p + "_module"
		}
	}
	return "nginx"
}
