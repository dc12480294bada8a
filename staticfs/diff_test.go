package staticfs_test

import (
	"os"
	"testing"

	"goproxy/internal/nginxtest"
)

const welcome = `events {}
http {
    include {{ROOT}}/mime.types;
    default_type application/octet-stream;
    access_log off;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}}/html;
        index index.html index.htm;
        location /static/ { autoindex on; alias {{ROOT}}/static/; }
        location /static2 { autoindex on; alias {{ROOT}}/static/; }
    }
}
`

func TestWelcomeAndStatic(t *testing.T) {
	mime, _ := os.ReadFile("../conf/mime.types")
	p := nginxtest.Start(t, welcome, nginxtest.Options{Files: map[string]string{
		"mime.types":          string(mime),
		"html/index.html":     "<h1>Welcome</h1>\n",
		"html/page.htm":       "page",
		"html/style.css":      "body{}",
		"html/dir/":           "",
		"html/empty/":         "",
		"html/empty/file.txt": "x",
		"static/app.js":       "console.log(1)",
		"static/img/logo.png": "PNG",
		"static/sub/":         "",
		"static/a b.txt":      "space",
		"secret.txt":          "secret",
		"html/UPPER.TXT":      "upper",
	}})
	for _, r := range []string{
		nginxtest.Get("/"),
		nginxtest.Get("/index.html"),
		nginxtest.Get("/page.htm"),
		nginxtest.Get("/style.css"),
		nginxtest.Get("/UPPER.TXT"),
		nginxtest.Get("/nope"),
		nginxtest.Get("/dir"),
		nginxtest.Get("/dir?a=1"),
		nginxtest.Get("/dir/"),
		nginxtest.Get("/empty/"),
		nginxtest.Get("/static/"),
		nginxtest.Get("/static"),
		nginxtest.Get("/static/app.js"),
		nginxtest.Get("/static/img/"),
		nginxtest.Get("/static/a%20b.txt"),
		nginxtest.Get("/static/sub"),
		nginxtest.Get("/static2/"),
		nginxtest.Req("HEAD", "/index.html"),
		nginxtest.Req("POST", "/index.html"),
		nginxtest.Req("POST", "/"),
		nginxtest.Req("PUT", "/index.html"),
		nginxtest.Req("DELETE", "/static/"),
		nginxtest.Get("/index.html", "If-Modified-Since: Sat, 09 Mar 2024 10:11:12 GMT"),
		nginxtest.Get("/index.html", "If-Modified-Since: Sat, 09 Mar 2024 10:11:13 GMT"),
		nginxtest.Get("/index.html", "If-None-Match: \"65ec3690-11\""),
		nginxtest.Get("/index.html", "If-None-Match: W/\"65ec3690-11\""),
		nginxtest.Get("/index.html", "If-None-Match: *"),
		nginxtest.Get("/index.html", "If-Match: \"nope\""),
		nginxtest.Get("/index.html", "If-Unmodified-Since: Sat, 09 Mar 2024 10:00:00 GMT"),
		nginxtest.Get("/index.html", "Range: bytes=0-3"),
		nginxtest.Get("/index.html", "Range: bytes=-3"),
		nginxtest.Get("/index.html", "Range: bytes=5-"),
		nginxtest.Get("/index.html", "Range: bytes=0-1,4-5"),
		nginxtest.Get("/index.html", "Range: bytes=100-200"),
		nginxtest.Get("/index.html", "Range: bytes=abc"),
		nginxtest.Get("/index.html", "Range: bytes=0-1", "If-Range: \"65ec3690-11\""),
		nginxtest.Get("/index.html", "Range: bytes=0-1", "If-Range: \"other\""),
		nginxtest.Get("/%2e%2e/secret.txt"),
		nginxtest.Get("/../secret.txt"),
		nginxtest.Get("//index.html"),
		nginxtest.Get("/./index.html"),
		nginxtest.Get("/dir/../index.html"),
		nginxtest.Get("/index%2ehtml"),
		nginxtest.Get("/%00"),
		nginxtest.Get("/%zz"),
		nginxtest.Get("/%"),
	} {
		p.Compare(t, r)
	}
	// Beyond nginx: the alias traversal of "location /static2" (no
	// trailing slash) with an alias that has one reaches the parent
	// directory in nginx; goproxy answers as if the file did not exist.
	ng, gp := p.Both(t, nginxtest.Get("/static2../secret.txt"))
	if ng.Status != 200 || string(ng.Body) != "secret" {
		t.Errorf("nginx no longer escapes the alias (status %d): revisit this test", ng.Status)
	}
	if gp.Status != 404 {
		t.Errorf("goproxy served a file outside the alias directory: status %d body %q", gp.Status, gp.Body)
	}
}
