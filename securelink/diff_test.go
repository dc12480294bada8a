package securelink_test

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
	_ "goproxy/process" // the runtime, as linked in the binary
)

const conf = `events {}
http {
    access_log off;
    secure_link_md5 "$uri";
    secure_link_secret top;
    server {
        listen 127.0.0.1:{{PORT0}};
        location /s/ {
            secure_link $arg_md5,$arg_e;
            secure_link_md5 "$secure_link_expires$uri secret";
            return 200 "[$secure_link] [$secure_link_expires]\n";
        }
        location /order/ {
            secure_link $arg_md5,$arg_e;
            secure_link_md5 "$secure_link_expires$uri secret";
            return 200 "[$secure_link_expires] [$secure_link] [$secure_link_expires]\n";
        }
        location /noexp/ {
            secure_link $arg_md5;
            secure_link_md5 "$uri secret";
            if ($secure_link = "") { return 403; }
            return 200 "[$secure_link]\n";
        }
        location /p/ {
            secure_link_secret segredo;
            return 200 "[$secure_link]\n";
            location /p/in/ { secure_link_md5 "$uri"; return 200 "in [$secure_link]\n"; }
        }
        location /none/ { secure_link_md5 "$uri"; return 200 "[$secure_link] [$secure_link_expires]\n"; }
        location /top/ { return 200 "top [$secure_link]\n"; }
    }
    server {
        listen 127.0.0.1:{{PORT0}};
        server_name other;
        secure_link $arg_md5;
        location / { return 200 "[$secure_link]\n"; }
        location /md5/ { secure_link_md5 "$uri x"; return 200 "md5 [$secure_link]\n"; }
        location /sec/ {
            secure_link_secret inner;
            return 200 "sec [$secure_link]\n";
            location /sec/deeper/ { return 200 "deeper [$secure_link]\n"; }
            location /sec/md5/ { secure_link_md5 "$uri"; return 200 "md5 [$secure_link]\n"; }
        }
    }
}
`

func b64(s string) string {
	h := md5.Sum([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func hexMD5(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestSecureLinkLikeNginx compares $secure_link and $secure_link_expires
// with nginx's for good, bad and expired links of both forms: the hash's
// base64url reading (padding, what follows "=", length), the expiry's
// (signs, zero, garbage), $secure_link_expires known only once
// $secure_link is evaluated, the hash and link in the URI with the
// secret, and how the forms inherit (a secret only into a level with
// neither secure_link nor secure_link_md5).
func TestSecureLinkLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, conf, nginxtest.Options{})
	future := strconv.FormatInt(time.Now().Unix()+3600, 10)
	good := b64(future + "/s/f secret")
	old := b64("1000/s/f secret")
	for _, q := range []string{
		"md5=" + good + "&e=" + future, "md5=" + good + "==&e=" + future, "md5=" + good + "=x&e=" + future,
		"md5=" + good + "A&e=" + future, "md5=" + good[:21] + "&e=" + future, "md5=" + good + "&e=" + future + "0",
		"md5=" + old + "&e=1000", "md5=" + old + "&e=+1000", "md5=" + old + "&e=01000", "md5=" + b64("0/s/f secret") + "&e=0",
		"md5=" + good + "&e=x", "md5=" + good, "e=" + future, "", "md5=" + good + "&e=-1",
		"md5=" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")) + "&e=" + future,
	} {
		p.Compare(t, nginxtest.Get("/s/f?"+q))
		p.Compare(t, nginxtest.Get("/order/f?"+q))
		p.Compare(t, nginxtest.Get("/none/f?"+q))
	}
	p.Compare(t, nginxtest.Get("/noexp/a?md5="+b64("/noexp/a secret")))
	p.Compare(t, nginxtest.Get("/noexp/a?md5="+b64("/noexp/b secret")))
	for _, u := range []string{
		"/p/" + hexMD5("file.pdfsegredo") + "/file.pdf", "/p/" + hexMD5("a/b?x=1segredo") + "/a/b?x=1",
		"/p/" + hexMD5("file.pdfsegred") + "/file.pdf", "/p/" + hexMD5("segredo") + "/", "/p/x/file.pdf",
		"/p/" + hexMD5("file.pdfsegredo"), "/p/in/" + hexMD5("x/y"+"segredo") + "/x/y",
		"/p/" + hexMD5("file.pdfsegredo")[:31] + "z/file.pdf", "/top/" + hexMD5("ytop") + "/y",
		"/top/x?md5=" + b64("/top/x"),
	} {
		p.Compare(t, nginxtest.Get(u))
	}
	for _, u := range []string{
		"/x/" + hexMD5("ytop") + "/y", "/x?md5=" + b64("/x"), "/md5/x?md5=" + b64("/md5/x x"), "/sec/" + hexMD5("zinner") + "/z",
		"/sec/deeper/" + hexMD5("zinner") + "/z", "/sec/md5/x?md5=" + b64("/sec/md5/x"),
	} {
		p.Compare(t, "GET "+u+" HTTP/1.0\r\nHost: other\r\n\r\n")
	}
}
