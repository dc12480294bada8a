package staticfs_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

const headersConf = `events {}
http {
    access_log off;
    types { text/html html htm; image/png png; application/x-custom cst CST; }
    default_type application/x-default;
    add_header X-Http http-level;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        add_header X-Server server-level;
        add_header X-Server-Always yes always;
        location /inherit/ { }
        location /own/ { add_header X-Own own; add_header X-Own second; add_header X-Empty ""; add_header X-Var "$uri|$status"; }
        location /always/ { add_header X-Plain plain; add_header X-Always always always; }
        location /cc/ { add_header Cache-Control "private"; expires 1h; add_header Last-Modified "Mon, 01 Jan 2001 00:00:00 GMT"; add_header ETag '"mine"'; }
        location /unset/ { add_header ETag foo always; add_header ETag '' always; add_header Last-Modified ''; }
        location /exp1h/ { expires 1h; }
        location /expneg/ { expires -30s; }
        location /expepoch/ { expires epoch; }
        location /expmax/ { expires max; }
        location /expoff/ { expires off; }
        location /expzero/ { expires 0; }
        location /expmod/ { expires modified 10d; }
        location /expvar/ { expires $arg_e; }
        location /expvarmod/ { expires modified $arg_e; }
        location /exp404/ { expires 1h; add_header X-Only-2xx yes; }
        location /tokens/ { server_tokens off; }
        location /types/ { types { text/plain txt; } default_type text/x-inner; }
        location /types2/ { default_type ""; }
        location /ret/ { add_header X-Ret yes; return 200 "r"; }
        location /ret302/ { add_header X-Ret yes; expires 1h; return 302 /x; }
        location /ret404/ { add_header X-Ret yes; add_header X-Ret-Always yes always; return 404; }
        location /ret500/ { add_header X-Ret yes; add_header X-Ret-Always yes always; return 500 "text"; }
        location /if/ { add_header X-Loc loc; if ($arg_x) { add_header X-If if; } }
        location /etag/ { etag off; }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        root {{ROOT}};
        server_tokens off;
        location /tokens-on/ { server_tokens on; }
    }
}
`

func TestHeaders(t *testing.T) {
	files := map[string]string{}
	for _, d := range []string{"inherit", "own", "always", "cc", "exp1h", "expneg", "expepoch", "expmax", "expoff", "expzero", "expmod", "expvar", "exp404", "tokens", "types", "types2", "if", "etag", "tokens-on", "unset", "expvarmod"} {
		files[d+"/a.html"] = "<p>a</p>"
	}
	for _, n := range []string{"a.txt", "a.png", "a.PNG", "a.cst", "a.CST", "a.Cst", "noext", "a.", ".hidden", "a.tar.gz", "dir.html/x"} {
		files["types/"+n] = n
		files["types2/"+n] = n
	}
	p := nginxtest.Start(t, headersConf, nginxtest.Options{Ports: 2, Files: files})
	var reqs []string
	for _, d := range []string{"inherit", "own", "always", "cc", "exp1h", "expneg", "expepoch", "expmax", "expoff", "expzero", "expmod", "exp404", "tokens", "if", "etag", "unset"} {
		reqs = append(reqs, nginxtest.Get("/"+d+"/a.html"), nginxtest.Get("/"+d+"/missing"), nginxtest.Get("/"+d),
			nginxtest.Get("/"+d+"/a.html", "If-Modified-Since: Sat, 09 Mar 2024 10:11:12 GMT"), nginxtest.Req("PUT", "/"+d+"/a.html"))
	}
	for _, n := range []string{"a.txt", "a.png", "a.PNG", "a.cst", "a.CST", "a.Cst", "noext", "a.", ".hidden", "a.tar.gz", "dir.html/x", "dir.html", "a.html"} {
		reqs = append(reqs, nginxtest.Get("/types/"+n), nginxtest.Get("/types2/"+n))
	}
	reqs = append(reqs, nginxtest.Get("/if/a.html?x=1"), nginxtest.Get("/ret/"), nginxtest.Get("/ret302/"), nginxtest.Get("/ret404/"),
		nginxtest.Get("/ret500/"), nginxtest.Get("/ret/x.png"), nginxtest.Get("/expvar/a.html?e=1h"), nginxtest.Get("/expvar/a.html?e=epoch"),
		nginxtest.Get("/expvar/a.html?e=bogus"), nginxtest.Get("/expvar/a.html?e=off"), nginxtest.Get("/expvar/a.html?e=max"),
		nginxtest.Get("/expvarmod/a.html?e=epoch"), nginxtest.Get("/expvarmod/a.html?e=max"), nginxtest.Get("/expvarmod/a.html?e=2048"),
		nginxtest.Get("/expvarmod/a.html?e=-1d"), nginxtest.Get("/expvarmod/a.html?e=bad"))
	for _, r := range reqs {
		ng, gp := p.Compare(t, r)
		sameExpires(t, r, ng, gp)
	}
	for _, u := range []string{"/tokens/a.html", "/tokens/missing", "/tokens-on/a.html", "/tokens-on/missing", "/x"} {
		raw := nginxtest.Get(u)
		ng := nginxtest.Do(t, "127.0.0.1:"+strconv.Itoa(p.Nginx.Ports[1]), raw)
		gp := nginxtest.Do(t, "127.0.0.1:"+strconv.Itoa(p.Go.Ports[1]), raw)
		if d := p.Diff(ng, gp); d != "" {
			t.Errorf("%s on port 1: %s", u, d)
		}
		if (ng.Header.Get("Server") == "nginx") != (gp.Header.Get("Server") == "goproxy") {
			t.Errorf("%s: Server nginx %q, goproxy %q", u, ng.Header.Get("Server"), gp.Header.Get("Server"))
		}
	}
}

// sameExpires compares Expires as an offset from Date (or as is when
// it is a fixed date), since the two servers answer at different times.
func sameExpires(t *testing.T, raw string, ng, gp *nginxtest.Response) {
	t.Helper()
	ne, ge := ng.Header.Get("Expires"), gp.Header.Get("Expires")
	if (ne == "") != (ge == "") {
		t.Errorf("%q: Expires nginx %q, goproxy %q", raw, ne, ge)
		return
	}
	if ne == "" || ne == ge {
		return
	}
	off := func(r *nginxtest.Response) time.Duration {
		e, err1 := http.ParseTime(r.Header.Get("Expires"))
		d, err2 := http.ParseTime(r.Header.Get("Date"))
		if err1 != nil || err2 != nil {
			return -1 << 62
		}
		return e.Sub(d)
	}
	if d := off(ng) - off(gp); d > time.Second || d < -time.Second {
		t.Errorf("%q: Expires nginx %q, goproxy %q (relative to Date)", raw, ne, ge)
	}
}
