package staticfs_test

import (
	"os"
	"path/filepath"
	"testing"

	"goproxy/internal/nginxtest"
)

const davConf = `events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{DIR}}/www;
        location / { dav_methods PUT DELETE MKCOL COPY MOVE; dav_access group:rw all:r; }
        location /full/ { dav_methods PUT; create_full_put_path on; }
        location /md/ { dav_methods DELETE; min_delete_depth 3; }
        location /ro/ { }
    }
}
`

// TestDavLikeNginx runs the same PUT, MKCOL and DELETE sequence on
// nginx and goproxy, each on its own tree: statuses, Location and
// lengths, the errors for collections, ranges, bodies, Depth and
// min_delete_depth; then compares the trees and permissions.
func TestDavLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, davConf, nginxtest.Options{})
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		os.MkdirAll(filepath.Join(s.Dir, "www/md/a"), 0777)
		os.Chmod(filepath.Join(s.Dir, "www"), 0777)
		os.Chmod(filepath.Join(s.Dir, "www/md"), 0777)
		os.Chmod(filepath.Join(s.Dir, "www/md/a"), 0777)
		os.WriteFile(filepath.Join(s.Dir, "www/md/a/f"), []byte("x"), 0666)
		os.WriteFile(filepath.Join(s.Dir, "www/md/g"), []byte("x"), 0666)
	}
	put := func(path, body string, hdr ...string) string {
		return nginxtest.Req("PUT", path, append(hdr, "Content-Length: "+itoa(len(body)))...) + body
	}
	for _, r := range []string{
		put("/a.txt", "abc"), put("/a.txt", "abcd"), put("/x/a.txt", "abc"), put("/full/p/q/a.txt", "abc"),
		put("/dir/", "x"), put("/r", "x", "Content-Range: bytes 0-0/1"),
		put("/d.txt", "dated", "Date: Sat, 09 Mar 2024 10:11:12 GMT"),
		"PUT /chunked HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		nginxtest.Req("MKCOL", "/col/"), nginxtest.Req("MKCOL", "/col/"), nginxtest.Req("MKCOL", "/col2"),
		nginxtest.Req("MKCOL", "/no/such/"), put("/col/", "x"), put("/col", "x"),
		put("/col/in.txt", "in"), nginxtest.Req("DELETE", "/col"), nginxtest.Req("DELETE", "/col/", "Depth: 1"),
		nginxtest.Req("DELETE", "/a.txt", "Depth: 1"), nginxtest.Req("DELETE", "/col/", "Depth: infinity"),
		nginxtest.Req("DELETE", "/nope"), nginxtest.Req("DELETE", "/a.txt", "Content-Length: 1") + "x",
		nginxtest.Req("DELETE", "/md/g"), nginxtest.Req("DELETE", "/md/a/"), nginxtest.Req("DELETE", "/md/a/f"),
		nginxtest.Req("PATCH", "/a.txt"), put("/ro/x", "x"), nginxtest.Get("/a.txt"),
		put("/c/x.txt", "x"), nginxtest.Req("MKCOL", "/tree/"), put("/tree/in", "in"), nginxtest.Req("MKCOL", "/tree/sub/"), put("/tree/sub/f", "f"),
		nginxtest.Req("COPY", "/a.txt", "Destination: /b.txt"), nginxtest.Req("COPY", "/a.txt", "Destination: /b.txt"),
		nginxtest.Req("COPY", "/a.txt", "Destination: /b.txt", "Overwrite: F"), nginxtest.Req("COPY", "/a.txt", "Destination: /b.txt", "Overwrite: x"),
		nginxtest.Req("COPY", "/a.txt", "Destination: http://localhost:{{PORT}}/c%2Etxt"), nginxtest.Req("COPY", "/a.txt", "Destination: http://other/c.txt"),
		nginxtest.Req("COPY", "/a.txt"), nginxtest.Req("COPY", "/a.txt", "Destination: /coll/"), nginxtest.Req("COPY", "/a.txt", "Destination: /../x"),
		nginxtest.Req("COPY", "/tree/", "Destination: /tree2/"), nginxtest.Req("COPY", "/tree/", "Destination: /tree3/", "Depth: 0"),
		nginxtest.Req("COPY", "/tree/", "Destination: /tree4/", "Depth: 1"), nginxtest.Req("MOVE", "/tree2/", "Destination: /tree5/"),
		nginxtest.Req("MOVE", "/b.txt", "Destination: /moved.txt"), nginxtest.Req("MOVE", "/b.txt", "Destination: /moved.txt"),
		nginxtest.Req("MOVE", "/tree/", "Destination: /tree6/", "Depth: 0"), nginxtest.Req("COPY", "/nope", "Destination: /nope2"),
		nginxtest.Req("MOVE", "/c.txt", "Destination: /moved.txt"),
	} {
		p.Compare(t, r)
	}
	tree := func(s *nginxtest.Server) map[string]string {
		m := map[string]string{}
		root := filepath.Join(s.Dir, "www")
		filepath.Walk(root, func(path string, fi os.FileInfo, err error) error {
			if err == nil {
				rel, _ := filepath.Rel(root, path)
				b, _ := os.ReadFile(path)
				m[rel] = fi.Mode().String() + " " + string(b) + " " + fi.ModTime().UTC().String()[:4]
				if rel == "d.txt" {
					m[rel] += fi.ModTime().UTC().String()
				}
			}
			return nil
		})
		return m
	}
	ng, gp := tree(p.Nginx), tree(p.Go)
	for k, v := range ng {
		if gp[k] != v {
			t.Errorf("%s: nginx %q, goproxy %q", k, v, gp[k])
		}
	}
	for k, v := range gp {
		if _, ok := ng[k]; !ok {
			t.Errorf("%s: only goproxy has it (%q)", k, v)
		}
	}
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}
