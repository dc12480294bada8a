package confparse_test

// audit_test.go holds the registry to its word: a directive listed as
// Supported must be honoured, so every model field its setter writes
// must be read by code outside confparse. For each supported directive
// the test loads a small configuration with and without one use of it,
// diffs the two typed models field by field, and checks with go/types
// over the non-test sources of every other package that each field
// that changed is read somewhere.

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"goproxy/confparse"
)

// auditExempt are supported directives with no field to read, and why.
var auditExempt = map[string]string{
	"events":         "in every configuration the audit loads",
	"http":           "in every configuration the audit loads",
	"ssl_early_data": `only "off" is accepted, and Go's TLS server never takes 0-RTT data`,
	"load_module":    "accepts only modules goproxy has built in, and loading one does nothing",
}

// auditPending are supported directives whose implementation is in
// progress elsewhere; each entry says why it may fail the audit today.
var auditPending = map[string]string{}

// auditSamples are uses of directives the generic candidates below
// cannot produce (blocks, several arguments, values that must differ
// from nginx's default).
var auditSamples = map[string]string{
	"memcached_pass":              "set $memcached_key $uri; memcached_pass 127.0.0.1:9;",
	"add_header":                  "add_header X-A b;",
	"dav_access":                  "dav_access all:r;",
	"proxy_store_access":          "proxy_store_access all:r;",
	"fastcgi_store_access":        "fastcgi_store_access all:r;",
	"scgi_store_access":           "scgi_store_access all:r;",
	"uwsgi_store_access":          "uwsgi_store_access all:r;",
	"dav_methods":                 "dav_methods PUT;",
	"sub_filter":                  "sub_filter a b;",
	"modern_browser":              "modern_browser msie 6.0;",
	"add_trailer":                 "add_trailer X-A b;",
	"auth_request_set":            "auth_request_set $a $uri;",
	"autoindex_format":            "autoindex_format json;",
	"disable_symlinks":            "disable_symlinks if_not_owner from=$document_root;",
	"error_page":                  "error_page 404 /x;",
	"fastcgi_ignore_headers":      "fastcgi_ignore_headers X-Accel-Expires;",
	"fastcgi_param":               "fastcgi_param A b;",
	"fastcgi_split_path_info":     "fastcgi_split_path_info ^(.+\\.php)(/.*)$;",
	"geo":                         "geo $a { default b; }",
	"scgi_ignore_headers":         "scgi_ignore_headers X-Accel-Expires;",
	"scgi_param":                  "scgi_param A b;",
	"uwsgi_ignore_headers":        "uwsgi_ignore_headers X-Accel-Expires;",
	"uwsgi_param":                 "uwsgi_param A b;",
	"goproxy_log_format":          "goproxy_log_format json;",
	"gzip_http_version":           "gzip_http_version 1.0;",
	"gzip_proxied":                "gzip_proxied any;",
	"if":                          "if ($uri) { return 204; }",
	"keepalive_timeout":           "keepalive_timeout 7s 7;",
	"large_client_header_buffers": "large_client_header_buffers 7 7k;",
	"limit_conn":                  "limit_conn cc 1;",
	"limit_conn_log_level":        "limit_conn_log_level warn;",
	"limit_conn_status":           "limit_conn_status 429;",
	"limit_conn_zone":             "limit_conn_zone $uri zone=c:1m;",
	"limit_except":                "limit_except GET { deny all; }",
	"limit_req":                   "limit_req zone=zz;",
	"limit_req_log_level":         "limit_req_log_level warn;",
	"limit_req_status":            "limit_req_status 429;",
	"limit_req_zone":              "limit_req_zone $uri zone=z:1m rate=1r/s;",
	"location":                    "location /a/ { }",
	"log_format":                  "log_format f '$uri';",
	"map":                         "map $uri $a { default b; }",
	"charset_map":                 "charset_map a b { 58 59; }",
	"open_log_file_cache":         "open_log_file_cache max=7;",
	"proxy_cache_methods":         "proxy_cache_methods POST;",
	"fastcgi_cache_methods":       "fastcgi_cache_methods POST;",
	"fastcgi_cache_path":          "fastcgi_cache_path /tmp/c keys_zone=pc:1m;",
	"fastcgi_cache_use_stale":     "fastcgi_cache_use_stale error;",
	"scgi_cache_methods":          "scgi_cache_methods POST;",
	"scgi_cache_path":             "scgi_cache_path /tmp/c keys_zone=pc:1m;",
	"scgi_cache_use_stale":        "scgi_cache_use_stale error;",
	"uwsgi_cache_methods":         "uwsgi_cache_methods POST;",
	"uwsgi_cache_path":            "uwsgi_cache_path /tmp/c keys_zone=pc:1m;",
	"uwsgi_cache_use_stale":       "uwsgi_cache_use_stale error;",
	"proxy_cache_path":            "proxy_cache_path /tmp/c keys_zone=pc:1m;",
	"proxy_cache_use_stale":       "proxy_cache_use_stale error;",
	"proxy_cookie_domain":         "proxy_cookie_domain a b;",
	"proxy_cookie_path":           "proxy_cookie_path /a /b;",
	"proxy_cookie_flags":          "proxy_cookie_flags a secure;",
	"proxy_http_version":          "proxy_http_version 1.1;",
	"proxy_ignore_headers":        "proxy_ignore_headers X-Accel-Expires;",
	"proxy_redirect":              "proxy_redirect /a /b;",
	"proxy_set_header":            "proxy_set_header X-A b;",
	"proxy_ssl_protocols":         "proxy_ssl_protocols TLSv1.3;",
	"uwsgi_ssl_protocols":         "uwsgi_ssl_protocols TLSv1.3;",
	"grpc_ssl_protocols":          "grpc_ssl_protocols TLSv1.3;",
	"grpc_ignore_headers":         "grpc_ignore_headers X-Accel-Expires;",
	"grpc_set_header":             "grpc_set_header X-A b;",
	"rewrite":                     "rewrite ^/a /b;",
	"satisfy":                     "satisfy any;",
	"server":                      "server { listen 127.0.0.1:8081; }",
	"set":                         "set $a b;",
	"split_clients":               "split_clients $uri $a { 50% b; * c; }",
	"ssl":                         "ssl on; ssl_certificate /tmp/a.crt; ssl_certificate_key /tmp/a.key;",
	"ssl_certificate":             "ssl_certificate /tmp/a.crt; ssl_certificate_key /tmp/a.key;",
	"quic_host_key":               "quic_host_key nginx.conf;",
	"ssl_protocols":               "ssl_protocols TLSv1.3;",
	"try_files":                   "try_files $uri =404;",
	"types":                       "types { text/x-a a; }",
	"upstream":                    "upstream v { server 127.0.0.1:10; }",
	"upstream:keepalive_timeout":  "keepalive_timeout 7s;",
	"upstream:server":             "server 127.0.0.1:10;",
	"user":                        "user root;", // root's default is nobody

	"stream":                     "stream { server { listen 127.0.0.1:8082; return x; } }",
	"stream:listen":              "listen 127.0.0.1:8083;",
	"stream:server":              "server { listen 127.0.0.1:8084; return x; }",
	"stream:upstream":            "upstream sv { server 127.0.0.1:10; }",
	"stream:proxy_pass":          "proxy_pass 127.0.0.1:10;",
	"stream:return":              "return x;",
	"stream:pass":                "pass 127.0.0.1:10;",
	"stream:set":                 "set $sv x;",
	"stream:allow":               "allow 127.0.0.1;",
	"stream:deny":                "deny 127.0.0.1;",
	"stream:log_format":          "log_format sf $status;",
	"stream:access_log":          "access_log /tmp/a sfmt;",
	"stream:open_log_file_cache": "open_log_file_cache max=7;",
	"stream:map":                 "map $remote_addr $sm { default 1; }",
	"stream:geo":                 "geo $sg { default 1; }",
	"stream:split_clients":       "split_clients $remote_addr $ss { * x; }",
	"stream:limit_conn_zone":     "limit_conn_zone $remote_addr zone=sz2:1m;",
	"stream:limit_conn":          "limit_conn sz 1;",
	"stream:resolver":            "resolver 127.0.0.1;",
	"stream:upstream:server":     "server 127.0.0.1:10;", "stream:limit_conn_log_level": "limit_conn_log_level warn;", "stream:ssl_protocols": "ssl_protocols TLSv1.3;",
	"stream:set_real_ip_from":              "set_real_ip_from 127.0.0.1;",
	"stream:ssl_alpn":                      "ssl_alpn h2;",
	"stream:proxy_ssl_protocols":           "proxy_ssl_protocols TLSv1.3;",
	"stream:proxy_bind":                    "proxy_bind 127.0.0.1;",
	"stream:proxy_ssl_certificate":         "proxy_ssl_certificate /tmp/a;",
	"stream:proxy_ssl_certificate_key":     "proxy_ssl_certificate_key /tmp/a;",
	"stream:proxy_ssl_name":                "proxy_ssl_name x;",
	"stream:proxy_ssl_password_file":       "proxy_ssl_password_file /tmp/a;",
	"stream:proxy_ssl_trusted_certificate": "proxy_ssl_trusted_certificate /tmp/a;",
	"ssl_ocsp_cache":                       "ssl_ocsp_cache shared:oc:1m;",
	"ssl_conf_command":                     "ssl_conf_command Options -SessionTicket;",
	"proxy_ssl_conf_command":               "proxy_ssl_conf_command Options -SessionTicket;",
	"uwsgi_ssl_conf_command":               "uwsgi_ssl_conf_command Options -SessionTicket;",
	"grpc_ssl_conf_command":                "grpc_ssl_conf_command Options -SessionTicket;",
	"stream:ssl_conf_command":              "ssl_conf_command Options -SessionTicket;",
	"stream:proxy_ssl_conf_command":        "proxy_ssl_conf_command Options -SessionTicket;",
	"acme_issuer":                          "acme_issuer other { uri https://127.0.0.1:9/dir; }",
	"acme_certificate":                     "acme_certificate audit a.example;",
	"acme:uri":                             "uri https://127.0.0.1:8/other;",
	"acme:account_key":                     "account_key rsa:2048;",
	"acme:challenge":                       "challenge tls-alpn-01;",
	"acme:contact":                         "contact a@example.com;",
	"acme:external_account_key":            "external_account_key kid data:YWJj;",
	"acme:preferred_chain":                 "preferred_chain Root;",
	"acme:profile":                         "profile shortlived;",
	"acme:ssl_trusted_certificate":         "ssl_trusted_certificate /tmp/a;",
	"acme:ssl_verify":                      "ssl_verify off;",
	"acme:state_path":                      "state_path off;",
	"acme:accept_terms_of_service":         "accept_terms_of_service;",
}

// auditCandidates are tried, in order, as the one argument of a
// directive with no sample: the first that loads and changes the model.
var auditCandidates = []string{"", "off", "on", "7", "7s", "7k", "x", "/tmp/a", "$host", "127.0.0.1", "http://127.0.0.1:9"}

// auditConf is the configuration the directive is placed in, on one line
// so that no position in the model moves.
func auditConf(ctx confparse.Ctx, stmt string) string {
	at := func(c confparse.Ctx) string {
		if ctx == c {
			return stmt
		}
		return ""
	}
	issuer := at(confparse.CtxAcmeIssuer)
	if !strings.HasPrefix(issuer, "uri ") {
		issuer = "uri https://127.0.0.1:9/dir; " + issuer
	}
	return at(confparse.CtxMain) + " events { " + at(confparse.CtxEvents) + " } http { " + at(confparse.CtxHTTP) +
		" acme_issuer audit { " + issuer + " }" +
		" limit_req_zone $uri zone=zz:1m rate=1r/s; limit_conn_zone $uri zone=cc:1m;" +
		" upstream u { server 127.0.0.1:9; " + at(confparse.CtxUpstream) + " }" +
		" server { listen 127.0.0.1:8080; " + at(confparse.CtxServer) +
		" location / { " + at(confparse.CtxLocation) + " } } }" +
		streamBlock(ctx, stmt, at) + "\n"
}

// streamBlock is the stream part of auditConf, present for the stream
// contexts only (a sample of "stream" writes its own).
func streamBlock(ctx confparse.Ctx, stmt string, at func(confparse.Ctx) string) string {
	if ctx&(confparse.CtxStream|confparse.CtxStreamServer|confparse.CtxStreamUpstream) == 0 {
		return ""
	}
	return " stream { log_format sfmt x; limit_conn_zone $remote_addr zone=sz:1m; " + at(confparse.CtxStream) + " upstream su { server 127.0.0.1:9; " + at(confparse.CtxStreamUpstream) + " }" +
		" server { listen 127.0.0.1:8081; " + streamContent(ctx, stmt) + at(confparse.CtxStreamServer) + " } }"
}

// streamContent is the stream server's handler, unless the statement is one.
func streamContent(ctx confparse.Ctx, stmt string) string {
	if ctx == confparse.CtxStreamServer && (strings.HasPrefix(stmt, "return ") || strings.HasPrefix(stmt, "proxy_pass ")) {
		return ""
	}
	return "proxy_pass 127.0.0.1:9; "
}

// auditCtx is the context a directive is tried in: the innermost one.
func auditCtx(d *confparse.Directive) confparse.Ctx {
	for _, c := range []confparse.Ctx{confparse.CtxLocation, confparse.CtxServer, confparse.CtxUpstream,
		confparse.CtxHTTP, confparse.CtxEvents, confparse.CtxMain, confparse.CtxStreamServer,
		confparse.CtxStreamUpstream, confparse.CtxStream, confparse.CtxAcmeIssuer} {
		if d.Ctx&c != 0 {
			return c
		}
	}
	return 0
}

func TestSupportedDirectivesAreRead(t *testing.T) {
	supported := map[string]bool{}
	for _, d := range confparse.Directives() {
		supported[d.Name] = supported[d.Name] || d.Status == confparse.Supported
	}
	for _, m := range []map[string]string{auditSamples, auditExempt, auditPending} {
		for k := range m {
			if name := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(k, "acme:"), "stream:"), "upstream:"), "stream:"); !supported[name] {
				t.Errorf("%q in the audit's tables is not a supported directive", name)
			}
		}
	}
	read := fieldsRead(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	load := func(text string) (*confparse.Config, error) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return confparse.Load(confparse.Options{Path: path, Prefix: dir})
	}
	for _, d := range confparse.Directives() {
		if d.Status != confparse.Supported {
			continue
		}
		ctx := auditCtx(d)
		base, err := load(auditConf(ctx, ""))
		if err != nil {
			t.Fatal(err)
		}
		var stmts []string
		if _, ok := auditExempt[d.Name]; ok {
			continue
		}
		if d.Name == "user" && os.Geteuid() != 0 {
			continue // only root reads it; others warn and ignore it, as nginx
		}
		key := d.Name
		if ctx == confparse.CtxUpstream {
			key = "upstream:" + d.Name
		}
		if ctx&(confparse.CtxStream|confparse.CtxStreamServer|confparse.CtxStreamUpstream) != 0 {
			key = "stream:" + d.Name
		}
		if ctx == confparse.CtxStreamUpstream {
			key = "stream:upstream:" + d.Name
		}
		if ctx == confparse.CtxAcmeIssuer {
			key = "acme:" + d.Name
		}
		if s, ok := auditSamples[key]; ok {
			stmts = []string{s}
		} else {
			for _, a := range auditCandidates {
				stmts = append(stmts, strings.TrimSpace(d.Name+" "+a)+";")
			}
		}
		var changed []string
		var lastErr error
		for _, s := range stmts {
			cfg, err := load(auditConf(ctx, s))
			if err != nil {
				lastErr = err
				continue
			}
			if changed = modelDiff(base, cfg); len(changed) > 0 {
				break
			}
		}
		var unread []string
		for _, f := range changed {
			if !read[f] {
				unread = append(unread, f)
			}
		}
		why, pending := auditPending[d.Name]
		switch {
		case len(changed) == 0:
			t.Errorf("%s: no sample changes the model (last error: %v); add one to auditSamples", d.Name, lastErr)
		case len(unread) > 0 && pending:
			t.Logf("%s: pending (%s): writes %s, read nowhere yet", d.Name, why, strings.Join(unread, ", "))
		case len(unread) > 0:
			t.Errorf("%s is Supported but writes %s, which no code outside confparse reads", d.Name, strings.Join(unread, ", "))
		case pending:
			t.Errorf("%s is honoured now: take it out of auditPending in confparse/audit_test.go", d.Name)
		}
	}
}

// modelDiff names the model fields ("confparse.GzipLoc.On") whose values
// differ between two configurations.
func modelDiff(a, b *confparse.Config) []string {
	seen := map[string]bool{}
	diffValue(reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem(), "", seen, map[[2]uintptr]bool{})
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// ownLevel are the settings of a block level: when a directive opens a
// new block, they are its contents' (and nginx's defaults), not its own.
var ownLevel = map[reflect.Type]bool{reflect.TypeOf(confparse.Loc{}): true, reflect.TypeOf(confparse.SrvConf{}): true}

// auditIgnored are model fields that are not settings, so nothing needs
// to read them outside confparse.
var auditIgnored = map[string]string{
	"confparse.Config.Files":    "the text read, for -T",
	"confparse.Config.Warnings": "printed by the command line, not settings",
	"confparse.HTTPConf.Vars":   "the variables defined, for the load-time unknown-variable check",
	"confparse.SSLSrv.On":       "applied at load: the server's listens become ssl ones (Listen.SSL)",
	"confparse.Regexp.Caseless": "compiled into Re as (?i); kept for the dump",
	"confparse.LogFormat.Name":  "the key it has in HTTPConf.LogFormats",
	"File":                      "a position, for messages (any type's File and Line)",
	"Line":                      "a position, for messages",
}

// diffValue records in seen the struct fields under which a and b
// differ; field is the one holding them ("" at the top). A value on one
// side only is compared with its zero value, so the fields it sets count.
func diffValue(a, b reflect.Value, field string, seen map[string]bool, visited map[[2]uintptr]bool) {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() && b.IsNil() {
			return
		}
		k := [2]uintptr{a.Pointer(), b.Pointer()}
		if visited[k] || k[0] == k[1] {
			return
		}
		visited[k] = true
		if (a.IsNil() || b.IsNil()) && ownLevel[a.Type().Elem()] {
			// A new block's settings belong to the directives in it.
			seen[field] = true
			return
		}
		diffValue(elemOrZero(a), elemOrZero(b), field, seen, visited)
	case reflect.Interface:
		if a.IsNil() && b.IsNil() {
			return
		}
		if a.IsNil() || b.IsNil() || a.Elem().Type() != b.Elem().Type() {
			seen[field] = true
			return
		}
		diffValue(a.Elem(), b.Elem(), field, seen, visited)
	case reflect.Struct:
		t := a.Type()
		if t.Name() != "" && t.PkgPath() != "goproxy/confparse" {
			// A value of another package (regexp, net.IPNet) counts as
			// one field: the one holding it.
			if !sameForeign(a, b) {
				seen[field] = true
			}
			return
		}
		for i := 0; i < t.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue // derived from the exported ones (a Regexp's engines)
			}
			name := strings.TrimPrefix(t.PkgPath(), "goproxy/") + "." + t.Name() + "." + t.Field(i).Name
			if t.Name() == "" { // an anonymous struct: named by the field holding it
				name = field + "." + t.Field(i).Name
			}
			if _, ok := auditIgnored[name]; ok {
				continue
			}
			if _, ok := auditIgnored[t.Field(i).Name]; ok {
				continue
			}
			diffValue(a.Field(i), b.Field(i), name, seen, visited)
		}
	case reflect.Slice, reflect.Array:
		n := max(a.Len(), b.Len())
		if a.Kind() == reflect.Slice && a.Len() != b.Len() {
			seen[field] = true
		}
		for i := 0; i < n; i++ {
			diffValue(indexOrZero(a, i), indexOrZero(b, i), field, seen, visited)
		}
	case reflect.Map:
		if a.Len() != b.Len() {
			seen[field] = true
		}
		keys := map[any]reflect.Value{}
		for _, m := range []reflect.Value{a, b} {
			for _, k := range m.MapKeys() {
				keys[k.Interface()] = k
			}
		}
		zero := reflect.Zero(a.Type().Elem())
		for _, k := range keys {
			x, y := a.MapIndex(k), b.MapIndex(k)
			if !x.IsValid() {
				x = zero
			}
			if !y.IsValid() {
				y = zero
			}
			diffValue(x, y, field, seen, visited)
		}
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		if a.IsNil() != b.IsNil() {
			seen[field] = true
		}
	default:
		if !reflect.DeepEqual(scalar(a), scalar(b)) {
			seen[field] = true
		}
	}
}

// sameForeign compares values of types confparse does not define.
func sameForeign(a, b reflect.Value) bool {
	if a.Type() == reflect.TypeOf(regexp.Regexp{}) {
		src := func(v reflect.Value) string {
			p := reflect.New(v.Type())
			p.Elem().Set(v)
			return p.Interface().(*regexp.Regexp).String()
		}
		return src(a) == src(b)
	}
	if a.CanInterface() {
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// scalar reads a basic value, exported or not.
func scalar(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.String:
		return v.String()
	}
	return v.Kind().String()
}

func elemOrZero(v reflect.Value) reflect.Value {
	if v.IsNil() {
		return reflect.Zero(v.Type().Elem())
	}
	return v.Elem()
}

func indexOrZero(v reflect.Value, i int) reflect.Value {
	if i < v.Len() {
		return v.Index(i)
	}
	return reflect.Zero(v.Type().Elem())
}

// fieldsRead type-checks the non-test sources of every package of the
// module but confparse (and the test harnesses under internal/) and
// returns the confparse struct fields they read, as modelDiff names
// them. A field only assigned to does not count.
func fieldsRead(t *testing.T) map[string]bool {
	t.Helper()
	gobin := filepath.Join(runtimeGOROOT(t), "bin", "go")
	cmd := exec.Command(gobin, "list", "-export", "-deps", "-json=ImportPath,Dir,GoFiles,Export,Module", "goproxy/...")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath, Dir, Export string
		GoFiles                 []string
		Module                  *struct{ Path string }
	}
	exports := map[string]string{}
	var mine []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		exports[p.ImportPath] = p.Export
		if p.Module != nil && p.Module.Path == "goproxy" && p.ImportPath != "goproxy/confparse" &&
			!strings.HasPrefix(p.ImportPath, "goproxy/internal/") {
			mine = append(mine, p)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		return os.Open(exports[path])
	})
	var reads []*types.Var
	for _, p := range mine {
		var files []*ast.File
		for _, f := range p.GoFiles {
			af, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, af)
		}
		info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
		conf := types.Config{Importer: imp}
		if _, err := conf.Check(p.ImportPath, fset, files, info); err != nil {
			t.Fatalf("type-checking %s: %v", p.ImportPath, err)
		}
		for _, f := range files {
			written := map[*ast.SelectorExpr]bool{}
			ast.Inspect(f, func(n ast.Node) bool {
				if as, ok := n.(*ast.AssignStmt); ok && (as.Tok == token.ASSIGN || as.Tok == token.DEFINE) {
					for _, l := range as.Lhs {
						if se, ok := l.(*ast.SelectorExpr); ok {
							written[se] = true
						}
					}
				}
				return true
			})
			ast.Inspect(f, func(n ast.Node) bool {
				se, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				sel := info.Selections[se]
				if sel == nil || sel.Kind() != types.FieldVal {
					return true
				}
				// The embedded fields a promoted field goes through are read.
				typ := sel.Recv()
				for i, idx := range sel.Index() {
					st, ok := derefStruct(typ)
					if !ok {
						break
					}
					fv := st.Field(idx)
					if i < len(sel.Index())-1 || !written[se] {
						reads = append(reads, fv)
					}
					typ = fv.Type()
				}
				return true
			})
		}
	}
	// Name the fields as modelDiff does: by the named struct that holds them.
	cp, err := imp.Import("goproxy/confparse")
	if err != nil {
		t.Fatal(err)
	}
	names := map[*types.Var]string{}
	var walk func(st *types.Struct, prefix string)
	walk = func(st *types.Struct, prefix string) {
		for i := 0; i < st.NumFields(); i++ {
			f := st.Field(i)
			names[f] = prefix + "." + f.Name()
			if inner, ok := f.Type().Underlying().(*types.Struct); ok {
				if _, named := f.Type().(*types.Named); !named {
					walk(inner, prefix+"."+f.Name())
				}
			}
		}
	}
	for _, n := range cp.Scope().Names() {
		if tn, ok := cp.Scope().Lookup(n).(*types.TypeName); ok {
			if st, ok := tn.Type().Underlying().(*types.Struct); ok {
				walk(st, "confparse."+n)
			}
		}
	}
	read := map[string]bool{}
	for _, v := range reads {
		if n, ok := names[v]; ok {
			read[n] = true
		}
	}
	if len(read) == 0 {
		t.Fatal("no confparse field is read anywhere: the audit is broken")
	}
	return read
}

func derefStruct(t types.Type) (*types.Struct, bool) {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	st, ok := t.Underlying().(*types.Struct)
	return st, ok
}

// runtimeGOROOT is the toolchain running the test.
func runtimeGOROOT(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	return strings.TrimSpace(string(out))
}
