package proxy_test

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

// TestCacheWriteFailedDiff: an entry that cannot be put in place (its
// level directory's name is taken by a file) is not stored, the client
// still gets the response, and the error log says why at crit in
// nginx's words, against nginx.
func TestCacheWriteFailedDiff(t *testing.T) {
	up := startUpstream(t, "w", answer200("hello\n"))
	p := start(t, conf(`
    proxy_cache_path cache levels=1:2 keys_zone=wz:1m;
    add_header X-Cache $upstream_cache_status;
`, `
        location / {
            proxy_pass http://{{UP}};
            proxy_cache wz;
            proxy_cache_key $uri;
            proxy_cache_valid 1m;
        }
`), up)
	sum := md5.Sum([]byte("/w"))
	h := hex.EncodeToString(sum[:])
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		if err := os.WriteFile(filepath.Join(s.Dir, "cache", h[len(h)-1:]), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ {
		ng, _ := p.cmp(t, nginxtest.Get("/w"))
		if got := ng.Header.Get("X-Cache"); got != "MISS" {
			t.Errorf("nginx: X-Cache %q", got)
		}
	}
	tmp := regexp.MustCompile(`rename\(\) "[^"]*" to`)
	logged := func(s *nginxtest.Server) []string {
		var out []string
		for _, l := range errorLines(s) {
			l = strings.ReplaceAll(tmp.ReplaceAllString(l, `rename() "TEMP" to`), s.Dir, "PREFIX")
			out = append(out, p.hideString(l))
		}
		return out
	}
	ng, gp := logged(p.Nginx), logged(p.Go)
	if len(ng) != 2 || !slices.Equal(ng, gp) {
		t.Errorf("error log:\nnginx:\n%s\ngoproxy:\n%s", strings.Join(ng, "\n"), strings.Join(gp, "\n"))
	}
}
