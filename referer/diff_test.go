package referer_test

import (
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
	_ "goproxy/process" // the runtime, as linked in the binary
)

const conf = `events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:{{PORT0}};
        server_name foo.test;
        valid_referers server_names;
        server_name *.bar.test ~^rgx\d;
        location /inh { return 200 "inh [$invalid_referer]\n"; }
        location /none { valid_referers none x.y; return 200 "[$invalid_referer]\n"; }
        location /blocked { valid_referers blocked x.y; return 200 "[$invalid_referer]\n"; }
        location /dot { valid_referers .example.com www.example.*; return 200 "[$invalid_referer]\n"; }
        location /uri { valid_referers Example.COM/Uri *.example.com/a/ example.org; valid_referers ~^a\.b/c; return 200 "[$invalid_referer]\n"; }
        location /off { return 200 "[$invalid_referer]\n"; }
    }
    server {
        listen 127.0.0.1:{{PORT0}};
        server_name other.test;
        location / { return 200 "[$invalid_referer]\n"; }
    }
}
`

// TestRefererLikeNginx compares $invalid_referer with nginx's: the
// scheme and its minimum length, none and blocked, server_names with
// names written after the directive, wildcards, URI prefixes, regexes,
// lines adding to one list, the inherited server-level list.
func TestRefererLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, conf, nginxtest.Options{})
	cases := map[string][]string{
		"/inh":     {"", "http://foo.test/", "http://FOO.test:8080", "http://x.bar.test/", "http://a.b.bar.test:80", "http://bar.test/", "http://rgx5/", "http://rgx", "https://rgx55", "foo.test", "http://foo.testx"},
		"/none":    {"", "-", "http://x.y/"},
		"/blocked": {"", "-", "ftp://x.y/", "http://x.y", "http://abc", "HTTPS://x.y/zzzz"},
		"/dot":     {"http://example.com", "http://a.example.com", "http://a.b.example.com", "http://www.example.co.uk/", "http://www.example/x"},
		"/uri":     {"http://example.com/Uri", "http://EXAMPLE.com:1/Urix", "http://example.com/uri", "http://example.com", "http://z.example.com/a/", "http://z.example.com/a", "http://example.org/anything", "http://a.b/c/d", "http://A.b/c/d", "http://" + strings.Repeat("a", 257) + ".com"},
		"/off":     {"", "x"},
	}
	for path, refs := range cases {
		for _, ref := range refs {
			switch ref {
			case "":
				p.Compare(t, nginxtest.Get(path))
			case "-":
				p.Compare(t, nginxtest.Get(path, "Referer:"))
			default:
				p.Compare(t, nginxtest.Get(path, "Referer: "+ref))
			}
		}
	}
	p.Compare(t, "GET /x HTTP/1.0\r\nHost: other.test\r\nReferer: http://other.test/\r\n\r\n")
}
