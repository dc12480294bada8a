package router_test

// limitrate_diff_test.go compares limit_rate's pacing and $limit_rate
// with nginx: the same files take the same whole seconds to arrive.

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

const rateConf = `events {}
http {
    access_log off;
    root {{ROOT}};
    server {
        listen 127.0.0.1:{{PORT}};
        location /slow/ { limit_rate 2k; limit_rate_after 1k; }
        location /var/ { alias {{ROOT}}/slow/; limit_rate $arg_r; }
        location /set/ { alias {{ROOT}}/slow/; set $limit_rate $arg_r; add_header X-Rate $limit_rate; }
        location = /x { set $limit_rate 3k; return 200 "$limit_rate"; }
    }
}
`

func TestLimitRate(t *testing.T) {
	body := strings.Repeat("x", 5000)
	p := nginxtest.Start(t, rateConf, nginxtest.Options{Files: map[string]string{"slow/f": body}})
	for _, c := range []struct {
		path string
		secs int // whole seconds the body takes (nginx: budget rate*(n+1) by second n)
	}{
		{"/slow/f", 1}, {"/var/f?r=1k", 4}, {"/var/f?r=", 0}, {"/set/f?r=2k", 2}, {"/set/f?r=bad", 0}, {"/x", 0},
	} {
		var took [2]time.Duration
		var got [2]string
		for i, s := range []*nginxtest.Server{p.Nginx, p.Go} {
			if s == nil {
				continue
			}
			start := time.Now()
			resp, err := http.Get("http://" + s.Addr() + c.path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			took[i] = time.Since(start)
			got[i] = resp.Header.Get("X-Rate") + "|" + string(b)
			// Faster than the budget is a limit not applied; slower is
			// judged against nginx's own time on this (maybe loaded)
			// machine, when nginx ran.
			want := time.Duration(c.secs) * time.Second
			if i == 1 && p.Nginx != nil {
				want = max(want, took[0])
			}
			if d := took[i] - time.Duration(c.secs)*time.Second; d < -600*time.Millisecond || i == 1 && took[i]-want > 1200*time.Millisecond {
				t.Errorf("%s %s: took %v, want about %ds", s.Name, c.path, took[i], c.secs)
			}
		}
		if p.Nginx != nil && got[0] != got[1] {
			t.Errorf("%s: nginx %.40q, goproxy %.40q", c.path, got[0], got[1])
		}
	}
}
