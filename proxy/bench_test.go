package proxy_test

import (
	"testing"

	"goproxy/httpd"
	"goproxy/internal/benchkit"
	"goproxy/internal/testupstream"
	"goproxy/proxy"
	"goproxy/router"
	"goproxy/staticfs"
)

// BenchmarkProxyKeepalive is one proxied request over a pooled upstream
// connection (the client side in memory, the upstream on loopback).
func BenchmarkProxyKeepalive(b *testing.B) {
	benchProxy(b, `proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection "";`,
		"GET /x HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
}

// BenchmarkProxyHeaders is BenchmarkProxyKeepalive with the header
// rewriting a real site does: proxy_set_header with variables,
// proxy_hide_header, add_header, and a client sending a browser's
// headers. The difference between the two is the rewriting's cost.
func BenchmarkProxyHeaders(b *testing.B) {
	benchProxy(b, `
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Cookie "";
            proxy_hide_header Content-Type;
            add_header X-Served-By "$hostname $request_id" always;
            add_header Cache-Control "no-store";
`,
		"GET /app/items?page=2 HTTP/1.1\r\nHost: shop.example.com\r\n"+
			"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"+
			"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"+
			"Accept-Language: en-GB,en;q=0.5\r\nAccept-Encoding: identity\r\n"+
			"Referer: https://shop.example.com/app/\r\nCookie: session=0123456789abcdef; theme=dark\r\n"+
			"X-Forwarded-For: 198.51.100.4\r\n\r\n")
}

// BenchmarkProxyCacheHit is a request answered from the cache (the
// entry stored by the first one): nothing goes upstream.
func BenchmarkProxyCacheHit(b *testing.B) {
	benchProxyIn(b, `proxy_cache_path {{ROOT}}/cache levels=1:2 keys_zone=bench:1m;`,
		`proxy_pass http://up; proxy_cache bench; proxy_cache_valid 10m;`,
		"GET /x HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
}

// benchProxy serves req b.N times through a location made of loc that
// proxies to the upstream "up", answering "hello" to every request.
func benchProxy(b *testing.B, loc, req string) { benchProxyIn(b, "", loc, req) }

// benchProxyIn is benchProxy with http-level directives.
func benchProxyIn(b *testing.B, httpLevel, loc, req string) {
	up := testupstream.Start(b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n")
	cfg := benchkit.Load(b, `events {}
http {
    access_log off;
    keepalive_requests 100000000;
    `+httpLevel+`
    upstream up { server `+up+`; keepalive 16; }
    server {
        listen 127.0.0.1:80;
        location / { `+loc+` }
    }
}
`, nil)
	m := proxy.NewManager()
	rt, err := router.New(cfg, router.Options{Static: staticfs.New(nil), Proxy: m.Configure(cfg, nil)})
	if err != nil {
		b.Fatal(err)
	}
	benchkit.Serve(b, &httpd.Server{Handler: rt}, req)
}
