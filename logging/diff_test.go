package logging_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

const conf = `events {}
http {
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"';
    log_format esc escape=json '{"uri":"$uri","args":"$args","ua":"$http_user_agent","status":$status}';
    log_format raw escape=none '$request|$http_user_agent|$arg_q';
    log_format vars '$request_method $scheme $server_protocol $server_name $host $uri $is_args$args '
                    '$document_uri $request_uri $content_length $status $request_length $pipe';
    server {
        listen 127.0.0.1:{{PORT}};
        server_name example.org;
        root {{ROOT}};
        access_log {{DIR}}/combined.log;
        access_log {{DIR}}/main.log main;
        access_log {{DIR}}/esc.log esc;
        access_log {{DIR}}/raw.log raw;
        access_log {{DIR}}/vars.log vars;
        location /off { access_log off; }
        location /cond { access_log {{DIR}}/cond.log combined if=$arg_log; }
    }
}
`

var (
	stamp = regexp.MustCompile(`\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]`)
	// Built-in error pages name the product, so their sizes differ by
	// the length of "goproxy/0.1.0" against "nginx/1.22.1".
	errSize = regexp.MustCompile(`" ([45]\d\d) \d+ "`)
)

// TestAccessLogLines compares log lines written for the same requests by
// nginx and goproxy, line for line (times normalised).
func TestAccessLogLines(t *testing.T) {
	p := nginxtest.Start(t, conf, nginxtest.Options{Files: map[string]string{"a.txt": "hello", "off": "x", "cond": "y"}})
	reqs := []string{
		nginxtest.Get("/a.txt", "User-Agent: curl/8", "Referer: http://ref/", "X-Forwarded-For: 10.0.0.1"),
		nginxtest.Get("/missing?q=1&x=\"quoted\"", "User-Agent: bad\"agent\\ \x01\xff"),
		nginxtest.Req("HEAD", "/a.txt", "Authorization: Basic dXNlcjpwYXNz"),
		nginxtest.Req("POST", "/a.txt", "Content-Length: 3") + "abc",
		nginxtest.Get("/off"),
		nginxtest.Get("/cond"),
		nginxtest.Get("/cond?log=1"),
		"GET /a.txt HTTP/1.0\r\n\r\n",
		// Bare LF line ends, an empty line first and an ignored header
		// line: $request_length counts the head as it came.
		"\r\nGET /a.txt HTTP/1.0\nHost: localhost\nX_Under: ignored\n\n",
		// Pipelined: the second and third arrive with the first ($pipe).
		"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\nGET /missing HTTP/1.1\r\nHost: localhost\r\n\r\n" + nginxtest.Get("/a.txt"),
	}
	for _, r := range reqs {
		p.Both(t, r)
	}
	time.Sleep(100 * time.Millisecond)
	for _, name := range []string{"combined.log", "main.log", "esc.log", "raw.log", "vars.log", "cond.log"} {
		ng := readLog(t, filepath.Join(p.Nginx.Dir, name), p.Nginx.Ports[0])
		gp := readLog(t, filepath.Join(p.Go.Dir, name), p.Go.Ports[0])
		if len(ng) != len(gp) {
			t.Errorf("%s: nginx wrote %d lines, goproxy %d\nnginx:\n%s\ngoproxy:\n%s", name, len(ng), len(gp),
				strings.Join(ng, "\n"), strings.Join(gp, "\n"))
			continue
		}
		for i := range ng {
			if ng[i] != gp[i] {
				t.Errorf("%s line %d:\nnginx:   %s\ngoproxy: %s", name, i+1, ng[i], gp[i])
			}
		}
	}
}

func readLog(t *testing.T, path string, port int) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	s := stamp.ReplaceAllString(string(b), "[TIME]")
	s = errSize.ReplaceAllString(s, `" $1 PAGESIZE "`)
	s = strings.ReplaceAll(s, ":"+strconv.Itoa(port), ":PORT")
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

var errLine = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (\*\d+ )?(.*)$`)

// TestErrorLogLines compares the error-log lines (level, message and
// request context) of the same failures.
func TestErrorLogLines(t *testing.T) {
	p := nginxtest.Start(t, conf, nginxtest.Options{Files: map[string]string{"a.txt": "hello", "dir/": ""}})
	for _, r := range []string{
		nginxtest.Get("/missing"),
		nginxtest.Get("/dir/"),
		nginxtest.Get("/a.txt/x"),
		"GET /missing HTTP/1.0\r\n\r\n",
	} {
		p.Both(t, r)
	}
	time.Sleep(100 * time.Millisecond)
	get := func(s *nginxtest.Server) []string {
		var out []string
		for _, l := range strings.Split(s.ErrorLog(), "\n") {
			m := errLine.FindStringSubmatch(l)
			if m == nil || (m[1] != "error" && m[1] != "crit") {
				continue
			}
			l = strings.ReplaceAll(m[1]+" "+m[3], s.Dir, "DIR")
			out = append(out, strings.ReplaceAll(l, ":"+strconv.Itoa(s.Ports[0]), ":PORT"))
		}
		return out
	}
	ng, gp := get(p.Nginx), get(p.Go)
	if strings.Join(ng, "\n") != strings.Join(gp, "\n") {
		t.Errorf("error logs differ:\nnginx:\n%s\ngoproxy:\n%s", strings.Join(ng, "\n"), strings.Join(gp, "\n"))
	}
}
