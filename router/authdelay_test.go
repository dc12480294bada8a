package router_test

import (
	"encoding/base64"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// TestAuthDelay: a 401 of the access phase waits auth_delay, with
// satisfy all and any alike; an accepted password does not.
func TestAuthDelay(t *testing.T) {
	conf := `events {}
http {
    access_log off;
    auth_delay 300ms;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        location / { auth_basic "x"; auth_basic_user_file {{ROOT}}/htpasswd; }
        location /any/ { satisfy any; deny all; auth_basic "x"; auth_basic_user_file {{ROOT}}/htpasswd; }
        location /forbidden/ { deny all; }
    }
}
`
	p := nginxtest.Start(t, conf, nginxtest.Options{GoOnly: true, Files: map[string]string{"htpasswd": "user:{PLAIN}good\n", "index.html": "ok", "any/index.html": "ok", "forbidden/index.html": "ok"}})
	auth := func(pw string) string {
		return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+pw))
	}
	for _, c := range []struct {
		path, header string
		status       int
		delayed      bool
	}{
		{"/", auth("bad"), 401, true},
		{"/", "", 401, true},
		{"/any/", auth("bad"), 401, true},
		{"/", auth("good"), 200, false},
		{"/forbidden/", "", 403, false},
	} {
		start := time.Now()
		var r *nginxtest.Response
		if c.header == "" {
			r = nginxtest.Do(t, p.Go.Addr(), nginxtest.Get(c.path))
		} else {
			r = nginxtest.Do(t, p.Go.Addr(), nginxtest.Get(c.path, c.header))
		}
		took := time.Since(start)
		if r.Status != c.status {
			t.Errorf("%s %q: status %d, want %d", c.path, c.header, r.Status, c.status)
		}
		if got := took >= 300*time.Millisecond; got != c.delayed {
			t.Errorf("%s %q: took %v, delayed %v, want %v", c.path, c.header, took, got, c.delayed)
		}
	}
}
