package ssi_test

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// slowBackend answers each request after 300 ms: "(slow PATH)", or for
// /set an SSI page setting $x; it is the upstream of both servers.
func slowBackend(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/set" {
			w.Write([]byte(`<!--#set var="x" value="fromslow" -->S`))
			return
		}
		w.Write([]byte("(slow " + r.URL.Path + ")"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

const parallelConf = `events {}
http {
    access_log off;
    types { text/html html; }
    server {
        listen 127.0.0.1:{{PORT0}};
        root {{ROOT}};
        location / { ssi on; }
        location /slow/ { ssi on; proxy_pass http://127.0.0.1:BACKEND/; }
    }
}
`

// TestSSIParallelLikeNginx checks that includes run side by side as in
// nginx: two includes of an upstream that answers after 300 ms take
// less than 500 ms on both servers, with the same output in document
// order; that wait="yes" and set= hold the page until the includes
// before them are done (an SSI "set" in a slow include is seen after
// them, not after a plain include); nesting; and a page with more
// includes than run at once.
func TestSSIParallelLikeNginx(t *testing.T) {
	port := slowBackend(t)
	many := strings.Repeat(`<!--#include virtual="/part.html" -->`, 100)
	p := nginxtest.Start(t, strings.ReplaceAll(parallelConf, "BACKEND", strconv.Itoa(port)), nginxtest.Options{Files: map[string]string{
		"two.html":    `a<!--#include virtual="/slow/1" -->b<!--#include virtual="/slow/2" -->c`,
		"order.html":  `[<!--#include virtual="/slow/1" -->|<!--#include virtual="/part.html" -->|<!--#include virtual="/slow/2" -->]`,
		"part.html":   `(part)`,
		"plain.html":  `<!--#include virtual="/slow/set" -->|<!--#echo var="x" default="unset" -->`,
		"wait.html":   `<!--#include virtual="/slow/set" -->|<!--#include virtual="/part.html" wait="yes" -->|<!--#echo var="x" default="unset" -->`,
		"waitno.html": `<!--#include virtual="/slow/set" -->|<!--#include virtual="/part.html" wait="no" -->|<!--#echo var="x" default="unset" -->`,
		"set.html":    `<!--#include virtual="/slow/set" -->|<!--#include virtual="/part.html" set="p" -->|<!--#echo var="x" default="unset" -->:<!--#echo var="p" -->`,
		"nest.html":   `<<!--#include virtual="/two.html" -->|<!--#include virtual="/slow/3" -->>`,
		"many.html":   many + `<!--#include virtual="/slow/4" -->` + many,
	}})
	for _, c := range []struct {
		uri  string
		most time.Duration
	}{
		{"/two.html", 500 * time.Millisecond},
		{"/order.html", 500 * time.Millisecond},
		{"/nest.html", 500 * time.Millisecond},
		{"/many.html", 1500 * time.Millisecond},
		{"/plain.html", time.Second},
		{"/wait.html", time.Second},
		{"/waitno.html", time.Second},
		{"/set.html", time.Second},
	} {
		raw := nginxtest.Get(c.uri)
		var bodies []string
		for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
			start := time.Now()
			r := nginxtest.Do(t, s.Addr(), raw)
			if d := time.Since(start); d >= c.most {
				t.Errorf("%s: %s took %v, want less than %v", s.Name, c.uri, d, c.most)
			}
			bodies = append(bodies, string(r.Body))
		}
		if bodies[0] != bodies[1] {
			t.Errorf("%s: nginx sent %q, goproxy %q", c.uri, bodies[0], bodies[1])
		}
	}
	p.Compare(t, nginxtest.Get("/order.html"))
}
