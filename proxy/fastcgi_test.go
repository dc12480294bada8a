package proxy_test

// fastcgi_test.go runs fastcgi_pass, scgi_pass and uwsgi_pass against
// responders in the test process: Go's net/http/fcgi as the FastCGI
// application (beside nginx, whose answers goproxy's must match, and
// alone, for values the test checks itself), and minimal SCGI and uwsgi
// servers that echo what they were sent.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/fcgi"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testupstream"
)

// fcgiApp answers by path: /env lists the parameters, /post echoes the
// body and its length, /status/N answers N, /redirect sends a Location,
// /big sends 1 MB.
func fcgiApp(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/post" || strings.HasPrefix(r.URL.Path, "/post"):
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "len=%d cl=%s body=%s\n", len(b), fcgi.ProcessEnv(r)["CONTENT_LENGTH"], b)
	case strings.HasPrefix(r.URL.Path, "/status/"):
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		w.Header().Set("X-App", "yes")
		w.WriteHeader(n)
		fmt.Fprintln(w, "status", n)
	case r.URL.Path == "/redirect":
		w.Header().Set("Location", "/elsewhere")
		w.WriteHeader(302)
	case r.URL.Path == "/big":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write([]byte(strings.Repeat("0123456789abcdef", 1<<16)))
	default:
		env := fcgi.ProcessEnv(r)
		keys := make([]string, 0, len(env))
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		w.Header().Set("Content-Type", "text/plain")
		for _, k := range keys {
			if k == "REMOTE_PORT" || k == "SERVER_PORT" || k == "DOCUMENT_ROOT" || k == "SCRIPT_FILENAME" || k == "SERVER_SOFTWARE" {
				continue // they differ between the two servers
			}
			fmt.Fprintf(w, "%s=%s\n", k, env[k])
		}
		hk := make([]string, 0, len(r.Header))
		for k := range r.Header {
			hk = append(hk, k)
		}
		sort.Strings(hk)
		for _, k := range hk {
			fmt.Fprintf(w, "header %s=%s\n", k, strings.Join(r.Header[k], "|"))
		}
		fmt.Fprintf(w, "method=%s uri=%s host=%s\n", r.Method, r.URL.RequestURI(), r.Host)
	}
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// startFCGI serves fcgiApp on a loopback port.
func startFCGI(t *testing.T) (*countingListener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	go fcgi.Serve(cl, http.HandlerFunc(fcgiApp))
	t.Cleanup(func() { ln.Close() })
	return cl, ln.Addr().String()
}

func paramsFile(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "conf", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFastCGIDiff(t *testing.T) {
	_, addr := startFCGI(t)
	c := conf("", `
        location / {
            include `+paramsFile(t, "fastcgi.conf")+`;
            fastcgi_pass `+addr+`;
        }
        location /php/ {
            fastcgi_split_path_info ^(.+\.php)(/.*)$;
            fastcgi_index index.php;
            include `+paramsFile(t, "fastcgi_params")+`;
            fastcgi_param PATH_INFO $fastcgi_path_info;
            fastcgi_param SCRIPT_NAME $fastcgi_script_name;
            fastcgi_param HTTP_X_SET set-by-param;
            fastcgi_pass `+addr+`;
        }
        location /nohdr {
            fastcgi_pass_request_headers off;
            fastcgi_param REQUEST_URI $request_uri;
            fastcgi_pass `+addr+`;
        }
        location /status/ {
            include `+paramsFile(t, "fastcgi_params")+`;
            fastcgi_hide_header X-App;
            fastcgi_pass `+addr+`;
        }
`)
	p := start(t, c)
	for _, raw := range []string{
		nginxtest.Get("/env?a=1&b=2", "X-Foo: bar", "Cookie: c=1", "User-Agent: t"),
		nginxtest.Get("/php/x.php/extra/path?q", "X-Set: from-client", "X-Other: 1"),
		nginxtest.Get("/php/dir/"),
		nginxtest.Get("/nohdr", "X-Foo: bar"),
		"POST /post HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
		"POST /post HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n",
		"POST /post HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 40000\r\n\r\n" + strings.Repeat("x", 40000),
		nginxtest.Get("/status/404"),
		nginxtest.Get("/status/503"),
		nginxtest.Get("/redirect"),
		nginxtest.Get("/big"),
		nginxtest.Req("HEAD", "/env"),
	} {
		p.cmp(t, raw)
	}
}

// TestFastCGIParams checks the parameters goproxy sends itself, and
// that fastcgi_keep_conn with keepalive reuses one connection.
func TestFastCGIParams(t *testing.T) {
	ln, addr := startFCGI(t)
	c := `events {}
http {
    access_log off;
    upstream app {
        server ` + addr + `;
        keepalive 2;
    }
    server {
        listen 127.0.0.1:{{PORT}};
        root /srv/www;
        location ~ [^/]\.php(/|$) {
            fastcgi_split_path_info ^(.+?\.php)(/.*)$;
            include ` + paramsFile(t, "fastcgi.conf") + `;
            fastcgi_param X_FILENAME $document_root$fastcgi_script_name;
            fastcgi_param X_SCRIPT $fastcgi_script_name;
            fastcgi_param X_PATH_INFO $fastcgi_path_info;
            fastcgi_param EMPTY "" if_not_empty;
            fastcgi_keep_conn on;
            fastcgi_pass app;
        }
    }
}
`
	p := nginxtest.Start(t, c, nginxtest.Options{GoOnly: true})
	for i := 0; i < 3; i++ {
		r := nginxtest.Do(t, p.Go.Addr(), nginxtest.Get("/a/b.php/c/d?x=1", "X-Multi-Word: v"))
		body := string(r.Body)
		for _, want := range []string{
			"X_FILENAME=/srv/www/a/b.php\n", "X_SCRIPT=/a/b.php\n", "X_PATH_INFO=/c/d\n",
			"uri=/a/b.php/c/d?x=1 ", "REDIRECT_STATUS=200\n", "header X-Multi-Word=v\n", "method=GET",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("response lacks %q:\n%s", want, body)
			}
		}
		if strings.Contains(body, "EMPTY=") {
			t.Errorf("an empty if_not_empty parameter was sent:\n%s", body)
		}
	}
	if n := ln.n.Load(); n != 1 {
		t.Errorf("fastcgi_keep_conn with keepalive: %d connections for 3 requests, want 1", n)
	}
}

// echoSCGI answers each SCGI request with its parameters and body.
func echoSCGI(t *testing.T) string {
	t.Helper()
	return testupstream.Listen(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		ns, err := br.ReadString(':')
		if err != nil {
			return
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(ns, ":"))
		head := make([]byte, n+1)
		io.ReadFull(br, head)
		f := strings.Split(string(head[:n]), "\x00")
		var lines []string
		length := 0
		for i := 0; i+1 < len(f); i += 2 {
			lines = append(lines, f[i]+"="+f[i+1]+"\n")
			if f[i] == "CONTENT_LENGTH" {
				length, _ = strconv.Atoi(f[i+1])
			}
		}
		body := make([]byte, length)
		io.ReadFull(br, body)
		fmt.Fprintf(c, "Status: 201 Made\r\nContent-Type: text/plain\r\n\r\n%sbody=%s\n", strings.Join(lines, ""), body)
	})
}

// echoUWSGI answers each uwsgi packet with its modifiers, vars and body.
func echoUWSGI(t *testing.T) string {
	t.Helper()
	return testupstream.Listen(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		var h [4]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return
		}
		vars := make([]byte, binary.LittleEndian.Uint16(h[1:3]))
		io.ReadFull(br, vars)
		lines := []string{fmt.Sprintf("mod1=%d mod2=%d\n", h[0], h[3])}
		length := 0
		for len(vars) >= 2 {
			kl := int(binary.LittleEndian.Uint16(vars))
			k := string(vars[2 : 2+kl])
			vars = vars[2+kl:]
			vl := int(binary.LittleEndian.Uint16(vars))
			v := string(vars[2 : 2+vl])
			vars = vars[2+vl:]
			lines = append(lines, k+"="+v+"\n")
			if k == "CONTENT_LENGTH" {
				length, _ = strconv.Atoi(v)
			}
		}
		body := make([]byte, length)
		io.ReadFull(br, body)
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n%sbody=%s\n", strings.Join(lines, ""), body)
	})
}

func TestSCGIAndUWSGI(t *testing.T) {
	scgi, uwsgi := echoSCGI(t), echoUWSGI(t)
	c := conf("", `
        location /s {
            scgi_param REQUEST_URI $request_uri;
            scgi_param SCGI 1;
            scgi_pass `+scgi+`;
        }
        location /u {
            uwsgi_param REQUEST_URI $request_uri;
            uwsgi_param CONTENT_LENGTH $content_length;
            uwsgi_modifier1 5;
            uwsgi_modifier2 7;
            uwsgi_pass uwsgi://`+uwsgi+`;
        }
`)
	p := start(t, c)
	for _, raw := range []string{
		nginxtest.Get("/s?a=b", "X-Foo: bar"),
		// The HTTP_* parameters go in the client's order, a repeated
		// header's lines each in its place.
		nginxtest.Get("/s", "Z-Last: 1", "A-First: 2", "Z-Last: 3", "M-Mid: 4"),
		nginxtest.Get("/u", "Z-Last: 1", "A-First: 2", "Z-Last: 3", "M-Mid: 4"),
		"POST /s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
		nginxtest.Get("/u?a=b", "X-Foo: bar"),
		"POST /u HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
	} {
		p.cmp(t, raw)
	}
}

// TestCGICacheDiff: fastcgi_cache and scgi_cache on the proxy's cache
// core, against nginx: MISS then HIT ($upstream_cache_status), and a
// cacheable request does not pass the client's conditional and range
// headers to the application while an uncacheable one does.
func TestCGICacheDiff(t *testing.T) {
	_, addr := startFCGI(t)
	saddr := echoSCGI(t)
	c := conf(`
    fastcgi_cache_path fcache keys_zone=fc:1m;
    scgi_cache_path scache levels=1:2 keys_zone=sc:1m;
    fastcgi_cache_valid 200 1m;
    scgi_cache_valid any 1m;
    fastcgi_cache_key $request_uri;
    scgi_cache_key $request_uri;
    add_header X-Cache $upstream_cache_status;
`, `
        location /c/ {
            include `+paramsFile(t, "fastcgi_params")+`;
            fastcgi_cache fc;
            fastcgi_pass `+addr+`;
        }
        location /nc/ {
            include `+paramsFile(t, "fastcgi_params")+`;
            fastcgi_pass `+addr+`;
        }
        location /s/ {
            scgi_param REQUEST_URI $request_uri;
            scgi_cache sc;
            scgi_pass `+saddr+`;
        }
`)
	p := start(t, c)
	for _, raw := range []string{
		nginxtest.Get("/c/env", "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT", "Range: bytes=0-10", "X-A: 1"),
		nginxtest.Get("/c/env", "X-A: 2"),
		nginxtest.Get("/c/env", "Range: bytes=0-10"),
		nginxtest.Req("HEAD", "/c/env"),
		nginxtest.Get("/nc/env", "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT", "Range: bytes=0-10"),
		nginxtest.Get("/s/x", "If-None-Match: \"a\"", "X-B: 1"),
		nginxtest.Get("/s/x"),
	} {
		p.cmp(t, raw)
	}
}
