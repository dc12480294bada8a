package router_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

const postActionConf = `events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:{{PORT0}};
        root {{ROOT}};
        location / { post_action /pa; }
        location /named { post_action @pa; return 200 "named\n"; }
        location /pa { proxy_pass http://127.0.0.1:{{PORT1}}/seen; }
        location @pa { rewrite ^ /seen-named break; proxy_pass http://127.0.0.1:{{PORT1}}; }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        access_log {{DIR}}/pa.log;
        location / { return 200 "HIDDEN\n"; }
    }
}
`

// TestPostActionLikeNginx checks post_action: the client gets the
// response alone, and the post action's URI or named location is
// processed after it (its upstream sees the request).
func TestPostActionLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, postActionConf, nginxtest.Options{Ports: 2, Files: map[string]string{
		"a.html": "SEE-THIS\n",
	}})
	p.Compare(t, nginxtest.Get("/a.html"))
	p.Compare(t, nginxtest.Get("/named"))
	for _, srv := range []*nginxtest.Server{p.Nginx, p.Go} {
		var log string
		for i := 0; i < 50; i++ {
			b, _ := os.ReadFile(filepath.Join(srv.Dir, "pa.log"))
			if log = string(b); strings.Contains(log, "/seen-named") {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.Contains(log, "GET /seen ") || !strings.Contains(log, "GET /seen-named ") {
			t.Errorf("%s: post actions not seen upstream: %q", srv.Dir, log)
		}
	}
}
