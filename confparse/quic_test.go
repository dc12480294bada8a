package confparse_test

import (
	"os"
	"path/filepath"
	"testing"

	"goproxy/confparse"
)

// TestQUICConfigErrors: bad quic configurations fail the load (and so
// "-t") with nginx 1.25's words and position.
func TestQUICConfigErrors(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	os.WriteFile(filepath.Join(dir, "empty.key"), nil, 0o644)
	cert := "ssl_certificate a.crt; ssl_certificate_key a.key;"
	for _, c := range []struct{ server, want string }{
		{"listen 443 quic ssl; " + cert, `"ssl" parameter is incompatible with "quic" in ` + conf + ":3"},
		{"listen 443 quic http2; " + cert, `"http2" parameter is incompatible with "quic" in ` + conf + ":3"},
		{"listen 443 quic proxy_protocol; " + cert, `"proxy_protocol" parameter is incompatible with "quic" in ` + conf + ":3"},
		{"listen 443 quic backlog=10; " + cert, `"backlog" parameter is incompatible with "quic" in ` + conf + ":3"},
		{"listen 443 quic deferred; " + cert, `"deferred" parameter is incompatible with "quic" in ` + conf + ":3"},
		{"listen 443 quic so_keepalive=on; " + cert, `"so_keepalive" parameter is incompatible with "quic" in ` + conf + ":3"},
		{"listen 443 quic;", `no "ssl_certificate" is defined for the "listen ... quic" directive in ` + conf + ":3"},
		{"listen 443 quic; listen 443 quic; " + cert, `a duplicate listen 0.0.0.0:443 in ` + conf + ":3"},
		{"listen 443 quic; quic_host_key missing.key; " + cert, `open() "` + dir + `/missing.key" failed (2: No such file or directory) in ` + conf + ":3"},
		{"listen 443 quic; quic_host_key empty.key; " + cert, `"` + dir + `/empty.key" zero key size in ` + conf + ":3"},
		{"listen 443 quic; http3 maybe; " + cert, `invalid value "maybe" in "http3" directive, it must be "on" or "off" in ` + conf + ":3"},
		{"listen 443 quic; http3_stream_buffer_size x; " + cert, `"http3_stream_buffer_size" directive invalid value in ` + conf + ":3"},
		{"listen 443 quic; quic_retry on; quic_retry on; " + cert, `"quic_retry" directive is duplicate in ` + conf + ":3"},
	} {
		os.WriteFile(conf, []byte("events {}\nhttp {\n    server { "+c.server+" }\n}\n"), 0o644)
		_, err := confparse.Load(confparse.Options{Path: conf})
		if err == nil || err.Error() != c.want {
			t.Errorf("%s:\n got %v\nwant %s", c.server, err, c.want)
		}
	}
	// The same address over TCP and QUIC is two sockets, as in nginx.
	os.WriteFile(conf, []byte("events {}\nhttp {\n    server { listen 443 ssl; listen 443 quic reuseport; quic_gso on; quic_active_connection_id_limit 4; http3_hq off; "+cert+" }\n}\n"), 0o644)
	cfg, err := confparse.Load(confparse.Options{Path: conf})
	if err != nil {
		t.Fatal(err)
	}
	ls := cfg.HTTP.Servers[0].Listens
	if len(ls) != 2 || ls[1].Network != "udp" || !ls[1].ReusePort || ls[1].Key() != "0.0.0.0:443 quic" || ls[0].Key() != "0.0.0.0:443" {
		t.Errorf("listens: %+v %+v", ls[0], ls[1])
	}
}
