package confparse_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCGICacheKey: fastcgi_cache_key has no default; a cache without one
// is accepted with nginx's warning, its key empty, while proxy_cache
// keeps its default key. The CGI modules' caches merge like proxy's.
func TestCGICacheKey(t *testing.T) {
	cfg, dir := loadText(t, `events {}
http {
    fastcgi_cache_path c1 keys_zone=f:1m;
    uwsgi_cache_path c2 keys_zone=u:1m;
    uwsgi_cache_key $uri;
    server {
        fastcgi_cache f;
        location /a { fastcgi_pass 127.0.0.1:9000; }
        location /b { fastcgi_pass 127.0.0.1:9000; fastcgi_cache off; }
        location /c { uwsgi_pass 127.0.0.1:9000; uwsgi_cache u; uwsgi_cache_valid 5m; }
    }
}
`)
	n := 0
	for _, w := range cfg.Warnings {
		if strings.Contains(w.Error(), `no "fastcgi_cache_key" for "fastcgi_cache"`) {
			n++
		}
	}
	if n == 0 {
		t.Errorf("no warning for the missing fastcgi_cache_key: %v", cfg.Warnings)
	}
	s := cfg.HTTP.Servers[0]
	a, b, c := s.Locations[0].Conf, s.Locations[1].Conf, s.Locations[2].Conf
	if !a.FastCGI.Cache.On() || a.FastCGI.Cache.Key == nil || a.FastCGI.Cache.Key.Raw != "" {
		t.Errorf("/a: cache %v key %v, want on with an empty key", a.FastCGI.Cache.On(), a.FastCGI.Cache.Key)
	}
	if b.FastCGI.Cache.On() {
		t.Errorf("/b: fastcgi_cache off is on")
	}
	if !c.UWSGI.Cache.On() || c.UWSGI.Cache.Key.Raw != "$uri" || len(c.UWSGI.Cache.Valid) != 1 || c.UWSGI.Cache.Valid[0].Time.Minutes() != 5 {
		t.Errorf("/c: uwsgi cache %+v", c.UWSGI.Cache)
	}
	if a.Proxy.Cache.Key == nil || a.Proxy.Cache.Key.Raw != "$scheme$proxy_host$request_uri" {
		t.Errorf("proxy_cache_key default lost: %v", a.Proxy.Cache.Key)
	}
	if z := cfg.HTTP.CacheZone("u"); z == nil || z.Module != "uwsgi" || z.Path != filepath.Join(dir, "c2") {
		t.Errorf("zone u: %+v", z)
	}
}
