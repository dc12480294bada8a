package staticfs_test

import (
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

const modulesConf = `events {}
http {
    access_log off;
    types { video/x-flv flv; text/html html; }
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        location /gif { empty_gif; }
        location /flv/ {
            flv;
            if ($arg_x) { }
        }
        location /one/ { random_index on; }
        location /none/ { random_index on; }
        location /missing/ { random_index on; }
    }
}
`

// TestFileModulesLikeNginx compares empty_gif, flv and random_index
// with nginx: methods, conditional and range requests, flv's start
// argument (its header, lengths, entity tags, out-of-file offsets) with
// ranges over the composed body, random_index with one file, with none
// (the index module then serves), and without the directory. Not
// compared: several ranges of a body sent from "start", which nginx's
// range filter cannot cut from its two buffers (it closes the
// connection) and goproxy answers as multipart.
func TestFileModulesLikeNginx(t *testing.T) {
	flv := ""
	for i := 0; i < 100; i++ {
		flv += "X" + strings.Repeat(string(rune('0'+i%10)), 9)
	}
	p := nginxtest.Start(t, modulesConf, nginxtest.Options{Files: map[string]string{
		"flv/t.flv": flv, "flv/dir/": "", "flv/index.html": "index",
		"one/.hidden": "no", "one/sub/": "", "one/f.html": "chosen",
		"none/.x": "x", "none/index.html": "the index",
	}})
	for _, r := range []string{
		nginxtest.Get("/gif"), nginxtest.Req("HEAD", "/gif"), nginxtest.Req("POST", "/gif"),
		nginxtest.Get("/gif", "Range: bytes=0-1"),
		nginxtest.Get("/gif", "If-Modified-Since: Mon, 28 Sep 1970 06:00:00 GMT"),
		nginxtest.Get("/flv/t.flv"), nginxtest.Get("/flv/t.flv?start=100"), nginxtest.Get("/flv/t.flv?START=995"),
		nginxtest.Get("/flv/t.flv?start=1000"), nginxtest.Get("/flv/t.flv?start=-5"), nginxtest.Get("/flv/t.flv?start=1x"),
		nginxtest.Get("/flv/t.flv?start=100", "Range: bytes=0-9"), nginxtest.Get("/flv/t.flv?start=100", "Range: bytes=-10"),
		nginxtest.Get("/flv/t.flv?start=100", "Range: bytes=5-20"),
		nginxtest.Req("HEAD", "/flv/t.flv?start=10"), nginxtest.Req("POST", "/flv/t.flv"),
		nginxtest.Get("/flv/t.flv?start=100&x=1"), nginxtest.Get("/flv/missing.flv"), nginxtest.Get("/flv/dir"),
		nginxtest.Get("/flv/"),
		nginxtest.Get("/one/"), nginxtest.Get("/one/?a=b"), nginxtest.Get("/none/"), nginxtest.Get("/missing/"),
	} {
		p.Compare(t, r)
	}
}
