package router_test

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

// at sends raw to both servers on their port number i (of {{PORTi}}),
// at host ("127.0.0.1" or "[::1]"), and compares the answers.
func at(t *testing.T, p *nginxtest.Pair, host string, i int, raw string) (ng, gp *nginxtest.Response) {
	t.Helper()
	ng = nginxtest.Do(t, host+":"+strconv.Itoa(p.Nginx.Ports[i]), nginxtest.Render(raw, p.Root, p.Nginx.Dir, p.Nginx.Ports))
	gp = nginxtest.Do(t, host+":"+strconv.Itoa(p.Go.Ports[i]), nginxtest.Render(raw, p.Root, p.Go.Dir, p.Go.Ports))
	if testing.Verbose() {
		t.Logf("%q -> %s", raw, short(ng))
	}
	if d := p.Diff(ng, gp); d != "" {
		t.Errorf("request %q to %s port %d:\n%s\n--- nginx:\n%s\n--- goproxy:\n%s", raw, host, i, d, short(ng), short(gp))
	}
	return ng, gp
}

// short is a response's status line and body, for failure messages.
func short(r *nginxtest.Response) string {
	head, body, _ := strings.Cut(string(r.Raw), "\r\n\r\n")
	status, _, _ := strings.Cut(head, "\r\n")
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return status + "\n" + body
}

// host builds a GET with the given Host header line (none when h is "-").
func host(h string) string {
	if h == "-" {
		return "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"
	}
	return "GET / HTTP/1.1\r\nHost: " + h + "\r\nConnection: close\r\n\r\n"
}

// probe answers with the server that was chosen.
const probe = `location / { return 200 "$server_name|$host|$server_port\n"; } location = /r { return 302 /x; }`

const serversConf = `events {}
http {
    access_log off;
    default_type text/plain;
    server { listen 127.0.0.1:{{PORT}}; server_name first.test; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT}}; server_name exact.example.com www.example.com; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT}}; server_name *.example.com; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT}}; server_name *.sub.example.com; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT}}; server_name .dot.org; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT}}; server_name www.example.*; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT}}; server_name www.*; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT}}; server_name ~^(?<user>[a-z]+)\.users\.test$;
             location / { return 200 "$server_name|$host|user=$user\n"; } }
    server { listen 127.0.0.1:{{PORT}}; server_name ~^(\d+)\.num\.test$ "~^re(?P<n>\d)\.test$";
             location / { return 200 "$server_name|$host|$1|$n\n"; } }
    server { listen 127.0.0.1:{{PORT}}; server_name ~\.net$ ~^(?<all>.+)\.re2\.test$; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT}}; server_name ~^b ~^bb\.re2\.test$; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT}}; server_name ~^UPPER\.RE\.TEST$ "~^(?P<d>\\p{N}+)\\.digits\\.test$";
             location / { return 200 "$server_name|$host|$d\n"; } }
    server { listen 127.0.0.1:{{PORT}}; server_name MiXed.Test example.com; server_name www.example.com; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT}}; server_name "" empty.test; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT}} default_server; server_name _; ` + probe + ` }

    server { listen {{PORT1}}; server_name wild1; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT1}}; server_name specific1; ` + probe + ` }
    server { listen *:{{PORT2}}; server_name star2; ` + probe + ` }
    server { listen *:{{PORT2}} default_server; server_name stardef2; ` + probe + ` }
    server { listen {{PORT3}}; listen [::1]:{{PORT3}}; server_name v4and6; ` + probe + ` }
    server { listen [::1]:{{PORT3}} default_server; server_name v6def; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT4}}; ` + probe + ` }
    server { listen 127.0.0.1:{{PORT4}}; server_name second4; ` + probe + ` }
    server { listen [::]:{{PORT5}}; server_name v6wild; ` + probe + ` }
    server { listen {{PORT5}}; server_name v4wild; ` + probe + ` }
    server { listen [::1]:{{PORT5}}; server_name v6lo; ` + probe + ` }
}
`

// ipv6 reports whether the IPv6 loopback works here.
func ipv6() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func TestServerSelection(t *testing.T) {
	conf, v6 := serversConf, ipv6()
	if !v6 {
		// Without IPv6 the servers of ports 3 and 5 that use it go.
		var kept []string
		for _, l := range strings.Split(conf, "\n") {
			if !strings.Contains(l, "[::") {
				kept = append(kept, l)
			}
		}
		conf = strings.Join(kept, "\n")
	}
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 6})
	for _, h := range []string{
		"first.test", "FIRST.test", "first.test.", "first.test:8080", "first.test.:1",
		"exact.example.com", "www.example.com", "a.example.com", "a.b.example.com",
		"x.sub.example.com", "sub.example.com", "example.com",
		"dot.org", "a.dot.org", "A.B.Dot.Org.",
		"www.example.org", "www.example.com.au", "www.other.net",
		"www.sub.example.com", "x.net", "bb.re2.test", "mixed.test", "MIXED.TEST",
		"alice.users.test", "Bob.Users.Test", "upper.re.test", "UPPER.re.test", "123.digits.test", "42.num.test", "re7.test",
		"empty.test", "unknown.test", "", "-",
		"[::1]", "[::1]:80", "127.0.0.1", "127.0.0.1:99",
		"bad/host", "bad\\host", "a..b", "..", ".", "..a", "a.", ":80", "[::1", "host with space",
		"xn--nxasmq6b.test", "ünicode.test", "a_b.test",
	} {
		at(t, p, "127.0.0.1", 0, host(h))
	}
	for _, raw := range []string{
		"GET / HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.0\r\nHost: first.test\r\n\r\n",
		"GET http://exact.example.com/x HTTP/1.1\r\nHost: first.test\r\nConnection: close\r\n\r\n",
		"GET http://a.example.com HTTP/1.0\r\n\r\n",
		"GET http://A.Example.COM:99/p?q HTTP/1.0\r\n\r\n",
		"GET http://bad..host/ HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: first.test\r\nHost: exact.example.com\r\n\r\n",
	} {
		at(t, p, "127.0.0.1", 0, raw)
	}
	for i, names := range [][]string{1: {"wild1", "specific1", "zzz"}, 2: {"star2", "stardef2", "zzz"}, 3: {"v4and6", "v6def", "zzz"}, 4: {"second4", "zzz", ""}, 5: {"v6wild", "v4wild", "v6lo", "zzz"}} {
		if !v6 && i == 3 {
			continue
		}
		for _, h := range names {
			at(t, p, "127.0.0.1", i, host(h))
			if v6 && (i == 3 || i == 5) {
				at(t, p, "[::1]", i, host(h))
			}
		}
		// Without a Host, a redirect names the local address.
		at(t, p, "127.0.0.1", i, "GET /r HTTP/1.0\r\n\r\n")
		if v6 && (i == 3 || i == 5) {
			at(t, p, "[::1]", i, "GET /r HTTP/1.0\r\n\r\n")
		}
	}
}

const locationsConf = `events {}
http {
    access_log off;
    default_type text/plain;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        error_page 404 @notfound;
        location @notfound { return 404 "named notfound $uri\n"; }
        location @x { return 200 "named x\n"; }
        location = / { return 200 "exact root\n"; }
        location = /exact { return 200 "exact\n"; }
        location / { return 200 "prefix /\n"; }
        location /a { return 200 "prefix /a\n"; }
        location /a/b { return 200 "prefix /a/b $uri\n"; }
        location /a/b/c/ { return 200 "prefix /a/b/c/\n"; }
        location ^~ /stop/ { return 200 "stop\n"; }
        location ~ \.php$ { return 200 "php $uri\n"; }
        location ~* \.PHP$ { return 200 "PHP caseless\n"; }
        location ~ ^/re/(?<first>[^/]+)/(\d+) { return 200 "re first=$first two=$2 one=$1\n"; }
        location ~ ^/re/ { return 200 "re second\n"; }
        location ~* ^/case/(.*)$ { return 200 "case $1\n"; }
        location /nest/ {
            location /nest/inner/ { return 200 "nest inner $uri\n"; }
            location ~ \.txt$ { return 200 "nest regex txt\n"; }
            location = /nest/exact { return 200 "nest exact\n"; }
            return 200 "nest outer\n";
        }
        location ^~ /nostop/ {
            location ~ \.php$ { return 200 "nostop nested php\n"; }
            return 200 "nostop\n";
        }
        location ~ /rx/ {
            location /rx/in/ { return 200 "rx prefix in regex\n"; }
            location ~ \.gif$ { return 200 "rx gif\n"; }
            return 200 "rx outer\n";
        }
        location /int/ { internal; return 200 "internal reached\n"; }
        location /toint { rewrite ^ /int/x last; }
        location /tox { try_files /nope @x; }
        location /err418 { error_page 418 = @x; return 418; }
        location /errint { error_page 404 /int/y; return 404; }
        location /ret204 { return 204; }
        location /ret200t { return 200 "text"; }
        location /err405to204 { error_page 405 /ret204; return 405; }
        location /err302to200 { error_page 302 /ret200t; return 302 "text"; }
        location /err301to204 { error_page 301 /ret204; return 301 /elsewhere; }
        location /b/ { proxy_pass http://127.0.0.1:1; }
        location /caps/ { return 200 "caps [$1] [$first]\n"; }
        location /p/ {
            location ^~ /p/q/ { return 200 "nested stop\n"; }
            location = /p/e.txt { return 200 "nested exact\n"; }
            location ~ \.txt$ { return 200 "nested txt\n"; }
            return 200 "p\n";
        }
        location ~ ^/p/.*\.(txt|gif)$ { return 200 "top regex $1\n"; }
    }
}
`

func TestLocations(t *testing.T) {
	p := nginxtest.Start(t, locationsConf, nginxtest.Options{})
	for _, u := range []string{
		"/", "/exact", "/exact/", "/exactly", "/x", "/a", "/ab", "/a/", "/a/b", "/a/bc", "/a/b/c", "/a/b/c/", "/a/b/c/d",
		"/stop/", "/stop/x.php", "/stop", "/x.php", "/x.PHP", "/x.Php", "/a/x.php", "/a/b/c/x.php",
		"/re/abc/123", "/re/abc/def", "/re/", "/RE/abc/1", "/case/Hello", "/CASE/x%20y",
		"/nest/", "/nest/inner/", "/nest/inner/a.txt", "/nest/a.txt", "/nest/a.php", "/nest/exact", "/nest/inner/a.php",
		"/nostop/", "/nostop/a.php", "/nostop/a.PHP",
		"/rx/", "/rx/in/", "/rx/in/a.gif", "/rx/a.gif", "/rx/in/a.php",
		"/@x", "/@notfound", "@x", "/int/", "/int/x", "/toint", "/tox", "/err418", "/errint",
		"/ret204", "/err405to204", "/err302to200", "/err301to204",
		"/b", "/b?q=1", "/b/..", "/caps/", "/caps/?x",
		"/p/", "/p/q/x.txt", "/p/q/x.gif", "/p/e.txt", "/p/x.txt", "/p/x.gif", "/p/q", "/P/x.txt",
	} {
		at(t, p, "127.0.0.1", 0, nginxtest.Get(u))
	}
}

// echo answers with what nginx made of the request target.
const echo = `location / { return 200 "$uri|$request_uri|$args|$is_args|$arg_a|$arg_|$http_|$document_uri\n"; }`

const uriConf = `events {}
http {
    access_log off;
    default_type text/plain;
    large_client_header_buffers 2 1k;
    server { listen 127.0.0.1:{{PORT}}; ` + echo + `
        location /files/ { root {{ROOT}}; }
    }
    server { listen 127.0.0.1:{{PORT}}; server_name noslash; merge_slashes off; ` + echo + ` }
    server { listen 127.0.0.1:{{PORT1}}; merge_slashes off; client_header_buffer_size 2k; ` + echo + ` }
    server { listen 127.0.0.1:{{PORT1}}; server_name merge; merge_slashes on; ` + echo + ` }
}
`

func TestURINormalisation(t *testing.T) {
	p := nginxtest.Start(t, uriConf, nginxtest.Options{Ports: 2, Files: map[string]string{
		"files/a b.txt": "space", "files/x.txt": "x", "files/%41.txt": "percent", "files/sub/": "",
	}})
	uris := []string{
		"/", "/a/b", "/a//b", "///a", "/a/./b", "/a/../b", "/a/b/..", "/a/b/.", "/..", "/a/../..", "/./..",
		"/%2e%2e/x", "/a/%2E%2e/b", "/a/%2e/b", "/a%2Fb", "/a%2f..%2fb", "/%25", "/%2541", "/%41%42",
		"/a?b=1&a=2", "/a?=7&a=1", "/a?", "/?a=%20", "/a%3Fb?c", "/a%23b", "/a#frag", "/a?b#c", "/a%00b", "/%0a", "/%",
		"/%4", "/%G0", "/a%zz?x", "/%C3%A9", "/é", "/a+b", "/a;b", "/a..b", "/a/..b/", "/a/.b", "/...", "/a/...",
		"//..", "/a//../b", "/a/.//b", "/a/b//..", "/a%2F%2Fb", "/.%2e/x", "/a\\b", "/a\\..\\b",
		"/files/a%20b.txt", "/files/%2541.txt", "/files/x.txt/", "/files/sub", "/files/sub/", "/files//x.txt", "/files/./x.txt",
		"*", "http://h/a//b?x", "http://h?x", "HTTP://h/p", "http://h", "http://h#f", "http://a_b/", "http://a~b/", "http://[::1]/x", "http://[::1]:8/x", "http://[::1/x", "http://h:/x", "http://h:8x/", "http:/h/", "http:h/", "1http://h/", "h+t.t-p://h/x", "ht_tp://h/", "http:///x", "http://h:8", "http://h:8?a", "http://h.", "http://H.Example/", "http://a..b/", "http://a/b/../c", "/a#f?x=1", "/a?x#f?y", "/a#", "/#?", "/a%2",
	}
	for _, u := range uris {
		at(t, p, "127.0.0.1", 0, nginxtest.Get(u))
		at(t, p, "127.0.0.1", 0, "GET "+u+" HTTP/1.1\r\nHost: noslash\r\nConnection: close\r\n\r\n")
		at(t, p, "127.0.0.1", 1, "GET "+u+" HTTP/1.1\r\nHost: merge\r\nConnection: close\r\n\r\n")
	}
	for _, raw := range []string{
		"GET /a b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /a\tb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /a\x01b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /a\x7fb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /a\x80b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET  /two-spaces  HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /x HTTP/1.1 \r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Long: " + strings.Repeat("a", 1100) + "\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: " + strings.Repeat("a", 1000) + "\r\nX: " + strings.Repeat("b", 1000) + "\r\nY: " + strings.Repeat("c", 100) + "\r\n\r\n",
		"GET /" + strings.Repeat("u", 1100) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /" + strings.Repeat("u", 1000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /" + strings.Repeat("u", 1100) + "\r\n",
	} {
		at(t, p, "127.0.0.1", 0, raw)
	}
	// How nginx fills its header buffers: several header lines that
	// together exceed two large buffers may still fit, or not.
	for _, sizes := range [][]int{{700, 700, 700}, {600, 600, 600, 600}, {600, 600, 600}, {1000, 1000}, {1000, 1000, 10},
		{300, 300, 300, 300, 300, 300}, {300, 300, 300, 300, 300, 300, 300}, {990, 30, 990}, {1020}, {1021}} {
		raw := "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		for i, n := range sizes {
			raw += fmt.Sprintf("X-%d: %s\r\n", i, strings.Repeat("h", n-7))
		}
		at(t, p, "127.0.0.1", 0, raw+"\r\n")
	}
	// With a 2k first buffer, lines longer than a large buffer fit
	// while they are in it.
	for _, sizes := range [][]int{{1500}, {1500, 600}, {1500, 600, 1000}, {900, 1200}, {1100}} {
		raw := "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		for i, n := range sizes {
			raw += fmt.Sprintf("X-%d: %s\r\n", i, strings.Repeat("h", n-7))
		}
		at(t, p, "127.0.0.1", 1, raw+"\r\n")
		at(t, p, "127.0.0.1", 1, "GET /"+strings.Repeat("u", sizes[0])+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	}
	// Around the 1k large buffer: the request line with and without
	// headers after it, and one header line near the limit.
	for n := 1000; n <= 1016; n += 2 {
		u := "/" + strings.Repeat("u", n)
		at(t, p, "127.0.0.1", 0, "GET "+u+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		at(t, p, "127.0.0.1", 0, "GET "+u+" HTTP/1.0\r\n\r\n")
		at(t, p, "127.0.0.1", 0, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX: "+u+"\r\n\r\n")
	}
}

const rewriteConf = `events {}
http {
    access_log off;
    default_type text/plain;
    server {
        listen 127.0.0.1:{{PORT}};
        server_name rw.test alias.test;
        root {{ROOT}};
        rewrite ^/srv/(.*)$ /show/$1 last;
        location /show/ { return 200 "show $uri|$args|$request_uri\n"; }
        location /last/ { rewrite ^/last/(.*)$ /show/$1 last; return 200 "not reached\n"; }
        location /brk/ { rewrite ^/brk/(.*)$ /show/$1 break; return 200 "after break $uri\n"; }
        location /brkfile/ { rewrite ^/brkfile/(.*)$ /$1 break; }
        location /redir/ { rewrite ^/redir/(.*)$ /show/$1 redirect; }
        location /perm/ { rewrite ^/perm/(.*)$ /show/$1 permanent; }
        location /abs/ { rewrite ^ http://other.test/x?y=1; }
        location /args/ { rewrite ^/args/(.*)$ /show/$1?new=1 last; }
        location /noargs/ { rewrite ^/noargs/(.*)$ /show/$1? last; }
        location /redirargs/ { rewrite ^/redirargs/(.*)$ /show/$1?new=1 redirect; }
        location /redirnoargs/ { rewrite ^/redirnoargs/(.*)$ /show/$1? redirect; }
        location /seq/ { rewrite ^/seq/a /seq/b; rewrite ^/seq/b /seq/c; return 200 "seq $uri\n"; }
        location /loop/ { rewrite ^/loop/(.*)$ /loop/$1 last; }
        location /ping { rewrite ^ /pong last; }
        location /pong { rewrite ^ /ping last; }
        location /esc/ { rewrite ^/esc/(.*)$ /show/$1 last; }
        location /escr/ { rewrite ^/escr/(.*)$ /show/$1 redirect; }
        location /esca/ { rewrite ^/esca/(.*)$ /show/x?a=$1 redirect; }
        location /escal/ { rewrite ^/escal/(.*)$ /show/x?a=$1 last; }
        location /escn/ { rewrite ^/escn/(?<v>.*)$ /show/$v redirect; }
        location /inj/ { rewrite "(?s)^/inj/(?<v>.*)$" /show/$v redirect; }
        location /escq/ { rewrite ^/escq/(.*)$ /show/$1?b=$1? redirect; }
        location /lit/ { rewrite ^ /show/a%20b%41%3f?c=%20 last; }
        location /litr/ { rewrite ^ /show/a%20b%41%3f?c=%20 redirect; }
        location /ret/ {
            location /ret/301 { return 301 /show/r; }
            location /ret/302abs { return 302 http://example.com/a?b; }
            location /ret/307 { return 307 "/show/t?$args"; }
            location /ret/text { return 200 "text $arg_x\n"; }
            location /ret/empty { return 200; }
            location /ret/204 { return 204; }
            location /ret/404 { return 404; }
            location /ret/404text { return 404 "custom not found\n"; }
            location /ret/500 { return 500 "oops\n"; }
            location /ret/444 { return 444; }
            location /ret/499 { return 499; }
            location /ret/418 { return 418; }
            location /ret/600 { return 599 "odd\n"; }
            location /ret/url { return http://$host/u$request_uri; }
            location /ret/rel { return 302 rel/path; }
            location /ret/html { return 200 "<b>x</b>"; }
            location /ret/html.html { return 200 "<b>x</b>"; }
        }
        location /set/ { set $a "one"; set $b "$a-two"; set $a "three"; return 200 "$a $b $a$b\n"; }
        location /if/ {
            set $x $arg_x;
            if ($x = "eq") { return 200 "eq\n"; }
            if ($x != "ne") { set $y "not ne"; }
            if ($x ~ ^re(\d+)$) { return 200 "re $1\n"; }
            if ($x ~* ^CI(?<n>\d)$) { return 200 "ci $n\n"; }
            if ($x !~ ^z) { return 200 "not z $y\n"; }
            if ($x !~* ^ZZ) { return 200 "not zz\n"; }
            if ($x) { return 200 "true $x\n"; }
            return 200 "fallthrough\n";
        }
        location /iff/ {
            if (-f $request_filename) { return 200 "file\n"; }
            if (-d $request_filename) { return 200 "dir\n"; }
            if (-e $request_filename) { return 200 "exists\n"; }
            if (!-e $request_filename) { return 200 "missing\n"; }
        }
        location /iff2/ {
            if (!-f $request_filename) { return 200 "not file\n"; }
            if (!-d $request_filename) { return 200 "not dir\n"; }
            return 200 "dir\n";
        }
        location /ifempty/ { if ($arg_x) { return 200 "set\n"; } return 200 "unset or zero\n"; }
        location /ifbreak/ { if ($arg_x) { break; } return 200 "no break\n"; }
        location /ifcfg/ { if ($arg_x) { add_header X-If yes; } add_header X-Loc yes; }
        location /srv2/ { return 200 "srv2 not reached $uri\n"; }
    }
    server {
        listen 127.0.0.1:{{PORT}};
        server_name redir.test;
        absolute_redirect off;
        location / { return 302 /rel$uri; }
        location /dir/ { root {{ROOT}}; }
    }
    server {
        listen 127.0.0.1:{{PORT}};
        server_name noport.test;
        port_in_redirect off;
        location / { return 302 /rel$uri; }
    }
    server {
        listen 127.0.0.1:{{PORT}};
        server_name primary.test secondary.test;
        server_name_in_redirect on;
        location / { return 302 /rel$uri; }
        location /dir/ { root {{ROOT}}; }
    }
}
`

func TestRewriteReturn(t *testing.T) {
	p := nginxtest.Start(t, rewriteConf, nginxtest.Options{Files: map[string]string{
		"iff/file": "f", "iff/dir/": "", "iff2/file": "f", "iff2/dir/": "", "dir/sub/": "", "x.txt": "x", "brkfile/x.txt": "no",
	}})
	for _, u := range []string{
		"/srv/a?q=1", "/last/a?q=1", "/brk/a?q=1", "/brkfile/x.txt", "/redir/a?q=1", "/perm/a", "/abs/?z=2",
		"/args/a?q=1", "/args/a", "/noargs/a?q=1", "/redirargs/a?q=1", "/redirnoargs/a?q=1",
		"/seq/a", "/loop/x", "/ping", "/esc/a%20b?x=%20", "/escr/a%20b%3F?x", "/escr/%C3%A9",
		"/ret/301", "/ret/302abs", "/ret/307?a=1", "/ret/text?x=1", "/ret/empty", "/ret/204", "/ret/404",
		"/ret/404text", "/ret/500", "/ret/444", "/ret/499", "/ret/418", "/ret/600", "/ret/url?q", "/ret/rel", "/ret/html", "/ret/html.html",
		"/set/",
		"/if/?x=eq", "/if/?x=re12", "/if/?x=ci5", "/if/?x=Ci7", "/if/?x=abc", "/if/?x=zzz", "/if/?x=zab", "/if/?x=0", "/if/?x=", "/if/?x=ne",
		"/iff/file", "/iff/dir", "/iff/nope", "/iff2/file", "/iff2/dir", "/iff2/",
		"/ifempty/", "/ifempty/?x=0", "/ifempty/?x=00", "/ifempty/?x=1", "/ifbreak/", "/ifbreak/?x=1",
		"/ifcfg/", "/ifcfg/?x=1", "/lit/?q", "/litr/?q",
	} {
		at(t, p, "127.0.0.1", 0, "GET "+u+" HTTP/1.1\r\nHost: rw.test\r\nConnection: close\r\n\r\n")
	}
	at(t, p, "127.0.0.1", 0, "HEAD /ret/text HTTP/1.1\r\nHost: rw.test\r\nConnection: close\r\n\r\n")
	at(t, p, "127.0.0.1", 0, "GET /redir/a HTTP/1.0\r\n\r\n")
	at(t, p, "127.0.0.1", 0, "GET /redir/a HTTP/1.1\r\nHost: ALIAS.test.:81\r\nConnection: close\r\n\r\n")
	for _, h := range []string{"redir.test", "noport.test", "primary.test", "secondary.test", "secondary.test:8080"} {
		for _, u := range []string{"/a?b", "/dir/sub", "/dir/sub?x=1"} {
			at(t, p, "127.0.0.1", 0, "GET "+u+" HTTP/1.1\r\nHost: "+h+"\r\nConnection: close\r\n\r\n")
		}
		at(t, p, "127.0.0.1", 0, "GET /a HTTP/1.0\r\nHost: "+h+"\r\n\r\n")
	}
}

// TestRewriteEscaping checks how captures are escaped in a rewrite's
// redirect and arguments, byte by byte.
func TestRewriteEscaping(t *testing.T) {
	p := nginxtest.Start(t, rewriteConf, nginxtest.Options{})
	for _, pre := range []string{"/escr/", "/esca/", "/escal/", "/escn/", "/escq/"} {
		for b := 1; b < 256; b++ {
			if b > 0x80 && b%17 != 0 || pre == "/escn/" && (b < 0x20 || b == 0x7f) {
				// Not every byte above 0x80; and a named capture goes
				// into Location unescaped (see TestHeaderInjection).
				continue
			}
			u := fmt.Sprintf("%sx%%%02Xy", pre, b)
			at(t, p, "127.0.0.1", 0, "GET "+u+"?q=1 HTTP/1.1\r\nHost: rw.test\r\nConnection: close\r\n\r\n")
		}
		for _, s := range []string{"a+b", "a&b", "plain", "é", "a%b", "a%2", "a%zz", "%41%3f%3F", "a%25zz", "a%25", "a%252x", "%253F", "%253f", "a%2541"} {
			at(t, p, "127.0.0.1", 0, "GET "+pre+s+"?q=1 HTTP/1.1\r\nHost: rw.test\r\nConnection: close\r\n\r\n")
			at(t, p, "127.0.0.1", 0, "GET "+pre+s+" HTTP/1.1\r\nHost: rw.test\r\nConnection: close\r\n\r\n")
		}
	}
}

// TestHeaderInjection: nginx copies a CR or LF from a named capture into
// the Location header, splitting the response; goproxy drops a header
// value that would do that.
func TestHeaderInjection(t *testing.T) {
	p := nginxtest.Start(t, rewriteConf, nginxtest.Options{})
	raw := "GET /inj/x%0D%0AX-Injected:%201?q=1 HTTP/1.1\r\nHost: rw.test\r\nConnection: close\r\n\r\n"
	ng, gp := p.Both(t, raw)
	if !strings.Contains(string(ng.Raw), "\r\nX-Injected: 1") {
		t.Errorf("nginx no longer splits the header: revisit this test\n%s", ng.Raw)
	}
	if gp.Status != 302 || gp.Header.Get("Location") != "" || gp.Header.Get("X-Injected") != "" {
		t.Errorf("goproxy sent a split header: %q", gp.Raw)
	}
}

// TestReturnCodes runs "return" for every class of status, with and
// without text, for GET and HEAD.
func TestReturnCodes(t *testing.T) {
	codes := []int{200, 201, 202, 203, 204, 205, 206, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 399}
	for c := 400; c <= 431; c++ {
		codes = append(codes, c)
	}
	codes = append(codes, 451, 494, 495, 496, 497, 498, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511, 599, 999)
	var b strings.Builder
	b.WriteString("events {}\nhttp {\n access_log off;\n default_type text/plain;\n server {\n  listen 127.0.0.1:{{PORT}};\n")
	for _, c := range codes {
		fmt.Fprintf(&b, "  location = /c/%d { return %d; }\n  location = /t/%d { return %d \"text $status\"; }\n", c, c, c, c)
		if c >= 300 && c < 400 {
			fmt.Fprintf(&b, "  location = /u/%d { return %d /target; }\n", c, c)
		}
	}
	b.WriteString(" }\n}\n")
	p := nginxtest.Start(t, b.String(), nginxtest.Options{})
	for _, c := range codes {
		for _, pre := range []string{"/c/", "/t/", "/u/"} {
			if pre == "/u/" && (c < 300 || c >= 400) {
				continue
			}
			u := pre + strconv.Itoa(c)
			at(t, p, "127.0.0.1", 0, nginxtest.Get(u))
			at(t, p, "127.0.0.1", 0, nginxtest.Req("HEAD", u))
		}
	}
}
