package staticfs_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

const autoindexConf = `events {}
http {
    access_log off;
    default_type text/plain;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        autoindex on;
        location /sizes/ { autoindex_exact_size off; }
        location /local/ { autoindex_localtime on; alias {{ROOT}}/names/; }
        location /localsz/ { autoindex_localtime on; autoindex_exact_size off; alias {{ROOT}}/sizes/; }
        location /json/ { autoindex_format json; alias {{ROOT}}/names/; }
        location /jsonp/ { autoindex_format jsonp; alias {{ROOT}}/names/; }
        location /xml/ { autoindex_format xml; alias {{ROOT}}/names/; }
        location /jsonsz/ { autoindex_format json; alias {{ROOT}}/sizes/; }
        location /xmlsz/ { autoindex_format xml; alias {{ROOT}}/sizes/; }
        location /off/ { autoindex off; }
    }
}
`

// oddNames are file names that test escaping and truncation.
var oddNames = []string{
	"a b.txt", "ünïcödé.txt", "日本語のファイル名.txt", "&<>\"'.txt", "q?x#y%z.txt", "semi;colon,comma+plus=eq@[x]~.txt",
	"bad\xff\xfe.txt", "caf\xe9.txt", "tab\there", "vt\x0bff\x0cus\x1f", "back\\slash", "star*pipe|caret^`{}",
	strings.Repeat("x", 49), strings.Repeat("y", 50), strings.Repeat("z", 51), strings.Repeat("w", 47) + ".txt",
	strings.Repeat("l", 120) + ".txt", strings.Repeat("é", 30) + ".txt", strings.Repeat("a", 46) + "日本",
	strings.Repeat("d", 48) + "é", "UPPER.TXT", "0-leading", "-dash", "~tilde",
}

// sizes straddle autoindex_exact_size off's K, M and G roundings.
var sizes = []int64{0, 1, 999, 9999, 10000, 10239, 10240, 10751, 10752, 1048575, 1048576, 1572863, 1572864,
	10485759, 1073741823, 1073741824, 1610612735, 1610612736, 5 << 30, 1 << 40}

func TestAutoindex(t *testing.T) {
	files := map[string]string{"names/sub dir/": "", "names/zdir/": "", "names/.hidden": "h", "names/empty": "",
		"off/x": "x", "sizes/": "", "names/a&b dir/": "",
		"names/q?d#h%\"<>\\^`{|}é;+=/": ""}
	for _, n := range oddNames {
		files["names/"+n] = n
	}
	// nginx's workers run as "nobody": the tree must be world-readable.
	root, err := os.MkdirTemp("", "autoindex-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	os.Chmod(root, 0755)
	nginxtest.WriteTree(t, root, files)
	for _, n := range sizes {
		// Sparse: no disk blocks, never read.
		p := filepath.Join(root, "sizes", "s"+strconv.Itoa(int(n)))
		if err := os.WriteFile(p, nil, 0644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, n); err != nil {
			// A file system that refuses this size: the file is left
			// out (both servers then answer 404 for it).
			t.Log(err)
			os.Remove(p)
			continue
		}
		os.Chtimes(p, nginxtest.Mtime, nginxtest.Mtime)
	}
	// Summer and winter times, and a link to nowhere (left out).
	summer := time.Date(2023, 7, 14, 23, 59, 59, 0, time.UTC)
	os.Chtimes(filepath.Join(root, "names", "UPPER.TXT"), summer, summer)
	os.Chtimes(filepath.Join(root, "names", "0-leading"), time.Unix(0, 0), time.Unix(0, 0))
	os.Symlink("nowhere", filepath.Join(root, "names", "dangling"))
	os.Symlink("zdir", filepath.Join(root, "names", "link-to-dir"))

	// autoindex_localtime shows nginx's local time: both servers run
	// with a zone that has half-hour offsets and summer time.
	loc, err := time.LoadLocation("America/St_Johns")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	oldLocal, oldTZ := time.Local, os.Getenv("TZ")
	time.Local = loc
	os.Setenv("TZ", "America/St_Johns")
	t.Cleanup(func() { time.Local = oldLocal; os.Setenv("TZ", oldTZ) })

	p := nginxtest.Start(t, autoindexConf, nginxtest.Options{Root: root})
	var reqs []string
	for _, d := range []string{"/names/", "/sizes/", "/local/", "/localsz/", "/json/", "/jsonsz/", "/xml/", "/xmlsz/"} {
		reqs = append(reqs, nginxtest.Get(d), nginxtest.Req("HEAD", d), nginxtest.Req("POST", d))
	}
	reqs = append(reqs,
		nginxtest.Get("/names/sub%20dir/"), nginxtest.Get("/names/sub dir/"), nginxtest.Get("/names/sub%20dir"), nginxtest.Get("/names/a&b%20dir"),
		nginxtest.Get("/names/q%3Fd%23h%25%22%3C%3E%5C%5E%60%7B%7C%7D%C3%A9;+="), nginxtest.Get("/names/q%3Fd%23h%25%22%3C%3E%5C%5E%60%7B%7C%7D%C3%A9;+=?a=%20"),
		nginxtest.Get("/names/zdir"), nginxtest.Get("/names/link-to-dir/"), nginxtest.Get("/names/dangling"),
		nginxtest.Get("/names/a%20b.txt"), nginxtest.Get("/names/q%3Fx%23y%25z.txt"), nginxtest.Get("/names/bad%FF%FE.txt"),
		nginxtest.Get("/names/caf%E9.txt"), nginxtest.Get("/names/%E6%97%A5%E6%9C%AC%E8%AA%9E%E3%81%AE%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB%E5%90%8D.txt"),
		nginxtest.Get("/names/empty"), nginxtest.Req("HEAD", "/names/empty"), nginxtest.Get("/names/empty", "Range: bytes=0-0"),
		nginxtest.Get("/jsonp/"), nginxtest.Get("/jsonp/?callback=cb"), nginxtest.Get("/jsonp/?callback=a.b_c"),
		nginxtest.Get("/jsonp/?callback=bad-name"), nginxtest.Get("/jsonp/?callback=%3Cx%3E"), nginxtest.Get("/jsonp/?x=1&callback=cb2&y"),
		nginxtest.Get("/off/"), nginxtest.Get("/missing/"), nginxtest.Get("/names/empty/"),
		// The big sparse file: only its header and its last bytes.
		nginxtest.Req("HEAD", "/sizes/s1099511627776"), nginxtest.Get("/sizes/s1099511627776", "Range: bytes=-5"),
		nginxtest.Get("/sizes/s5368709120", "Range: bytes=5368709115-"), nginxtest.Get("/sizes/s5368709120", "Range: bytes=5368709119-5368709200"),
		nginxtest.Get("/sizes/s5368709120", "Range: bytes=5368709120-"), nginxtest.Get("/sizes/s5368709120", "Range: bytes=0-1,5368709118-"),
		nginxtest.Req("HEAD", "/sizes/s5368709120", "Range: bytes=1-2"),
	)
	compare(t, p, reqs...)
}
