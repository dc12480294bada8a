package staticfs_test

import (
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

const tryConf = `events {}
http {
    access_log off;
    default_type text/plain;
    types { text/html html; text/css css; }
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}}/www;
        location @fallback { return 200 "fallback $uri|$args\n"; }
        location @err { return 200 "named error page for $uri $status\n"; }
        location /t1/ { try_files $uri $uri/ =404; }
        location /t2/ { try_files $uri @fallback; }
        location /t3/ { try_files $uri $uri.html /t3/default.html?from=$uri; }
        location /t4/ { try_files /nope =418; }
        location /t5/ { try_files $uri/ /t5/found.txt; index idx.txt; }
        location /t6/ { try_files $uri $uri/index.html /missing-uri-fallback; }
        location = /missing-uri-fallback { return 200 "fb $uri|$args\n"; }
        location /t9/ { alias {{ROOT}}/www/t1/; try_files $uri $uri/ /t9/$uri?q=1 =404; }
        location /t10/ { alias {{ROOT}}/www/t1/; try_files $uri $uri/ /missing-uri-fallback; }
        location ~ ^/re-alias/.*\.txt$ { alias {{ROOT}}/www/t1; try_files $uri =404; }
        location /nested-alias/ {
            alias {{ROOT}}/www/t1/;
            location ~ \.txt$ { try_files $uri =404; }
            location /nested-alias/dir2/ { try_files /t2/a.txt $uri/ =404; }
        }
        location /t7/ { try_files $uri =500; error_page 500 @err; }
        location = /t8 { try_files /www-nope /t1/a.txt; }
        location /idx/ { index none.html second.html /idx/abs.txt; }
        location /idx2/ { index none.html; }
        location /idx3/ { index none.html; autoindex on; }
        location /idx4/ { index $arg_i.html; }
        location /ep/ {
            error_page 404 /ep/404.html;
            error_page 403 =200 /ep/ok.txt;
            error_page 418 = @err;
            error_page 500 502 =503 @err;
            error_page 410 http://example.com/gone;
            error_page 451 =301 http://example.com/legal;
            error_page 405 /ep/404.html;
            location /ep/teapot { return 418; }
            location /ep/gone { return 410; }
            location /ep/legal { return 451; }
            location /ep/boom { return 500; }
            location /ep/bad { return 502; }
            location /ep/forbidden/ { }
        }
        location /ep2/ {
            error_page 404 /ep2/missing-too.html;
        }
        location /ep3/ {
            recursive_error_pages on;
            error_page 404 /ep3/missing.html;
        }
        location /ep4/ { error_page 404 =200 /ep/404.html; }
        location /ep5/ { error_page 404 = /ep5-target; }
        location = /ep5-target { return 201 "created $uri\n"; }
        location /ep6/ { error_page 404 @fallback; return 404 "explicit body\n"; }
    }
}
`

func TestTryFilesIndexErrorPage(t *testing.T) {
	p := nginxtest.Start(t, tryConf, nginxtest.Options{Files: map[string]string{
		"www/t1/a.txt": "a", "www/t1/re-alias/a.txt": "re a", "www/t1/t2/a.txt": "t1/t2/a", "www/t1/dir/": "", "www/t1/dir2/index.html": "dir2 index",
		"www/t2/a.txt":  "a2",
		"www/t3/b.html": "b html", "www/t3/default.html": "default",
		"www/t5/sub/idx.txt": "idx", "www/t5/found.txt": "found", "www/t5/file": "file",
		"www/t6/d/index.html": "t6 index",
		"www/idx/second.html": "second", "www/idx/abs.txt": "abs", "www/idx/sub/": "", "www/idx/dirindex/second.html/": "",
		"www/idx2/": "", "www/idx3/x.txt": "x", "www/idx4/a.html": "a4",
		"www/ep/404.html": "custom 404\n", "www/ep/ok.txt": "ok\n", "www/ep/forbidden/": "",
		"www/ep2/": "", "www/ep3/": "",
	}})
	compare(t, p,
		nginxtest.Get("/re-alias/a.txt"), nginxtest.Get("/re-alias/nope.txt"), nginxtest.Get("/re-alias/../t1/a.txt"),
		nginxtest.Get("/nested-alias/a.txt"), nginxtest.Get("/nested-alias/nope.txt"), nginxtest.Get("/nested-alias/dir2/"),
		nginxtest.Get("/nested-alias/dir2/x"),
		nginxtest.Get("/t1/a.txt"), nginxtest.Get("/t1/dir"), nginxtest.Get("/t1/dir/"), nginxtest.Get("/t1/dir2"),
		nginxtest.Get("/t1/dir2/"), nginxtest.Get("/t1/nope"), nginxtest.Get("/t1/nope?x=1"),
		nginxtest.Get("/t2/a.txt"), nginxtest.Get("/t2/nope?x=1"), nginxtest.Get("/t2/"),
		nginxtest.Get("/t3/b"), nginxtest.Get("/t3/b.html"), nginxtest.Get("/t3/zz?q=1"), nginxtest.Get("/t3/"),
		nginxtest.Get("/t4/x"), nginxtest.Get("/t5/sub"), nginxtest.Get("/t5/sub/"), nginxtest.Get("/t5/file"), nginxtest.Get("/t5/zz"),
		nginxtest.Get("/t6/d"), nginxtest.Get("/t6/d/"), nginxtest.Get("/t6/x"), nginxtest.Get("/t6/x?a=1"),
		nginxtest.Get("/t9/a.txt"), nginxtest.Get("/t9/dir"), nginxtest.Get("/t9/dir2/"), nginxtest.Get("/t9/zz"), nginxtest.Get("/t9/"),
		nginxtest.Get("/t10/a.txt"), nginxtest.Get("/t10/dir"), nginxtest.Get("/t10/zz?y=2"),
		nginxtest.Get("/t7/x"), nginxtest.Get("/t8"),
		nginxtest.Req("HEAD", "/t1/a.txt"), nginxtest.Req("POST", "/t2/nope"), nginxtest.Req("POST", "/t3/zz"),
		nginxtest.Get("/idx/"), nginxtest.Get("/idx/?a=1"), nginxtest.Get("/idx/sub/"), nginxtest.Get("/idx/dirindex/"),
		nginxtest.Get("/idx/missing/"), nginxtest.Get("/idx2/"), nginxtest.Get("/idx2/missing/"), nginxtest.Get("/idx3/"),
		nginxtest.Get("/idx4/?i=a"), nginxtest.Get("/idx4/?i=b"), nginxtest.Get("/idx4/"),
		nginxtest.Get("/ep/missing"), nginxtest.Get("/ep/forbidden/"), nginxtest.Get("/ep/teapot"), nginxtest.Get("/ep/gone"),
		nginxtest.Get("/ep/legal"), nginxtest.Get("/ep/boom"), nginxtest.Get("/ep/bad"), nginxtest.Req("PUT", "/ep/404.html"),
		nginxtest.Req("POST", "/ep/missing"), nginxtest.Req("HEAD", "/ep/missing"), nginxtest.Req("DELETE", "/ep/missing"),
		nginxtest.Get("/ep2/x"), nginxtest.Get("/ep3/x"), nginxtest.Get("/ep4/x"), nginxtest.Get("/ep5/x?a=1"), nginxtest.Get("/ep6/x?a=1"),
		nginxtest.Get("/ep/missing", "If-Modified-Since: Sat, 09 Mar 2024 10:11:12 GMT"),
		nginxtest.Get("/ep/missing", "Range: bytes=0-3"),
		// A name longer than the file system allows.
		nginxtest.Get("/"+strings.Repeat("n", 300)), nginxtest.Get("/"+strings.Repeat("n", 300)+"/"),
		nginxtest.Get("/t1/"+strings.Repeat("n", 300)), nginxtest.Get("/idx/"+strings.Repeat("n", 300)+"/"),
	)
}

const badRequestPagesConf = `events {}
http {
    access_log off;
    default_type text/plain;
    large_client_header_buffers 2 1k;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        error_page 400 /bad.txt;
        error_page 414 =200 /long.txt;
        error_page 494 @hdr;
        error_page 405 =418 /nope.txt;
        location @hdr { return 200 "header too large $status\n"; }
        location = /bad.txt { }
        location = /long.txt { }
    }
}
`

// TestErrorPagesForBadRequests: the default server's error_page also
// answers requests refused while their head was read.
func TestErrorPagesForBadRequests(t *testing.T) {
	p := nginxtest.Start(t, badRequestPagesConf, nginxtest.Options{Files: map[string]string{
		"bad.txt": "bad request page\n", "long.txt": "long\n", "x.txt": "x",
	}})
	long := "/" + strings.Repeat("l", 1100)
	compare(t, p,
		nginxtest.Get("/%zz"), nginxtest.Get("/../x"), "GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a..b\r\nConnection: close\r\n\r\n", nginxtest.Get(long),
		nginxtest.Get("/x.txt", "X-Big: "+strings.Repeat("b", 1100)), nginxtest.Req("PUT", "/x.txt"),
		"GET /x.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
		"GET /x.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
		"GET /x.txt HTTP/2.0\r\nHost: x\r\n\r\n", "BAD\r\n\r\n",
	)
}
