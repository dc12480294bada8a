package confparse_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"goproxy/confparse"
)

// TestGRPCLoc: the gRPC module's settings as nginx merges them:
// buffering off both ways whatever the CGI defaults, grpc_pass's scheme
// read (grpcs speaks TLS), grpc_set_header inherited, and a
// *_next_upstream "off" beside other values winning over them, as
// nginx's bits do (for the proxy's list too).
func TestGRPCLoc(t *testing.T) {
	cfg, _ := loadText(t, `events {}
http {
    grpc_set_header X-A b;
    server {
        location /a { grpc_pass grpc://127.0.0.1:9000; grpc_next_upstream http_502 off; }
        location /b { grpc_pass grpcs://backend; grpc_next_upstream error http_504; }
        location /c { proxy_pass http://127.0.0.1:9; proxy_next_upstream http_404 off; }
    }
    upstream backend { server 127.0.0.1:9001; }
}
`)
	s := cfg.HTTP.Servers[0]
	a, b, c := &s.Locations[0].Conf.GRPC, &s.Locations[1].Conf.GRPC, &s.Locations[2].Conf.Proxy
	if *a.Buffering || *a.RequestBuffering {
		t.Errorf("gRPC buffers: %v %v", *a.Buffering, *a.RequestBuffering)
	}
	if a.Pass.Scheme != "grpc" || b.Pass.Scheme != "grpcs" || b.Pass.Host != "backend" {
		t.Errorf("passes: %+v %+v", a.Pass, b.Pass)
	}
	if len(a.SetHeaders) != 1 || a.SetHeaders[0].Name != "X-A" {
		t.Errorf("grpc_set_header not inherited: %v", a.SetHeaders)
	}
	if len(a.NextUpstream) != 0 || len(c.NextUpstream) != 0 || !reflect.DeepEqual(b.NextUpstream, []string{"error", "http_504"}) {
		t.Errorf("next upstream: %v %v %v", a.NextUpstream, b.NextUpstream, c.NextUpstream)
	}
}

// loadText loads text as the nginx.conf of a new directory, which it
// returns too.
func loadText(t *testing.T, text string) (*confparse.Config, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, []byte(text), 0o644)
	cfg, err := confparse.Load(confparse.Options{Path: path, Prefix: dir})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, dir
}
