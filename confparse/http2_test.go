package confparse_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"goproxy/confparse"
	"goproxy/internal/nginxtest"
)

// TestHTTP2Directives loads nginx 1.22's HTTP/2 directives: the obsolete
// ones warn in nginx's words (and nginx -t warns the same), the others
// are accepted; "listen ... http2" sets the listen's flag.
func TestHTTP2Directives(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "nginx.conf")
	os.WriteFile(conf, []byte(`events {}
http {
    http2_recv_buffer_size 256k;
    http2_idle_timeout 3m;
    http2_recv_timeout 30s;
    http2_max_requests 1000;
    http2_max_field_size 4k;
    http2_max_header_size 16k;
    http2_max_concurrent_streams 64;
    http2_max_concurrent_pushes 10;
    http2_body_preread_size 128k;
    http2_chunk_size 8k;
    http2_pool_size 4k;
    http2_streams_index_size 32;
    http2_push off;
    http2_push_preload off;
    server {
        listen 127.0.0.1:8443 http2;
        location / { http2_chunk_size 4k; }
    }
}
`), 0o644)
	cfg, err := confparse.Load(confparse.Options{Path: conf})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, w.Error())
	}
	want := []string{}
	for i, d := range []string{"http2_idle_timeout", "http2_recv_timeout", "http2_max_requests", "http2_max_field_size", "http2_max_header_size"} {
		instead := []string{"keepalive_timeout", "client_header_timeout", "keepalive_requests", "large_client_header_buffers", "large_client_header_buffers"}[i]
		want = append(want, `the "`+d+`" directive is obsolete, use the "`+instead+`" directive instead in `+conf+":"+strconv.Itoa(i+4))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	s := cfg.HTTP.Servers[0]
	if !s.Listens[0].HTTP2 || *s.Srv.HTTP2.MaxConcurrentStreams != 64 || *s.Srv.HTTP2.PrereadSize != 128<<10 || *s.Srv.HTTP2.On {
		t.Errorf("model: listen http2 %v, %+v", s.Listens[0].HTTP2, s.Srv.HTTP2)
	}
	if nginxtest.NginxPath != "" {
		out, err := exec.Command(nginxtest.NginxPath, "-t", "-c", conf).CombinedOutput()
		if err != nil {
			t.Fatalf("nginx -t: %v\n%s", err, out)
		}
		var ng []string
		for _, m := range regexp.MustCompile(`\[warn\] (?:\d+#\d+: )?(.*)`).FindAllStringSubmatch(string(out), -1) {
			ng = append(ng, m[1])
		}
		if strings.Join(ng, "\n") != strings.Join(want, "\n") {
			t.Errorf("nginx -t warns:\n%s", strings.Join(ng, "\n"))
		}
	}
	// "http2 on" (nginx 1.25.1) is a goproxy extension.
	os.WriteFile(conf, []byte("events {}\nhttp { http2 on; server { listen 8080; http2 off; } server { listen 8081; } }\n"), 0o644)
	cfg, err = confparse.Load(confparse.Options{Path: conf})
	if err != nil {
		t.Fatal(err)
	}
	if *cfg.HTTP.Servers[0].Srv.HTTP2.On || !*cfg.HTTP.Servers[1].Srv.HTTP2.On {
		t.Errorf("http2 on/off not inherited as a server setting")
	}
}
