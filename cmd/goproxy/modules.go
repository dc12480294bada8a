package main

// modules.go renders "-V": the configure line tools parse (certbot,
// configuration managers) lists --with-<module> for each optional nginx
// module goproxy implements and --without-<module> for each default
// module it lacks. Whether a module is implemented is read from the
// directive registry, through one key directive per module, so the line
// cannot claim what the code does not do.

import (
	"runtime"
	"strings"

	"goproxy/confparse"
)

// nginxModules lists nginx's http modules: whether nginx builds it by
// default, and the directive whose support means goproxy has it.
var nginxModules = []struct {
	name    string
	dflt    bool
	keyword string
}{
	{"http_charset_module", true, "charset"},
	{"http_gzip_module", true, "gzip"},
	{"http_ssi_module", true, "ssi"},
	{"http_userid_module", true, "userid"},
	{"http_access_module", true, "allow"},
	{"http_auth_basic_module", true, "auth_basic"},
	{"http_mirror_module", true, "mirror"},
	{"http_autoindex_module", true, "autoindex"},
	{"http_geo_module", true, "geo"},
	{"http_map_module", true, "map"},
	{"http_split_clients_module", true, "split_clients"},
	{"http_referer_module", true, "valid_referers"},
	{"http_rewrite_module", true, "rewrite"},
	{"http_proxy_module", true, "proxy_pass"},
	{"http_fastcgi_module", true, "fastcgi_pass"},
	{"http_uwsgi_module", true, "uwsgi_pass"},
	{"http_scgi_module", true, "scgi_pass"},
	{"http_grpc_module", true, "grpc_pass"},
	{"http_memcached_module", true, "memcached_pass"},
	{"http_limit_conn_module", true, "limit_conn"},
	{"http_limit_req_module", true, "limit_req"},
	{"http_empty_gif_module", true, "empty_gif"},
	{"http_browser_module", true, "modern_browser"},
	{"http_upstream_hash_module", true, "hash"},
	{"http_upstream_ip_hash_module", true, "ip_hash"},
	{"http_upstream_least_conn_module", true, "least_conn"},
	{"http_upstream_random_module", true, "random"},
	{"http_upstream_keepalive_module", true, "keepalive"},
	{"http_upstream_zone_module", true, "zone"},
	{"http_ssl_module", false, "ssl_certificate"},
	{"http_v2_module", false, "http2_max_concurrent_streams"},
	{"http_v3_module", false, "http3_max_concurrent_streams"},
	{"http_realip_module", false, "set_real_ip_from"},
	{"http_addition_module", false, "add_before_body"},
	{"http_sub_module", false, "sub_filter"},
	{"http_dav_module", false, "dav_methods"},
	{"http_flv_module", false, "flv"},
	{"http_mp4_module", false, "mp4"},
	{"http_gunzip_module", false, "gunzip"},
	{"http_gzip_static_module", false, "gzip_static"},
	{"http_auth_request_module", false, "auth_request"},
	{"http_random_index_module", false, "random_index"},
	{"http_secure_link_module", false, "secure_link"},
	{"http_slice_module", false, "slice"},
	{"http_stub_status_module", false, "stub_status"},
}

// streamModules are nginx's default stream modules, by key directive
// ("" for those with none: never claimed).
var streamModules = []struct{ name, keyword string }{
	{"stream_limit_conn_module", "limit_conn_zone"},
	{"stream_access_module", "allow"},
	{"stream_geo_module", "geo"},
	{"stream_map_module", "map"},
	{"stream_split_clients_module", "split_clients"},
	{"stream_return_module", "return"},
	{"stream_set_module", "set"},
	{"stream_upstream_hash_module", "hash"},
	{"stream_upstream_least_conn_module", "least_conn"},
	{"stream_upstream_random_module", "random"},
	{"stream_upstream_zone_module", "zone"},
	{"stream_pass_module", "pass"},
}

// streamOptional are the stream modules nginx builds only when asked.
var streamOptional = []struct{ name, keyword string }{
	{"stream_ssl_module", "ssl_certificate"},
	{"stream_realip_module", "set_real_ip_from"},
	{"stream_ssl_preread_module", "ssl_preread"},
}

// moduleSupported says whether goproxy implements the module whose key
// directive is name.
func moduleSupported(name string) bool {
	for _, d := range confparse.Directives() {
		if d.Name == name {
			return d.Status != confparse.Unsupported
		}
	}
	return false
}

// streamSupported is moduleSupported for a stream module's directive:
// only the stream modules' rows count ("map" is also http's).
func streamSupported(name string) bool {
	for _, d := range confparse.Directives() {
		if d.Name == name && strings.HasPrefix(d.Module, "ngx_stream_") {
			return d.Status != confparse.Unsupported
		}
	}
	return false
}

func buildInfo() string {
	var b strings.Builder
	b.WriteString("built with " + runtime.Version() + "\n")
	if moduleSupported("ssl_certificate") {
		// nginx prints this after its OpenSSL line; certbot's nginx
		// plugin looks for it before it configures several sites on
		// one address.
		b.WriteString("TLS SNI support enabled\n")
	}
	b.WriteString("configure arguments: --prefix=" + strings.TrimSuffix(confparse.DefaultPrefix, "/") +
		" --conf-path=" + confparse.DefaultConf + " --http-log-path=" + confparse.DefaultAccessLog +
		" --error-log-path=stderr --pid-path=" + confparse.DefaultPID)
	for _, m := range nginxModules {
		has := moduleSupported(m.keyword)
		switch {
		case m.dflt && !has:
			b.WriteString(" --without-" + m.name)
		case !m.dflt && has:
			b.WriteString(" --with-" + m.name)
		}
	}
	if streamSupported("stream") {
		b.WriteString(" --with-stream")
		for _, m := range streamModules {
			if !streamSupported(m.keyword) {
				b.WriteString(" --without-" + m.name)
			}
		}
		for _, m := range streamOptional {
			if streamSupported(m.keyword) {
				b.WriteString(" --with-" + m.name)
			}
		}
	}
	if moduleSupported("acme_issuer") {
		// nginx builds the acme module apart, as a dynamic module.
		b.WriteString(" --add-dynamic-module=nginx-acme")
	}
	b.WriteString("\n")
	return b.String()
}
