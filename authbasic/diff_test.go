package authbasic_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

// htpasswd holds one user per format nginx accepts, with the password
// "hello" (bcrypt ones: "pass"), and a few odd lines.
const htpasswd = "# users\n" +
	"des:abl0JrMf6tlhw\n" +
	"md5:$1$saltsalt$fFhQNRZ9A4AYLdo7vOe8a0\n" +
	"sha256:$5$rounds=1000$salt$LOwWr9mMJrAtf7FfCf.shKLAf.rccucF5dcSaCW2ur3\n" +
	"sha512:$6$salt$ghQ6Rhatj/sug12c6v8Ao/bXUoyJ1O1SqdumufgGEO3b3NYPvm/dSWDKWfNm1VxFoFiy/cw9eRaY0xu4GDQSU/\n" +
	"apr1:$apr1$xyz$V9Ia6WfootzHtHT4Rjgs7.\n" +
	"bc2y:$2y$05$CCCCCCCCCCCCCCCCCCCCC.9JXofHN.pDSNKTkK2gqWn2UvOF6E9d6\n" +
	"bc2a:$2a$05$CCCCCCCCCCCCCCCCCCCCC.9JXofHN.pDSNKTkK2gqWn2UvOF6E9d6\n" +
	"bc2b:$2b$05$CCCCCCCCCCCCCCCCCCCCC.9JXofHN.pDSNKTkK2gqWn2UvOF6E9d6\n" +
	"sha:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=\n" +
	"ssha:{SSHA}fPaJV6KMJFZCPCApuHKpUx4qL9ZOYUNsMTIzNA==\n" +
	"plain:{PLAIN}hello\n" +
	"cmt:{PLAIN}hello:a comment\r\n" +
	"crlf:{PLAIN}hello\r\n" +
	"dup:{PLAIN}first\n" +
	"dup:{PLAIN}hello\n" +
	"#hidden:{PLAIN}hello\n" +
	"bad:garbage\n" +
	"empty:\n" +
	"badsalt:$1$a:b$xxxxxxxxxxxxxxxxxxxxxx\n" +
	"last:{PLAIN}hello"

const conf = `events {}
http {
    access_log off;
    root {{ROOT}};
    server {
        listen 127.0.0.1:{{PORT}};
        auth_basic "Server wide";
        auth_basic_user_file {{ROOT}}/htpasswd;
        location /open/ { auth_basic off; }
        location /basic/ {
            auth_basic "Restricted \"zone\"";
            location /basic/inner/ { auth_basic off; }
        }
        location /var/ {
            auth_basic "realm of $host";
            auth_basic_user_file {{ROOT}}/$arg_f;
        }
        location /missing/ { auth_basic_user_file {{ROOT}}/nofile; }
        location /relative/ { auth_basic_user_file htpasswd-rel; }
        location /anydeny/ { satisfy any; allow 10.0.0.1; deny all; }
        location /anyallow/ { satisfy any; allow 127.0.0.1; deny all; }
        location /anynorule/ { satisfy any; allow 10.0.0.1; }
        location /allallow/ { satisfy all; allow 127.0.0.1; deny all; }
        location /alldeny/ { satisfy all; deny 127.0.0.1; }
        location /le/ { auth_basic off; limit_except GET { auth_basic "le"; } }
        location /ep/ { error_page 401 /open/401.html; }
        location /ep2/ { error_page 401 = @named; }
        location @named { return 200 "named\n"; }
        location /added/ { add_header X-Always yes always; }
        location /user { return 200 "[$remote_user]\n"; }
    }
}
`

func basic(userpass string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(userpass))
}

// TestAuthBasicLikeNginx checks every htpasswd format nginx accepts,
// the ways credentials can be wrong, realm and file variables, inner
// locations, satisfy any/all with allow/deny, limit_except and
// error_page 401.
func TestAuthBasicLikeNginx(t *testing.T) {
	files := map[string]string{"htpasswd": htpasswd, "alt": "alt:{PLAIN}hello\n"}
	for _, d := range []string{"basic/", "basic/inner/", "open/", "var/", "missing/", "relative/",
		"anydeny/", "anyallow/", "anynorule/", "allallow/", "alldeny/", "le/", "ep/", "ep2/", "added/", ""} {
		files[d+"index.html"] = "page " + d + "\n"
	}
	files["open/401.html"] = "custom 401 page\n"
	p := nginxtest.Start(t, conf, nginxtest.Options{Files: files})
	var reqs []string
	for _, u := range []string{"des", "md5", "sha256", "sha512", "apr1", "sha", "ssha", "plain", "cmt",
		"crlf", "dup", "#hidden", "bad", "empty", "badsalt", "last", "nobody"} {
		reqs = append(reqs, nginxtest.Get("/basic/", basic(u+":hello")), nginxtest.Get("/basic/", basic(u+":wrong")))
	}
	for _, u := range []string{"bc2y", "bc2a", "bc2b"} {
		reqs = append(reqs, nginxtest.Get("/basic/", basic(u+":pass")), nginxtest.Get("/basic/", basic(u+":Pass")))
	}
	reqs = append(reqs,
		nginxtest.Get("/basic/"),
		nginxtest.Get("/basic/", basic("empty:")),
		nginxtest.Get("/basic/", basic(":hello")),
		nginxtest.Get("/basic/", basic("plain")),
		nginxtest.Get("/basic/", basic("plain:hello:extra")),
		nginxtest.Get("/basic/", "Authorization: basic   "+base64.StdEncoding.EncodeToString([]byte("plain:hello"))),
		nginxtest.Get("/basic/", "Authorization: Basic "+strings.TrimRight(base64.StdEncoding.EncodeToString([]byte("plain:hello1")), "=")),
		nginxtest.Get("/basic/", "Authorization: Basic !!!"),
		nginxtest.Get("/basic/", "Authorization: Bearer abc"),
		nginxtest.Get("/basic/", "Authorization: Basic"),
		nginxtest.Get("/basic/inner/"),
		nginxtest.Get("/open/"),
		nginxtest.Get("/"),
		nginxtest.Get("/", basic("plain:hello")),
		nginxtest.Get("/var/?f=htpasswd"),
		nginxtest.Get("/var/?f=alt", basic("alt:hello")),
		nginxtest.Get("/var/?f=alt", basic("plain:hello")),
		nginxtest.Get("/var/?f=none", basic("plain:hello")),
		nginxtest.Get("/missing/", basic("plain:hello")),
		nginxtest.Get("/missing/"),
		nginxtest.Get("/anydeny/"),
		nginxtest.Get("/anydeny/", basic("plain:hello")),
		nginxtest.Get("/anydeny/", basic("plain:bad")),
		nginxtest.Get("/anyallow/"),
		nginxtest.Get("/anynorule/"),
		nginxtest.Get("/anynorule/", basic("plain:hello")),
		nginxtest.Get("/allallow/"),
		nginxtest.Get("/allallow/", basic("plain:hello")),
		nginxtest.Get("/alldeny/", basic("plain:hello")),
		nginxtest.Get("/le/"),
		nginxtest.Req("POST", "/le/"),
		nginxtest.Req("POST", "/le/", basic("plain:hello")),
		nginxtest.Get("/ep/"),
		nginxtest.Get("/ep2/"),
		nginxtest.Get("/added/"),
		nginxtest.Req("HEAD", "/basic/"),
		nginxtest.Get("/user"), nginxtest.Get("/user", basic("who:pw")), nginxtest.Get("/user", basic(":pw")),
		nginxtest.Get("/user", basic("nocolon")), nginxtest.Get("/user", "Authorization: BASIC   "+base64.RawStdEncoding.EncodeToString([]byte("raw:x"))),
		nginxtest.Get("/user", "Authorization: Digest x"),
	)
	for _, r := range reqs {
		p.Compare(t, r)
	}
	// The formats are really accepted (not refused alike).
	for _, up := range []string{"des:hello", "md5:hello", "sha256:hello", "sha512:hello", "apr1:hello",
		"sha:hello", "ssha:hello", "plain:hello", "cmt:hello", "crlf:hello", "dup:first", "last:hello",
		"bc2y:pass", "bc2a:pass", "bc2b:pass"} {
		if ng, _ := p.Compare(t, nginxtest.Get("/basic/", basic(up))); ng.Status != 200 {
			t.Errorf("%s: nginx answered %d", up, ng.Status)
		}
	}
}
