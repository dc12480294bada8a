package browser_test

import (
	"testing"

	"goproxy/internal/nginxtest"
)

const conf = `events {}
http {
    access_log off;
    root {{ROOT}};
    modern_browser unlisted;
    ancient_browser Links;
    server {
        listen 127.0.0.1:{{PORT}};
        location /default { return 200 "m=[$modern_browser] a=[$ancient_browser] msie=[$msie]\n"; }
        location /list {
            modern_browser msie 6.0;
            modern_browser gecko 1.9.2;
            modern_browser safari 525.1;
            modern_browser konqueror 3.5;
            modern_browser_value modern;
            ancient_browser_value old;
            return 200 "m=[$modern_browser] a=[$ancient_browser]\n";
            location /list/inner { return 200 "inner m=[$modern_browser] a=[$ancient_browser]\n"; }
        }
        location /opera {
            modern_browser opera 9.5;
            modern_browser unlisted;
            ancient_browser Wget netscape4;
            return 200 "m=[$modern_browser] a=[$ancient_browser]\n";
        }
        location /unlisted {
            modern_browser unlisted;
            ancient_browser Lynx netscape4;
            return 200 "m=[$modern_browser] a=[$ancient_browser]\n";
        }
        location /twice {
            modern_browser MSIE 7.0;
            modern_browser msie 5.5;
            return 200 "m=[$modern_browser] a=[$ancient_browser]\n";
        }
        location /set { set $msie "mine"; return 200 "msie=[$msie]\n"; }

        msie_refresh on;
        location /r301 { return 301 "/there?a=b c\"d'e"; }
        location /r302 { return 302 http://example.com/x; }
        location /r307 { return 307 /y; }
        location /rbare { return 302; }
        location /rerr { error_page 404 /nothere; error_page 403 =301 away; return 403; }
        location /rerr2 { error_page 404 elsewhere; return 404; }
        location /roff { msie_refresh off; return 301 /z; }
        location /dir/ { }
        location /rhdr { add_header X-A b; return 302 /q; }
    }
}
`

// userAgents covers each browser nginx knows, versions on both sides of
// the lists above, and the odd forms its parser meets.
var userAgents = []string{
	"",
	"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)",
	"Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)",
	"Mozilla/4.0 (compatible; MSIE 5.01; Windows NT)",
	"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)",
	"Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
	"MSIE foo",
	"MSIE 7",
	"Mozilla/4.0 (compatible; MSIE 6.0; X11; FreeBSD i386) Opera 7.50  [en]",
	"Opera/9.80 (X11; Linux x86_64) Presto/2.12.388 Version/12.16",
	"Opera/9.01 (X11; FreeBSD 6 i386; U; en)",
	"Mozilla/5.0 (X11; U; Linux i686; en-US; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3",
	"Mozilla/5.0 (X11; U; Linux i686; en-US; rv:1.8.1) Gecko/20061010 Firefox/2.0",
	"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
	"Mozilla/5.0 (Macintosh; U; PPC Mac OS X; ru-ru) AppleWebKit/418.8 (KHTML, like Gecko) Safari/419.3",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
	"Mozilla/5.0 (compatible; Konqueror/3.5; FreeBSD) KHTML/3.5.1 (like Gecko)",
	"Mozilla/5.0 (compatible; Konqueror/3.1; Linux)",
	"Mozilla/4.72 [en] (X11; U; Linux 2.2.14 i686)",
	"Mozilla/3.0",
	"Lynx/2.8.9rel.1 libwww-FM/2.14",
	"Links (2.29; Linux x86_64; GNU C; text)",
	"Wget/1.21",
	"curl/8.5.0",
	"Mozilla/5.0 (compatible; MSIE 9.0.1.2.3.4.5; x)",
}

// TestBrowserLikeNginx: $modern_browser, $ancient_browser and $msie for
// each User-Agent in each location, and msie_refresh's pages.
func TestBrowserLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, conf, nginxtest.Options{Files: map[string]string{"dir/": ""}})
	paths := []string{"/default", "/list", "/list/inner", "/opera", "/unlisted", "/twice", "/set",
		"/r301", "/r302", "/r307", "/rbare", "/rerr", "/rerr2", "/roff", "/dir", "/rhdr"}
	for _, ua := range userAgents {
		for _, path := range paths {
			var h []string
			if ua != "" {
				h = append(h, "User-Agent: "+ua)
			}
			p.Compare(t, nginxtest.Get(path, h...))
		}
	}
	p.Compare(t, nginxtest.Req("HEAD", "/r301", "User-Agent: MSIE foo"))
	p.Compare(t, nginxtest.Get("/default", "User-Agent: ", "User-Agent: MSIE foo"))
}
