package limitreq_test

import (
	"fmt"
	"testing"

	"goproxy/internal/nginxtest"
)

const conf = `events {}
http {
    access_log off;
    limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
    limit_req_zone $arg_k zone=bykey:1m rate=1r/m;
    limit_conn_zone $binary_remote_addr zone=addr:1m;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        add_header X-Status $limit_req_status always;
        location /nodelay { limit_req zone=one burst=3 nodelay; }
        location /status { limit_req zone=bykey burst=1 nodelay; limit_req_status 429; }
        location /dry { limit_req zone=bykey burst=1 nodelay; limit_req_dry_run on; }
        location /conn { limit_conn addr 5; }
    }
}
`

// TestBurstCounted counts which requests pass a burst: the rate is so
// low (1 per minute) that nothing leaks during the test, so the outcome
// is decided by counting, not by timing.
func TestBurstCounted(t *testing.T) {
	p := nginxtest.Start(t, conf, nginxtest.Options{Files: map[string]string{
		"nodelay": "ok", "status": "ok", "dry": "ok", "conn": "ok"}})
	var seq [2]string
	for i, addr := range []string{p.Nginx.Addr(), p.Go.Addr()} {
		for n := 0; n < 6; n++ {
			r := nginxtest.Do(t, addr, nginxtest.Get("/nodelay"))
			seq[i] += fmt.Sprintf("%d:%s ", r.Status, r.Header.Get("X-Status"))
		}
		for n := 0; n < 3; n++ {
			r := nginxtest.Do(t, addr, nginxtest.Get("/status?k=a"))
			seq[i] += fmt.Sprintf("%d ", r.Status)
		}
		for n := 0; n < 3; n++ {
			r := nginxtest.Do(t, addr, nginxtest.Get("/dry?k=b"))
			seq[i] += fmt.Sprintf("%d:%s ", r.Status, r.Header.Get("X-Status"))
		}
		for n := 0; n < 2; n++ {
			r := nginxtest.Do(t, addr, nginxtest.Get("/status"))
			seq[i] += fmt.Sprintf("%d ", r.Status)
		}
		r := nginxtest.Do(t, addr, nginxtest.Get("/conn"))
		seq[i] += fmt.Sprintf("%d", r.Status)
	}
	if seq[0] != seq[1] {
		t.Errorf("limit_req outcomes differ:\nnginx:   %s\ngoproxy: %s", seq[0], seq[1])
	}
	if want := "200:PASSED 200:PASSED 200:PASSED 200:PASSED 503:REJECTED 503:REJECTED 200 200 429"; len(seq[1]) < len(want) || seq[1][:len(want)] != want {
		t.Errorf("unexpected sequence %q", seq[1])
	}
}
