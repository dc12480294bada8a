package proxy_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

const bodyFileConf = `events {}
http {
    access_log off;
    client_body_temp_path {{DIR}}/cbt 1 2;
    map $request_body_file $has_file { "" no; default yes; }
    server {
        listen 127.0.0.1:{{PORT0}};
        client_body_buffer_size 2k;
        add_header X-Body "$request_body";
        add_header X-Has-File $has_file;
        location / { proxy_pass http://127.0.0.1:{{PORT1}}; }
        location /only { client_body_in_file_only on; proxy_pass http://127.0.0.1:{{PORT1}}; }
        location /clean { client_body_in_file_only clean; proxy_pass http://127.0.0.1:{{PORT1}}; }
        location /file { client_body_in_file_only on; add_header X-File $request_body_file;
            proxy_pass http://127.0.0.1:{{PORT1}}; }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        location / { add_header X-Got "$request_body"; return 200 "ok\n"; }
    }
}
`

func post(path, body string) string {
	return nginxtest.Req("POST", path, "Content-Length: "+strconv.Itoa(len(body))) + body
}

// TestBodyFileLikeNginx compares where a request body is kept: in memory
// ($request_body) below client_body_buffer_size, in a file
// ($request_body_file, $request_body empty) above it or always with
// client_body_in_file_only; the upstream gets it either way.
func TestBodyFileLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, bodyFileConf, nginxtest.Options{Ports: 2})
	small, large := "0123456789", strings.Repeat("0123456789", 512)
	for _, r := range []string{
		nginxtest.Get("/"), post("/", small), post("/", large),
		post("/only", small), post("/clean", large),
	} {
		p.Compare(t, r)
	}
	// The file client_body_in_file_only on keeps: in the temporary
	// directory's levels, with the whole body.
	for _, srv := range []*nginxtest.Server{p.Nginx, p.Go} {
		r := nginxtest.Do(t, srv.Addr(), post("/file", large))
		name := r.Header.Get("X-File")
		rel, err := filepath.Rel(filepath.Join(srv.Dir, "cbt"), name)
		if err != nil || len(strings.Split(rel, string(filepath.Separator))) != 3 {
			t.Errorf("%s: body file %q not in cbt/L1/L2", srv.Dir, name)
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil || string(b) != large {
			t.Errorf("%s: body file %q holds %d bytes (%v)", srv.Dir, name, len(b), err)
		}
	}
}
