package staticfs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

const symlinksConf = `events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}}/real;
        disable_symlinks on;
        autoindex on;
        location /tf/ { try_files /link-file /file.txt; }
        location /tf2/ { try_files /link-dir/ /dir/ =404; }
        location /al/ { alias {{ROOT}}/real/link-dir/; }
        location /al2/ { alias {{ROOT}}/real/dir/; }
        location /gz/ { gzip_static on; }
        location /from/ { alias {{ROOT}}/rootlink/; disable_symlinks on from={{ROOT}}/rootlink; }
        location /fromslash/ { alias {{ROOT}}/rootlink/; disable_symlinks on from={{ROOT}}/rootlink/; }
        location /notprefix/ { alias {{ROOT}}/rootlink/; disable_symlinks on from={{ROOT}}/root; }
        location /fromvar/ { root {{ROOT}}/rootlink; disable_symlinks on from=$document_root; }
        location /off/ { disable_symlinks off; }
        location /tfloop/ { disable_symlinks off; try_files /loop/index.html =418; }
        location /y/ { alias {{ROOT}}/real/file.txt; }
        location /offy/ { alias {{ROOT}}/real/file.txt; disable_symlinks off; }
        location /z/ { alias {{ROOT}}/real/nonexist; }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        root {{ROOT}}/real;
        disable_symlinks if_not_owner;
        index other.html index.html;
        autoindex on;
    }
    server {
        listen 127.0.0.1:{{PORT2}};
        root {{ROOT}}/rootlink;
        disable_symlinks on;
        location /from/ { disable_symlinks on from=$document_root; }
    }
}
`

// symlinkTree makes a world-readable tree (nginx's workers run as
// nobody) with links to files and directories, a dangling link, a link
// loop, and files owned by nobody reached through links owned by root.
func symlinkTree(t *testing.T) string {
	base, err := os.MkdirTemp("", "symlinks-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0755)
	big := strings.Repeat("0123456789abcdef", 5000) // beyond the in-memory size
	nginxtest.WriteTree(t, filepath.Join(base, "real"), map[string]string{
		"file.txt": "file\n", "dir/a.txt": "a\n", "dir/index.html": "index\n", "d2/": "",
		"list/x": "x\n", "loop/": "", "gz/p.txt": "plain\n", "gz/real.gz": "gzipped\n",
		"fromvar/file.txt": "fromvar\n", "off/file.txt": "off\n", "big.bin": big,
		"otherfile": "other\n", "otherdir/o.txt": "o\n", "otherdir/index.html": "other index\n",
	})
	links := map[string]string{
		"real/link-file": "file.txt", "real/link-dir": "dir", "real/dangling": "nowhere",
		"real/d2/index.html": "../file.txt", "real/d2/other.html": "../otherfile",
		"real/list/lnk": "../file.txt", "real/list/lnkdir": "../dir",
		"real/loop/index.html": "index.html", "real/gz/p.txt.gz": "real.gz",
		"real/fromvar/link-file": "file.txt", "real/off/link": "file.txt", "real/link-big": "big.bin",
		"real/link-other": "otherfile", "real/link-otherdir": "otherdir", "rootlink": "real",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(base, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"otherfile", "otherdir", "otherdir/o.txt", "otherdir/index.html"} {
		if err := os.Lchown(filepath.Join(base, "real", name), 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

// TestDisableSymlinks compares "disable_symlinks on", "if_not_owner" and
// "from=" with nginx: statuses, bodies and the error-log lines (the
// openat() wording, ELOOP for a link at the end of the path, ENOTDIR for
// one in the middle) through the static, index, autoindex, alias,
// try_files and gzip_static paths.
func TestDisableSymlinks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the tree needs files owned by another user (chown): run as root")
	}
	nginxtest.RequireNginx(t)
	base := symlinkTree(t)
	p := nginxtest.Start(t, symlinksConf, nginxtest.Options{Root: base, Ports: 3})
	gzip := "Accept-Encoding: gzip"
	reqs := map[int][]string{
		0: {
			nginxtest.Get("/file.txt"), nginxtest.Get("/link-file"), nginxtest.Get("/dir/a.txt"),
			nginxtest.Get("/link-dir/a.txt"), nginxtest.Get("/link-dir/"), nginxtest.Get("/link-dir"),
			nginxtest.Get("/dangling"), nginxtest.Get("/d2/"), nginxtest.Get("/list/"), nginxtest.Get("/dir/"),
			nginxtest.Get("/nonexist"), nginxtest.Get("/tf/"), nginxtest.Get("/tf2/"), nginxtest.Get("/al/a.txt"),
			nginxtest.Get("/al2/a.txt"), nginxtest.Get("/gz/p.txt", gzip), nginxtest.Get("/from/link-file"),
			nginxtest.Get("/from/file.txt"), nginxtest.Get("/fromslash/file.txt"), nginxtest.Get("/notprefix/file.txt"),
			nginxtest.Get("/fromvar/file.txt"), nginxtest.Get("/fromvar/link-file"), nginxtest.Get("/off/link"),
			nginxtest.Get("/big.bin"), nginxtest.Get("/big.bin", "Range: bytes=0-1,70000-70003"),
			nginxtest.Req("HEAD", "/big.bin"), nginxtest.Get("/link-big"), nginxtest.Get("/loop/"),
			nginxtest.Get("/loop/index.html"), nginxtest.Get("/tfloop/"), nginxtest.Get("/y/"), nginxtest.Get("/offy/"),
			nginxtest.Get("/z/"), nginxtest.Get("/nodir/"),
		},
		1: {
			nginxtest.Get("/link-file"), nginxtest.Get("/link-dir/a.txt"), nginxtest.Get("/link-dir"),
			nginxtest.Get("/link-dir/"), nginxtest.Get("/otherfile"), nginxtest.Get("/link-other"),
			nginxtest.Get("/link-otherdir/o.txt"), nginxtest.Get("/link-otherdir/"), nginxtest.Get("/otherdir/"),
			nginxtest.Get("/dangling"), nginxtest.Get("/d2/"), nginxtest.Get("/list/"), nginxtest.Get("/big.bin"),
		},
		2: {
			nginxtest.Get("/file.txt"), nginxtest.Get("/dir/"), nginxtest.Get("/from/"),
		},
	}
	for port := 0; port < 3; port++ {
		for _, raw := range reqs[port] {
			ng := nginxtest.Do(t, p.Nginx.AddrN(port), raw)
			gp := nginxtest.Do(t, p.Go.AddrN(port), raw)
			if d := p.Diff(ng, gp); d != "" {
				t.Errorf("port %d, %q:\n%s\n--- nginx:\n%.400s\n--- goproxy:\n%.400s", port, raw[:strings.Index(raw, "\r")], d, ng.Raw, gp.Raw)
			}
		}
	}
	// nginx writes its log lines as it answers; give it a moment.
	time.Sleep(100 * time.Millisecond)
	ng, gp := fileErrors(p.Nginx, base), fileErrors(p.Go, base)
	if strings.Join(ng, "\n") != strings.Join(gp, "\n") {
		t.Errorf("error logs differ:\nnginx:\n%s\ngoproxy:\n%s", strings.Join(ng, "\n"), strings.Join(gp, "\n"))
	}
	if !strings.Contains(strings.Join(gp, "\n"), `[error] openat() "ROOT/real/link-file" failed (40: Too many levels of symbolic links)`) {
		t.Errorf("no ELOOP line for the link:\n%s", strings.Join(gp, "\n"))
	}
}

var fileErrRe = regexp.MustCompile(`\[(error|crit|alert)\] \d+#\d+: \*\d+ (.*?), client: .*?, request: "([^"]*)"`)

// fileErrors are a server's error, crit and alert lines: level, message
// and request, with the tree's path as ROOT.
func fileErrors(s *nginxtest.Server, root string) []string {
	var out []string
	for _, l := range strings.Split(s.ErrorLog(), "\n") {
		if m := fileErrRe.FindStringSubmatch(l); m != nil {
			out = append(out, strings.ReplaceAll("["+m[1]+"] "+m[2]+" ("+m[3]+")", root, "ROOT"))
		}
	}
	return out
}
