package router_test

import (
	"fmt"
	"strings"
	"testing"

	"goproxy/httpd"
	"goproxy/internal/benchkit"
	"goproxy/router"
	"goproxy/staticfs"
)

func benchRouter(b *testing.B, conf string, files map[string]string) *httpd.Server {
	cfg := benchkit.Load(b, conf, files)
	rt, err := router.New(cfg, router.Options{Static: staticfs.New(nil)})
	if err != nil {
		b.Fatal(err)
	}
	return &httpd.Server{Handler: rt}
}

const benchConf = `events {}
http {
    access_log off;
    keepalive_requests 100000000;
    types { text/plain txt; }
    server {
        listen 127.0.0.1:80;
        root {{ROOT}};
        location /dir/ { autoindex on; }
        location = /exact { return 200 "ok"; }
        location ~ \.php$ { return 404; }
    }
}
`

// BenchmarkSmallFile is one keep-alive request for a 1 KiB file.
func BenchmarkSmallFile(b *testing.B) {
	srv := benchRouter(b, benchConf, map[string]string{"1k.txt": strings.Repeat("x", 1024)})
	benchkit.Serve(b, srv, "GET /1k.txt HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
}

// BenchmarkReturn is a request answered by "return".
func BenchmarkReturn(b *testing.B) {
	srv := benchRouter(b, benchConf, nil)
	benchkit.Serve(b, srv, "GET /exact HTTP/1.1\r\nHost: localhost\r\n\r\n")
}

// BenchmarkAutoindex lists a 1000-entry directory.
func BenchmarkAutoindex(b *testing.B) {
	files := map[string]string{}
	for i := 0; i < 1000; i++ {
		files[fmt.Sprintf("dir/file-%d.txt", i)] = "x"
	}
	srv := benchRouter(b, benchConf, files)
	benchkit.Serve(b, srv, "GET /dir/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
}

// BenchmarkLocations1000 finds locations among 1000 prefix and 50 regex
// locations.
func BenchmarkLocations1000(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("events {}\nhttp { access_log off; keepalive_requests 100000000; server { listen 127.0.0.1:80;\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&sb, "location /app%d/ { return 200 %d; }\n", i, i)
	}
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&sb, "location ~ ^/re%d/[a-z]+$ { return 200 r%d; }\n", i, i)
	}
	sb.WriteString("} }\n")
	srv := benchRouter(b, sb.String(), nil)
	benchkit.Serve(b, srv, "GET /app777/some/path HTTP/1.1\r\nHost: localhost\r\n\r\n")
}
