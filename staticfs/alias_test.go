package staticfs_test

import (
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

const aliasConf = `events {}
http {
    access_log off;
    default_type text/plain;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}}/www;
        location /a/ { alias {{ROOT}}/data/; }
        location /b { alias {{ROOT}}/data; }
        location /c/ { alias {{ROOT}}/data/sub/; index i.txt; }
        location ~ ^/re/(?<name>[^/]+)/(.*)$ { alias {{ROOT}}/data/$name/$2; }
        location ~ ^/re2/(.+\.txt)$ { alias {{ROOT}}/data/$1; }
        location ~* ^/RE3/ { root {{ROOT}}/data; }
        location /d/ { root {{ROOT}}/data/sub; }
        location "/sp ace/" { alias {{ROOT}}/data/; }
        location /vr/ { root {{ROOT}}/$arg_r; }
        location = /exact.txt { alias {{ROOT}}/data/f.txt; }
        location /fn/ { alias {{ROOT}}/data/; return 200 "$request_filename|$document_root|$realpath_root\n"; }
        location ~ ^/fnre/(.*)$ { alias {{ROOT}}/data/$1; return 200 "$request_filename|$document_root\n"; }
    }
}
`

func TestAliasAndRoot(t *testing.T) {
	p := nginxtest.Start(t, aliasConf, nginxtest.Options{Files: map[string]string{
		"data/f.txt": "f", "data/sub/i.txt": "index", "data/sub/g.txt": "g", "data/sub/RE3/x.txt": "re3",
		"data/RE3/y.txt": "y", "www/f.txt": "www f", "www/d/x.txt": "no", "data/d/x.txt": "d x",
		// Above the in-memory limit: sent from the file.
		"www/big.bin": strings.Repeat("0123456789abcdef", 20000),
	}})
	compare(t, p,
		nginxtest.Get("/a/f.txt"), nginxtest.Get("/a/"), nginxtest.Get("/a"), nginxtest.Get("/a/sub"), nginxtest.Get("/a/sub/"),
		nginxtest.Get("/a/missing"), nginxtest.Get("/b/f.txt"), nginxtest.Get("/b"), nginxtest.Get("/b/"), nginxtest.Get("/bf.txt"),
		nginxtest.Get("/c/"), nginxtest.Get("/c/g.txt"), nginxtest.Get("/c"),
		nginxtest.Get("/re/sub/g.txt"), nginxtest.Get("/re/sub/"), nginxtest.Get("/re/sub/missing"), nginxtest.Get("/re2/f.txt"),
		nginxtest.Get("/re2/sub/g.txt"), nginxtest.Get("/re3/x.txt"), nginxtest.Get("/RE3/x.txt"), nginxtest.Get("/Re3/y.txt"),
		nginxtest.Get("/d/x.txt"), nginxtest.Get("/sp%20ace/f.txt"), nginxtest.Get("/sp ace/f.txt"),
		nginxtest.Get("/vr/f.txt?r=www"), nginxtest.Get("/vr/f.txt?r=data"), nginxtest.Get("/vr/f.txt"),
		nginxtest.Get("/exact.txt"), nginxtest.Get("/fn/x/y"), nginxtest.Get("/fn/"), nginxtest.Get("/fnre/q"),
		nginxtest.Get("/f.txt"), nginxtest.Get("/big.bin"), nginxtest.Req("HEAD", "/big.bin"),
		nginxtest.Get("/big.bin", "Range: bytes=100000-100015"), nginxtest.Get("/big.bin", "Range: bytes=-20"),
		nginxtest.Get("/big.bin", "Range: bytes=70000-"), nginxtest.Get("/big.bin", "Range: bytes=1-2,65535-65540,319990-"),
		"GET /big.bin HTTP/1.0\r\n\r\n",
	)
}
