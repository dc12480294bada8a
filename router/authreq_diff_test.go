package router_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

// authBackend answers auth subrequests: the path picks the status, and
// it echoes what it saw.
func authBackend(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-User", "alice")
		w.Header().Set("X-Seen", r.Method+" "+r.URL.RequestURI()+" body="+string(body))
		switch {
		case strings.HasPrefix(r.URL.Path, "/check-401"):
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			w.WriteHeader(401)
		case strings.HasPrefix(r.URL.Path, "/check-403"):
			w.WriteHeader(403)
		case strings.HasPrefix(r.URL.Path, "/check-500"):
			w.WriteHeader(500)
		case strings.HasPrefix(r.URL.Path, "/check-204"):
			w.WriteHeader(204)
		default:
			w.Write([]byte("granted"))
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

const authReqConf = `events {}
http {
    access_log off;
    root {{ROOT}};
    server {
        listen 127.0.0.1:{{PORT}};
        location = /a/ok { internal; set $shared "from-sub"; return 204; }
        location = /a/deny { return 403; }
        location = /a/unauth { add_header WWW-Authenticate "Basic realm=sub" always; return 401; }
        location = /a/nf { return 404; }
        location = /a/redir { return 302 /elsewhere; }
        location = /a/static { try_files /f =404; }
        location = /a/nofile { try_files /nofile =404; }
        location /a/rw { rewrite ^ /a/ok last; }
        location /check- { proxy_pass http://BACKEND; proxy_pass_request_body off; proxy_set_header Content-Length ""; proxy_set_header X-Original-URI $request_uri; }

        location /ok/ { auth_request /a/ok; add_header X-Shared "[$shared]"; }
        location /deny/ { auth_request /a/deny; }
        location /unauth/ { auth_request /a/unauth; }
        location /nf/ { auth_request /a/nf; }
        location /redir/ { auth_request /a/redir; }
        location /static/ { auth_request /a/static; }
        location /nofile/ { auth_request /a/nofile; }
        location /rw/ { auth_request /a/rw; }
        location /up/ {
            auth_request /check-ok;
            auth_request_set $user $upstream_http_x_user;
            auth_request_set $seen $upstream_http_x_seen;
            auth_request_set $st $upstream_status;
            auth_request_set $m "$request_method $uri $args";
            add_header X-Auth "[$user][$seen][$st][$m]" always;
            location /up/off/ { auth_request off; }
        }
        location /up401/ { auth_request /check-401; }
        location /up403/ { auth_request /check-403; error_page 403 /errors/403.html; }
        location /up500/ { auth_request /check-500; }
        location /up204/ { auth_request /check-204; }
        location /anyallow/ { satisfy any; allow 127.0.0.1; deny all; auth_request /a/deny; }
        location /anydeny/ { satisfy any; deny all; auth_request /a/ok; }
        location /anyboth/ { satisfy any; deny all; auth_request /a/deny; }
        location /anyunauth/ { satisfy any; deny all; auth_request /check-401; }
        location /allboth/ { satisfy all; allow all; auth_request /a/deny; }
    }
}
`

// TestAuthRequestLikeNginx: statuses of the subrequest (2xx grants,
// 401/403 pass through, others 500), WWW-Authenticate from an upstream,
// auth_request_set, variables shared with the subrequest, satisfy.
func TestAuthRequestLikeNginx(t *testing.T) {
	conf := strings.ReplaceAll(authReqConf, "BACKEND", authBackend(t))
	files := map[string]string{"f": "auth file\n", "errors/403.html": "custom 403\n"}
	for _, d := range []string{"ok", "deny", "unauth", "nf", "redir", "static", "nofile", "rw", "up", "up/off",
		"up401", "up403", "up500", "up204", "anyallow", "anydeny", "anyboth", "anyunauth", "allboth"} {
		files[d+"/index.html"] = d + " page\n"
	}
	p := nginxtest.Start(t, conf, nginxtest.Options{Files: files})
	for _, r := range []string{
		nginxtest.Get("/ok/"), nginxtest.Get("/deny/"), nginxtest.Get("/unauth/"), nginxtest.Get("/nf/"),
		nginxtest.Get("/redir/"), nginxtest.Get("/static/"), nginxtest.Get("/nofile/"), nginxtest.Get("/rw/"),
		nginxtest.Get("/up/?a=1"), nginxtest.Req("HEAD", "/up/"), nginxtest.Get("/up/off/"),
		"POST /up/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
		nginxtest.Get("/up401/"), nginxtest.Get("/up403/"), nginxtest.Get("/up500/"), nginxtest.Get("/up204/"),
		nginxtest.Get("/anyallow/"), nginxtest.Get("/anydeny/"), nginxtest.Get("/anyboth/"),
		nginxtest.Get("/anyunauth/"), nginxtest.Get("/allboth/"), nginxtest.Get("/a/ok"),
	} {
		p.Compare(t, r)
	}
}
