package proxy_test

// diff_test.go compares nginx and goproxy on what goes upstream (the URI,
// the request headers) and on what comes back (response headers,
// proxy_redirect).

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testupstream"
)

// TestURIRules checks which URI goes upstream for each form of
// proxy_pass: with and without a URI part, prefix replacement, rewrite
// ... break, variables, and requests with escapes, spaces, arguments and
// double slashes.
func TestURIRules(t *testing.T) {
	up := startUpstream(t, "echo", echo)
	p := start(t, conf(`
    upstream backend { server {{UP}}; }`, `
        location /api/ { proxy_pass http://{{UP}}/v1/; }
        location /noslash { proxy_pass http://{{UP}}/v2; }
        location /plain/ { proxy_pass http://{{UP}}; }
        location /root/ { proxy_pass http://{{UP}}/; }
        location /ups/ { proxy_pass http://backend/; }
        location /upsplain/ { proxy_pass http://backend; }
        location /rw/ { rewrite ^/rw/(.*)$ /new/$1 break; proxy_pass http://{{UP}}; }
        location /rwuri/ { rewrite ^/rwuri/(.*)$ /new/$1 break; proxy_pass http://{{UP}}/ignored/; }
        location /rwargs/ { rewrite ^ /changed?x=1 break; proxy_pass http://{{UP}}/ignored/; }
        location /breakdir/ { rewrite ^/breakdir/(.*)$ /bd/$1; break; proxy_pass http://{{UP}}/ignored/; }
        location /rwlast/ { rewrite ^/rwlast/(.*)$ /api/$1 last; }
        location /var/ { set $up {{UP}}; proxy_pass http://$up; }
        location /varuri/ { proxy_pass http://{{UP}}/x$request_uri; }
        location /varuri2/ { proxy_pass http://{{UP}}/y/$uri$is_args$args; }
        location /varname/ { set $b backend; proxy_pass http://$b; }
        location /varhost/ { set $h localhost:{{UPPORT}}; proxy_pass http://$h; }
        location /args/ { proxy_pass http://{{UP}}/a/?fixed=1; }
        location = /exact { proxy_pass http://{{UP}}/e; }
        location ~ ^/re/(.*)$ { proxy_pass http://{{UP}}; }
        location ~ ^/recap/(.*)$ { proxy_pass http://{{UP}}/c/$1; }
        location /x/ { proxy_pass http://{{UP}}; }
        location @named { proxy_pass http://{{UP}}; }
        location /tonamed/ { try_files /nonexistent @named; }
        location /errpage/ { error_page 404 = /api/from-error; return 404; }`), up)
	for _, r := range []string{
		nginxtest.Get("/api/"),
		nginxtest.Get("/api/a/b"),
		nginxtest.Get("/api/a?x=1&y=%41"),
		nginxtest.Get("/api/a%20b"),
		nginxtest.Get("/api/a b"),
		nginxtest.Get("/api/a%2Fb"),
		nginxtest.Get("/api/%7e%41"),
		nginxtest.Get("/api//double//slash"),
		nginxtest.Get("/api/./dot/../x"),
		nginxtest.Get("/api/%zz"),
		nginxtest.Get("/api/ümlaut"),
		nginxtest.Get("/api/ü%20x"),
		nginxtest.Get("/plain/ü%20x"),
		nginxtest.Get("/rw/ümlaut"),
		nginxtest.Get("/rwlast/ümlaut"),
		nginxtest.Get("/var/ümlaut"),
		nginxtest.Get("/breakdir/a"),
		nginxtest.Get("/api"),
		nginxtest.Get("/api?q=1"),
		nginxtest.Get("/noslash"),
		nginxtest.Get("/noslash/x"),
		nginxtest.Get("/noslashy"),
		nginxtest.Get("/plain/a%20b?c=d%20e"),
		nginxtest.Get("/plain//a/./b/../c"),
		nginxtest.Get("/plain/a b"),
		nginxtest.Get("/root/x%2Fy"),
		nginxtest.Get("/ups/a%20b"),
		nginxtest.Get("/upsplain/a%20b"),
		nginxtest.Get("/rw/a%20b?k=v"),
		nginxtest.Get("/rwuri/z"),
		nginxtest.Get("/rwargs/z?orig=1"),
		nginxtest.Get("/rwlast/q%20r?s=1"),
		nginxtest.Get("/var/a%20b?c"),
		nginxtest.Get("/varuri/a%20b?c"),
		nginxtest.Get("/varuri2/a%20b?c=1"),
		nginxtest.Get("/varname/k"),
		nginxtest.Get("/varhost/k"),
		nginxtest.Get("/args/t?u=1"),
		nginxtest.Get("/exact"),
		nginxtest.Get("/exact?z"),
		nginxtest.Get("/re/a%20b?x"),
		nginxtest.Get("/recap/a%20b?x"),
		nginxtest.Get("/x"),
		nginxtest.Get("/x?a=1"),
		nginxtest.Get("/x/"),
		nginxtest.Get("/tonamed/a?b"),
		nginxtest.Get("/errpage/a?b"),
		nginxtest.Get("http://other/api/abs?q"),
		"GET /api/old HTTP/1.0\r\n\r\n",
	} {
		p.cmp(t, r)
	}
	compareErrorLogs(t, p)
}

// TestRequestHeaders checks the headers sent upstream: nginx's defaults,
// proxy_set_header with variables and empty values, inheritance,
// proxy_pass_request_headers, proxy_http_version, proxy_method and
// proxy_set_body, and what happens to the client's hop-by-hop headers.
func TestRequestHeaders(t *testing.T) {
	up := startUpstream(t, "echo", echo)
	// nginx sends the client's Content-Length without the body when
	// proxy_pass_request_body is off: that upstream must not wait for it.
	headOnly := startUpstreamWith(t, "headonly", echo, func(u *upstream) { u.headOnly = true })
	p := start(t, conf(`
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    upstream backend { server {{UP}}; }`, `
        proxy_set_header X-Outer outer;
        location /h/ { proxy_pass http://{{UP}}; }
        location /set/ {
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Uri "$uri|$args|$request_uri";
            proxy_set_header User-Agent "";
            proxy_set_header Accept-Encoding "";
            proxy_set_header X-Empty-Var $http_x_nothing;
            proxy_set_header X-Proxy "$proxy_host $proxy_port";
            proxy_pass http://{{UP}};
        }
        location /host/ { proxy_set_header Host $host; proxy_pass http://{{UP}}; }
        location /httphost/ { proxy_set_header Host $http_host; proxy_pass http://{{UP}}; }
        location /nohost/ { proxy_set_header Host ""; proxy_pass http://{{UP}}; }
        location /conn/ { proxy_set_header Connection $connection_upgrade; proxy_set_header Upgrade $http_upgrade; proxy_pass http://{{UP}}; }
        location /nohdr/ { proxy_pass_request_headers off; proxy_pass http://{{UP}}; }
        location /http11/ { proxy_http_version 1.1; proxy_pass http://{{UP}}; }
        location /method/ { proxy_method POST; proxy_pass http://{{UP}}; }
        location /setbody/ { proxy_set_body "a=$arg_a"; proxy_pass http://{{UP}}; }
        location /nobody/ { proxy_pass_request_body off; proxy_pass http://{{UP1}}; }
        location /nobodynolen/ { proxy_pass_request_body off; proxy_set_header Content-Length ""; proxy_pass http://{{UP}}; }
        location /setlen/ { proxy_set_header Content-Length 1; proxy_pass http://{{UP1}}; }
        location /ups/ { proxy_pass http://backend; }
        location /outer/ {
            proxy_set_header X-Mid mid;
            location /outer/inner/ { proxy_pass http://{{UP}}; }
        }`), up, headOnly)
	for _, r := range []string{
		nginxtest.Get("/h/"),
		nginxtest.Get("/h/", "User-Agent: test/1", "Accept: */*", "X-Dup: 1", "X-Dup: 2", "x-lower: v"),
		"GET /h/ HTTP/1.0\r\nHost: h\r\nConnection: X-Hop\r\nKeep-Alive: 300\r\nX-Hop: 1\r\nTE: trailers\r\n" +
			"Upgrade: websocket\r\nProxy-Connection: keep-alive\r\n\r\n",
		nginxtest.Get("/h/", "Host: example.com:8080"),
		nginxtest.Get("/set/a?b=1", "X-Forwarded-For: 10.0.0.1", "X-Forwarded-For: 10.0.0.2", "User-Agent: ua", "Accept-Encoding: gzip"),
		nginxtest.Get("/set/a"),
		nginxtest.Get("/host/", "Host: Example.COM:8080"),
		nginxtest.Get("/httphost/", "Host: Example.COM:8080"),
		nginxtest.Get("/nohost/"),
		nginxtest.Get("/conn/"),
		nginxtest.Get("/conn/", "Upgrade: websocket"),
		nginxtest.Get("/nohdr/", "X-Client: 1", "Cookie: a=b"),
		nginxtest.Get("/http11/", "X-Client: 1"),
		nginxtest.Get("/method/"),
		nginxtest.Req("HEAD", "/method/"),
		nginxtest.Get("/setbody/?a=42"),
		nginxtest.Req("POST", "/nobody/", "Content-Length: 3") + "abc",
		nginxtest.Req("POST", "/nobody/", "Transfer-Encoding: chunked") + "3\r\nabc\r\n0\r\n\r\n",
		nginxtest.Req("POST", "/nobodynolen/", "Content-Length: 3") + "abc",
		nginxtest.Req("POST", "/setbody/", "Content-Length: 3") + "abc",
		nginxtest.Req("POST", "/setlen/", "Content-Length: 3") + "abc",
		nginxtest.Req("GET", "/h/", "Content-Length: 0"),
		nginxtest.Req("POST", "/h/", "Content-Length: 00"),
		nginxtest.Get("/ups/"),
		nginxtest.Get("/outer/inner/"),
		nginxtest.Req("DELETE", "/h/"),
		nginxtest.Req("POST", "/h/"),
		nginxtest.Req("PUT", "/h/", "Content-Length: 0"),
		nginxtest.Req("OPTIONS", "/h/"),
		nginxtest.Req("PROPFIND", "/h/"),
	} {
		p.cmp(t, r)
	}
}

// richHead is an upstream response head with the headers nginx hides by
// default and some it passes with care.
const richHead = "HTTP/1.1 200 OK\r\n" +
	"Server: upstream/1.0\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nX-Pad: avoid browser bug\r\n" +
	"X-Accel-Expires: 10\r\nX-Accel-Limit-Rate: 1000000\r\nX-Accel-Buffering: yes\r\nX-Accel-Charset: koi8-r\r\n" +
	"X-Powered-By: php\r\nX-Custom: a\r\nX-Multi: 1\r\nX-Multi: 2\r\n" +
	"Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Domain=upstream.local; Path=/app/x\r\n" +
	"Content-Type: text/html\r\nKeep-Alive: timeout=5\r\nCache-Control: no-cache\r\n" +
	"Expires: Thu, 01 Jan 1970 00:00:01 GMT\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n" +
	"ETag: \"abc\"\r\nAccept-Ranges: bytes\r\nVary: Accept-Encoding\r\nLink: </a>; rel=preload\r\n" +
	"WWW-Authenticate: Basic realm=\"x\"\r\nX-Empty:\r\n"

// TestResponseHeaders checks which upstream response headers reach the
// client: the default hidden set, proxy_hide_header, proxy_pass_header,
// duplicates, cookie rewriting, and upstream variables in add_header.
func TestResponseHeaders(t *testing.T) {
	up := startUpstream(t, "rich", respond(richHead, "body\n"))
	p := start(t, conf("", `
        location /r/ { proxy_pass http://{{UP}}; }
        location /hide/ {
            proxy_hide_header X-Powered-By;
            proxy_hide_header Link;
            proxy_pass_header Server;
            proxy_pass_header Date;
            proxy_pass_header X-Accel-Expires;
            proxy_pass_header X-Pad;
            proxy_pass http://{{UP}};
        }
        location /cookie/ {
            proxy_cookie_domain upstream.local example.com;
            proxy_cookie_path /app/ /;
            proxy_pass http://{{UP}};
        }
        location /add/ {
            add_header X-Up "$upstream_addr|$upstream_status|$upstream_http_x_custom|$upstream_cookie_b";
            add_header X-Sent "$sent_http_x_custom";
            proxy_pass http://{{UP}};
        }`), up)
	for _, r := range []string{
		nginxtest.Get("/r/"),
		nginxtest.Req("HEAD", "/r/"),
		nginxtest.Get("/cookie/"),
		nginxtest.Get("/add/"),
		nginxtest.Get("/r/", "If-None-Match: \"abc\""),
		nginxtest.Get("/r/", "If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT"),
		nginxtest.Get("/r/", "Range: bytes=0-1"),
	} {
		p.cmp(t, r)
	}
	// Server and Date are not compared by the harness: check them here.
	ng, gp := p.cmp(t, nginxtest.Get("/hide/"))
	for _, r := range []*nginxtest.Response{ng, gp} {
		if r.Header.Get("Server") != "upstream/1.0" || r.Header.Get("Date") != "Mon, 01 Jan 2024 00:00:00 GMT" {
			t.Errorf("proxy_pass_header Server/Date: got %q, %q", r.Header.Get("Server"), r.Header.Get("Date"))
		}
	}
	ng, gp = p.cmp(t, nginxtest.Get("/r/"))
	for _, r := range []*nginxtest.Response{ng, gp} {
		if r.Header.Get("Server") == "upstream/1.0" || r.Header.Get("Date") == "Mon, 01 Jan 2024 00:00:00 GMT" {
			t.Errorf("upstream Server/Date passed: %q, %q", r.Header.Get("Server"), r.Header.Get("Date"))
		}
	}
}

// TestRedirects checks proxy_redirect on Location and Refresh: default,
// off, explicit prefixes, regexes and variables; a relative Location the
// upstream sent stays relative.
func TestRedirects(t *testing.T) {
	up := startUpstream(t, "redir", redirector)
	p := start(t, conf("", `
        location /api/ { proxy_pass http://{{UP}}/v1/; }
        location /plain/ { proxy_pass http://{{UP}}; }
        location /off/ { proxy_redirect off; proxy_pass http://{{UP}}/v1/; }
        location /explicit/ { proxy_redirect http://{{UP}}/v1/ /moved/; proxy_pass http://{{UP}}/v1/; }
        location /abs/ { proxy_redirect http://{{UP}}/ http://example.com:8080/; proxy_pass http://{{UP}}/; }
        location /regex/ { proxy_redirect ~^http://[^/]+/v1/(.*)$ /re/$1; proxy_pass http://{{UP}}/v1/; }
        location /iregex/ { proxy_redirect ~*^HTTP://127\.0\.0\.1:\d+/(?<rest>.*)$ /ire/$rest; proxy_pass http://{{UP}}; }
        location /vars/ { proxy_redirect http://$proxy_host/ /$host/; proxy_pass http://{{UP}}; }
        location /both/ { proxy_pass http://{{UP}}/v1/; proxy_redirect default; proxy_redirect http://other/ /other/; }
        location /noabs/ { absolute_redirect off; proxy_pass http://{{UP}}/v1/; }
        location /varpass/ { set $u {{UP}}; proxy_pass http://$u; }`), up)
	locs := []string{
		"http://{{UP}}/v1/x?y=1", "http://{{UP}}/v1", "http://{{UP}}/", "http://{{UP}}/other",
		"/v1/rel", "rel/ative", "http://other/a", "HTTP://{{UP}}/v1/x", "https://{{UP}}/v1/x", "",
	}
	for _, prefix := range []string{"/api/", "/plain/", "/off/", "/explicit/", "/abs/", "/regex/", "/iregex/",
		"/vars/", "/both/", "/noabs/", "/varpass/"} {
		for _, l := range locs {
			l = strings.ReplaceAll(l, "{{UP}}", up.Addr())
			hs := []string{}
			if l != "" {
				hs = append(hs, "X-Loc: "+l)
			}
			hs = append(hs, "X-Refresh: 5; url="+l)
			p.cmp(t, nginxtest.Get(prefix+"a", hs...))
		}
	}
	p.cmp(t, nginxtest.Get("/api/a", "X-Refresh: 3;URL='http://"+up.Addr()+"/v1/q'"))
	p.cmp(t, nginxtest.Get("/api/a", "X-Refresh: http://"+up.Addr()+"/v1/q"))
}

// TestCookieRewrite checks proxy_cookie_domain and proxy_cookie_path on
// the Set-Cookie values the upstream sends (asked for in X-C): a
// domain's leading dot on either side, case, the regex forms (a domain
// regex is caseless, a path one only as ~*), variables, attributes
// matched in any case and with spaces, the cookie's own pair never
// rewritten, and how a rewritten value is written back.
func TestCookieRewrite(t *testing.T) {
	up := startUpstream(t, "cookie", func(w *bufio.Writer, _ net.Conn, r *upReq) bool {
		w.WriteString("HTTP/1.1 200 OK\r\nSet-Cookie: " + r.Header.Get("X-C") + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
		return false
	})
	p := start(t, conf("", `
        server_name localhost;
        location / {
            proxy_pass http://{{UP}};
            proxy_cookie_domain www.example.org .example.com;
            proxy_cookie_domain .$server_name.com en.$server_name.org;
            proxy_cookie_domain .a.net b.net;
            proxy_cookie_domain ~^(.+)\.com$ $1.org;
            proxy_cookie_domain ~^\.(x.+)\.de$ $1.at;
            proxy_cookie_domain ~^(y.+)\.de$ .$1.ch;
            proxy_cookie_domain .$http_x_d w.com;
            proxy_cookie_path /p/ /new/;
            proxy_cookie_path /$server_name/ /new/$server_name/;
            proxy_cookie_path ~^/regex/(.+)$ /$1;
            proxy_cookie_path ~*^/caseless/(.+)$ /$1;
            location /off/ {
                proxy_pass http://{{UP}};
                proxy_cookie_domain off;
                proxy_cookie_path off;
            }
        }`), up)
	for _, c := range []string{
		"v=1; Domain=www.Example.org", "v=1; Domain=.www.example.org", "v=1; Domain=.LocalHost.com",
		"v=1; Domain=.a.net", "v=1; Domain=a.net", "v=1; Domain=www.example.COM", "v=1; Domain=.foo.COM",
		"v=1; Domain=.xy.de", "v=1; Domain=xy.de", "v=1; Domain=.yy.de", "v=1; Domain=yy.de",
		"v=1; Domain=.q.net", "v=1; Domain=q.net",
		"v=1; domain=www.example.org; Domain=www.example.org", "v=1; DOMAIN=A.NET; PATH=/p/",
		"v=1; Path=/P/x", "v=1; Path=/p/x; Domain=.a.net; Path=/p/y", "v=1; Path=/localhost/x",
		"v=1; Path=/regex/x", "v=1; Path=/REGEX/x", "v=1; Path=/CASEless/x",
		"v=1;Domain=.a.net;Path=/p/", "v=1 ; Domain = a.net ; Path = /p/ ;",
		"v=1;  Domain=a.net  ;   Secure;  Path=/p/x", "v=1;\tDomain=a.net\t;\tSecure",
		"Domain=a.net; v=1", "v=1; Domain=", "v=1; Domain=.", "v=1;;Domain=a.net", "v=1;Secure;HttpOnly",
		"v=1; Secure= x ; Domain=a.net", "v=1 x = y z ; Domain=a.net", "v=1; Domain=a.net=b",
		"v=1;Expires=Wed, 21 Oct 2015 07:28:00 GMT;Domain=a.net", "v=1; Domain=a.net; ", "v;Domain=a.net",
	} {
		p.cmp(t, nginxtest.Get("/c", "X-C: "+c, "X-D: .q.net"))
		p.cmp(t, nginxtest.Get("/off/c", "X-C: "+c))
	}
}

// TestCookieFlags checks proxy_cookie_flags against nginx: the first rule
// for a name (caseless) or regex, flags in any case, on winning over off,
// duplicate attributes (the first Secure satisfies "secure", all go for
// "nosecure"), SameSite without a value, empty and unknown flags from
// variables, a value written back though nothing changed, flags with
// domain rewriting, and a level's list replacing its parent's.
func TestCookieFlags(t *testing.T) {
	up := startUpstream(t, "cookie", func(w *bufio.Writer, _ net.Conn, r *upReq) bool {
		w.WriteString("HTTP/1.1 200 OK\r\nSet-Cookie: " + r.Header.Get("X-C") + "\r\nSet-Cookie: z=9;secure\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
		return false
	})
	p := start(t, conf("", `
        location / {
            proxy_pass http://{{UP}};
            proxy_cookie_domain a.net b.net;
            proxy_cookie_flags a secure httponly samesite=none;
            proxy_cookie_flags A nosecure;
            proxy_cookie_flags d nosecure nohttponly nosamesite;
            proxy_cookie_flags m SECURE nosecure samesite=lax;
            proxy_cookie_flags s samesite=strict samesite=lax;
            proxy_cookie_flags ~^r(e)g httponly;
            proxy_cookie_flags $http_x_n $http_x_f1 $http_x_f2;
            location /off/ { proxy_pass http://{{UP}}; proxy_cookie_flags off; }
            location /own/ { proxy_pass http://{{UP}}; proxy_cookie_flags ~. nohttponly; }
        }`), up)
	for _, c := range []string{
		"a=1", "a=1;x", "a=1 ; secure=x ;Secure; HTTPONLY;samesite", "a=1; SameSite=none", "a=1; SameSite=None ",
		"A=1;secure", "d=1;secure;;HttpOnly;SameSite=lax;samesite=strict", "d=1;x", "d=1", "m=1;secure;Secure",
		"m=1;SameSite=strict", "s=1;samesite=x;SAMESITE=y", "s=1", "reg=1;x", "Reg=1;a=b;;", "xreg=1;x",
		"n=1;x", "n=1;domain=a.net", "a=1;domain=a.net", "q=1;domain=a.net", "a", "=1;x", "a=1;  ;",
	} {
		for _, h := range [][]string{{}, {"X-N: n", "X-F1: bogus"}, {"X-N: N", "X-F1: ", "X-F2: Secure"}, {"X-N: n", "X-F1: samesite"}} {
			p.cmp(t, nginxtest.Get("/c", append([]string{"X-C: " + c}, h...)...))
		}
		p.cmp(t, nginxtest.Get("/off/c", "X-C: "+c))
		p.cmp(t, nginxtest.Get("/own/c", "X-C: "+c+";httponly"))
	}
}

// TestUnixSocket checks proxy_pass to a unix socket, written in the
// directive and given by variables ("unix:/path:/uri", the path ending at
// the first colon): the URI sent, and the Host and $proxy_host nginx
// names such a peer by ("localhost").
func TestUnixSocket(t *testing.T) {
	dir := t.TempDir()
	sock := dir + "/up.sock"
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no unix sockets: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	// nginx's workers may run as another user.
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(sock, 0o777)
	testupstream.Serve(l, func(c net.Conn) {
		r, err := readUpHead(bufio.NewReader(c))
		if err != nil {
			return
		}
		body := r.Line + "|" + r.Header.Get("Host") + "\n"
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	})
	p := start(t, conf("", `
        location /s/ { proxy_pass http://unix:`+sock+`:/x/; add_header X-PH $proxy_host; }
        location /n/ { proxy_pass http://unix:`+sock+`; add_header X-PH $proxy_host; }
        location /v/ { proxy_pass http://$arg_b; add_header X-PH $proxy_host; }`))
	for _, u := range []string{
		"/s/a", "/n/a?q", "/v/a?b=unix:" + sock + ":/", "/v/a?b=unix:" + sock, "/v/a?b=unix:" + sock + ":/z/",
		"/v/a?b=unix:", "/v/a?b=unix:/nonexistent:/",
	} {
		p.cmp(t, nginxtest.Get(u))
	}
}
