package httpcore_test

import (
	"testing"

	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/internal/benchkit"
)

const benchConf = `events {}
http {
    map $http_user_agent $agent { default other; ~*firefox browser; ~*curl curl; }
    server {
        listen 127.0.0.1:80;
        location / { return 200; }
    }
}
`

const benchHead = "GET /app/items?page=2&sort=price HTTP/1.1\r\nHost: shop.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Cookie: session=0123456789abcdef; theme=dark\r\n\r\n"

// BenchmarkVariables expands a template of the variables configurations
// use most: built-ins, $arg_, $http_, $cookie_ and a regex map.
func BenchmarkVariables(b *testing.B) {
	cfg := benchkit.Load(b, benchConf, nil)
	t, err := confparse.ParseTemplate("$scheme://$host$request_uri $remote_addr $arg_page $http_user_agent $cookie_theme $agent")
	if err != nil {
		b.Fatal(err)
	}
	rq := benchkit.Request(b, cfg, benchHead)
	want := "http://shop.example.com/app/items?page=2&sort=price 192.0.2.7 2 " +
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 dark browser"
	if got := rq.Eval(t); got != want {
		b.Fatalf("Eval = %q, want %q", got, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rq.Set = nil // the map's result is cached per request
		rq.Eval(t)
	}
}

// BenchmarkNormalizeURI is nginx's URI parsing: a plain path (the fast
// path) and one with escapes, dot segments and double slashes.
func BenchmarkNormalizeURI(b *testing.B) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", "/static/css/site.min.css", "/static/css/site.min.css"},
		{"complex", "/static//img/../css/./a%20b%2Fc.css", "/static/css/a b/c.css"},
	} {
		b.Run(c.name, func(b *testing.B) {
			if got, err := httpcore.NormalizeURI(c.in, true); err != nil || got != c.want {
				b.Fatalf("NormalizeURI(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			b.ReportAllocs()
			for range b.N {
				httpcore.NormalizeURI(c.in, true)
			}
		})
	}
}
