package router_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// "If is evil": the documented surprises of if in a location, and if in
// a server block, compared with nginx.
const ifConf = `events {}
http {
    access_log off;
    default_type text/plain;
    root {{ROOT}};
    server {
        listen 127.0.0.1:{{PORT}};
        if ($http_x_block) { return 403; }
        if ($arg_srv = jump) { rewrite ^ /target/ last; }
        if ($http_x_server_header) { set $from_server "yes"; }

        location /only-one-if/ {
            set $true 1;
            if ($true) { add_header X-First 1; }
            if ($true) { add_header X-Second 2; }
            add_header X-Outer 0;
        }
        location /if-try-files/ {
            try_files /file @fallback;
            set $true 1;
            if ($true) { }
        }
        location /try-files-no-if/ { try_files /file @fallback; }
        location @fallback { return 200 "fallback\n"; }
        location /if-root/ {
            if ($arg_other) { root {{ROOT}}/other; }
        }
        location /if-break/ {
            set $a "before";
            if ($arg_b) { set $a "inside"; break; set $a "after-break"; }
            set $a "$a-end";
            add_header X-A $a always;
        }
        location /conds/ {
            set $r "";
            if ($arg_v) { set $r "${r}true,"; }
            if ($arg_v = "0") { set $r "${r}zero,"; }
            if ($arg_v != "x") { set $r "${r}not-x,"; }
            if ($http_user_agent ~* "(?<kind>bot|spider)") { set $r "${r}bot:$kind:$1,"; }
            if ($http_user_agent !~ "^curl") { set $r "${r}not-curl,"; }
            if (-f $request_filename) { set $r "${r}file,"; }
            if (!-f $request_filename) { set $r "${r}no-file,"; }
            if (-d $request_filename) { set $r "${r}dir,"; }
            if (-e $request_filename) { set $r "${r}exists,"; }
            if (!-e $request_filename) { set $r "${r}missing,"; }
            if (-x {{ROOT}}/conds/run.sh) { set $r "${r}exec,"; }
            if (!-x {{ROOT}}/conds/a.txt) { set $r "${r}not-exec,"; }
            return 200 "[$r][$from_server]\n";
        }
        location /target/ { return 200 "target $uri $args\n"; }
        location /caps/ {
            if ($uri ~ ^/caps/(\w+)/(\w+)$) { return 200 "$2-$1\n"; }
            return 200 "no match\n";
        }
        # The proxy_pass of the first if stays the content handler in
        # the second, whose settings have no upstream: a 500. The
        # proxied request (X-Via) is served statically.
        location /proxy-then-none/ {
            proxy_set_header X-Via 1;
            if ($http_x_via = "") { proxy_pass http://127.0.0.1:{{PORT}}; }
            if ($arg_second) { }
        }
    }
}
`

func TestIfLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, ifConf, nginxtest.Options{Files: map[string]string{
		"only-one-if/index.html": "one\n", "if-try-files/x": "x\n", "try-files-no-if/x": "x\n",
		"if-root/f": "root f\n", "other/if-root/f": "other f\n", "if-break/f": "f\n",
		"conds/a.txt": "a\n", "conds/sub/": "", "conds/run.sh": "#!/bin/sh\n",
		"proxy-then-none/index.html": "static\n",
	}})
	chmodX(t, p.Root+"/conds/run.sh")
	for _, r := range []string{
		nginxtest.Get("/only-one-if/"),
		nginxtest.Get("/if-try-files/x"), nginxtest.Get("/try-files-no-if/x"),
		nginxtest.Get("/if-root/f"), nginxtest.Get("/if-root/f?other=1"),
		nginxtest.Get("/if-break/f"), nginxtest.Get("/if-break/f?b=1"),
		nginxtest.Get("/conds/a.txt"), nginxtest.Get("/conds/a.txt?v=0"), nginxtest.Get("/conds/a.txt?v=x"),
		nginxtest.Get("/conds/sub", "User-Agent: GoogleBot/2"), nginxtest.Get("/conds/none", "User-Agent: curl/8"),
		nginxtest.Get("/conds/a.txt?v=1", "X-Server-Header: 1"),
		nginxtest.Get("/conds/", "X-Block: 1"), nginxtest.Get("/conds/?srv=jump"), nginxtest.Get("/conds/?srv=no"),
		nginxtest.Get("/caps/ab/cd"), nginxtest.Get("/caps/ab"),
		nginxtest.Get("/proxy-then-none/"), nginxtest.Get("/proxy-then-none/?second=1"),
	} {
		p.Compare(t, r)
	}
}

// Loops of internal redirects end in a 500 after 10, as in nginx.
const loopConf = `events {}
http {
    access_log off;
    default_type text/plain;
    root {{ROOT}};
    rewrite_log on;
    server {
        listen 127.0.0.1:{{PORT}};
        location /loop/ { rewrite ^/loop/(.*)$ /loop/$1x last; }
        location /count/ {
            rewrite "^/count/x{9}$" /done last;
            rewrite ^/count/(.*)$ /count/$1x last;
        }
        location /count10/ {
            rewrite "^/count10/x{10}$" /done last;
            rewrite ^/count10/(.*)$ /count10/$1x last;
        }
        location = /done { return 200 "done $uri\n"; }
        location /tf/ { try_files /nothing /tf/again; }
        location /ep/ { error_page 404 /ep/missing; }
        location /old/ {
            rewrite ^/old/(\w+)/(.*)$ /new/$2?from=$1 break;
            rewrite ^/old/(.*)$ https://example.com/$1 permanent;
        }
        location /uninit/ {
            if ($arg_x) { set $v "set"; }
            set $w "[$v]";
            return 200 "[$v][$w]\n";
        }
        location /nowarn/ {
            uninitialized_variable_warn off;
            if ($arg_x) { set $z "set"; }
            return 200 "[$z]\n";
        }
        location /ifre/ {
            if ($http_x_test ~ "^(yes|no)$") { return 200 "re $1\n"; }
            if ($http_x_test !~ "^skip") { return 200 "not skip\n"; }
            return 200 "plain\n";
        }
    }
}
`

var logLine = regexp.MustCompile(`\[(\w+)\] \d+#\d+: \*\d+ (.*?), client: `)

// notices are the rewrite_log and uninitialized-variable lines of a log.
func notices(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		m := logLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		msg := m[2]
		if i := strings.Index(msg, " while "); i >= 0 && !strings.Contains(msg, "cycle") {
			msg = msg[:i]
		}
		switch {
		case m[1] == "notice" && (strings.Contains(msg, "match") || strings.HasPrefix(msg, "rewritten")),
			m[1] == "warn" && strings.HasPrefix(msg, "using uninitialized"),
			m[1] == "error" && strings.Contains(msg, "cycle"):
			out = append(out, m[1]+" "+msg)
		}
	}
	return out
}

func TestRewriteLoopsAndLog(t *testing.T) {
	p := nginxtest.Start(t, loopConf, nginxtest.Options{Files: map[string]string{"tf/x": "x\n", "new/b/c": "new\n"}})
	reqs := []string{
		nginxtest.Get("/loop/a"), nginxtest.Get("/count/"), nginxtest.Get("/count10/"),
		nginxtest.Get("/tf/x"), nginxtest.Get("/ep/x"),
		nginxtest.Get("/old/b/c?q=1"), nginxtest.Get("/old/x"),
		nginxtest.Get("/uninit/"), nginxtest.Get("/uninit/?x=1"), nginxtest.Get("/nowarn/"),
		nginxtest.Get("/ifre/", "X-Test: yes"), nginxtest.Get("/ifre/", "X-Test: maybe"), nginxtest.Get("/ifre/", "X-Test: skip"),
	}
	for _, r := range reqs {
		p.Compare(t, r)
	}
	// The lines are written before each answer; wait only for the
	// files to show what was written.
	var ng, gp []string
	for i := 0; i < 100; i++ {
		ng, gp = notices(p.Nginx.ErrorLog()), notices(p.Go.ErrorLog())
		if len(ng) > 0 && len(ng) == len(gp) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Join(ng, "\n") != strings.Join(gp, "\n") {
		t.Errorf("rewrite log lines differ:\nnginx:\n%s\n\ngoproxy:\n%s", strings.Join(ng, "\n"), strings.Join(gp, "\n"))
	}
}
