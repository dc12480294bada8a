package confparse

// variables.go knows nginx's variable names: which exist, and which
// goproxy can evaluate. A variable nginx has but goproxy cannot evaluate
// is refused at load time rather than silently left empty.

import "strings"

type varKind int

const (
	varUnknown     varKind = iota // nginx has no such variable
	varUnsupported                // nginx has it; goproxy does not evaluate it
	varBuiltin                    // evaluated by goproxy
	varDefined                    // defined by the configuration (set, map, captures)
)

// Variables goproxy evaluates (package httpcore implements each; a test
// there checks that this list and the implementation agree).
var SupportedVariables = []string{
	"args", "binary_remote_addr", "body_bytes_sent", "bytes_sent", "connection",
	"connection_requests", "content_length", "content_type", "document_root", "document_uri",
	"host", "hostname", "https", "is_args", "limit_rate", "msec", "nginx_version", "pid",
	"query_string", "realpath_root", "remote_addr", "remote_port", "remote_user", "request",
	"request_body", "request_completion", "request_filename", "request_id", "request_length",
	"request_method", "request_time", "request_uri", "scheme", "server_addr", "server_name",
	"server_port", "server_protocol", "status", "time_iso8601", "time_local", "uri",
	"proxy_host", "proxy_port", "proxy_add_x_forwarded_for",
	"upstream_addr", "upstream_status", "upstream_response_time", "upstream_connect_time",
	"upstream_header_time", "upstream_bytes_received", "upstream_bytes_sent",
	"upstream_response_length", "gzip_ratio", "connection_time", "pipe",
	"ssl_protocol", "ssl_cipher", "ssl_server_name", "ssl_alpn_protocol", "ssl_session_reused", "ssl_session_id",
	"ssl_client_verify", "ssl_client_s_dn", "ssl_client_i_dn", "ssl_client_serial",
	"ssl_client_fingerprint", "ssl_client_raw_cert", "ssl_client_cert", "ssl_client_escaped_cert",
	"ssl_client_v_start", "ssl_client_v_end", "ssl_client_v_remain",
	"ssl_ciphers", "ssl_curves", "ssl_early_data", "ssl_client_s_dn_legacy", "ssl_client_i_dn_legacy",
	"limit_req_status", "limit_conn_status",
	"realip_remote_addr", "realip_remote_port", "proxy_protocol_addr", "proxy_protocol_port",
	"proxy_protocol_server_addr", "proxy_protocol_server_port",
	"connections_active", "connections_reading", "connections_writing", "connections_waiting",
}

// SupportedVariablePrefixes are the variable families goproxy evaluates.
var SupportedVariablePrefixes = []string{"http_", "sent_http_", "cookie_", "arg_", "upstream_http_", "upstream_cookie_"}

// nginxOnlyVariables are nginx variables goproxy does not evaluate yet.
var nginxOnlyVariables = []string{
	"request_body_file", "tcpinfo_rtt", "tcpinfo_rttvar",
	"tcpinfo_snd_cwnd", "tcpinfo_rcv_space", "upstream_cache_status", "upstream_queue_time",
	"upstream_trailer_", "invalid_referer", "secure_link", "secure_link_expires", "uid_got",
	"uid_set", "uid_reset", "fastcgi_script_name", "fastcgi_path_info", "memcached_key",
	"date_local", "date_gmt", "ancient_browser", "modern_browser", "msie", "slice_range", "http2",
	"sent_trailer_",
}

var supportedVarSet = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range SupportedVariables {
		m[v] = true
	}
	return m
}()

var nginxOnlyVarSet = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range nginxOnlyVariables {
		m[v] = true
	}
	return m
}()

// knownVariable classifies a variable name.
func knownVariable(name string, h *HTTPConf) varKind {
	if h != nil && h.Vars[name] {
		return varDefined
	}
	if supportedVarSet[name] {
		return varBuiltin
	}
	for _, p := range SupportedVariablePrefixes {
		if strings.HasPrefix(name, p) {
			return varBuiltin
		}
	}
	if nginxOnlyVarSet[name] {
		return varUnsupported
	}
	for _, p := range nginxOnlyVariables {
		if strings.HasSuffix(p, "_") && strings.HasPrefix(name, p) {
			return varUnsupported
		}
	}
	return varUnknown
}
