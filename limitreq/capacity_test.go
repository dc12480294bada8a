package limitreq_test

// capacity_test.go fills limit_req zones with distinct keys and compares
// with nginx how many each remembers: a zone's capacity follows nginx's
// slab arithmetic, and a full zone forgets its least recently used keys.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

const capConf = `events {}
http {
    access_log off;
    limit_req_zone $http_x_key zone=small:32k rate=1r/m;
    limit_req_zone $http_x_key zone=long:32k rate=1r/m;
    limit_req_zone $http_x_key zone=big:64k rate=1r/m;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        location /small { limit_req zone=small; }
        location /long { limit_req zone=long; }
        location /big { limit_req zone=big; }
    }
}
`

// remembered sends n distinct keys of length klen, then the same keys
// again from the newest: a key the zone still holds is refused (one
// request per minute, no burst), so the count of refusals before the
// first pass is how many keys the zone kept.
func remembered(t *testing.T, addr, loc string, n, klen int) int {
	c := &http.Client{}
	key := func(i int) string {
		s := fmt.Sprint(i)
		return s + strings.Repeat("x", klen-len(s))
	}
	get := func(k string) int {
		req, _ := http.NewRequest("GET", "http://"+addr+"/"+loc, nil)
		req.Header.Set("X-Key", k)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < n; i++ {
		get(key(i))
	}
	for i := n - 1; i >= 0; i-- {
		if get(key(i)) != 503 {
			return n - 1 - i
		}
	}
	return n
}

// TestZoneCapacity: nginx keeps 191 short keys in 32k and 447 in 64k;
// keys past 48 bytes take twice the memory.
func TestZoneCapacity(t *testing.T) {
	p := nginxtest.Start(t, capConf, nginxtest.Options{Files: map[string]string{"small": "ok", "long": "ok", "big": "ok"}})
	for _, c := range []struct {
		loc        string
		keys, klen int
	}{{"small", 400, 8}, {"long", 400, 60}, {"big", 800, 40}} {
		ng := remembered(t, p.Nginx.Addr(), c.loc, c.keys, c.klen)
		gp := remembered(t, p.Go.Addr(), c.loc, c.keys, c.klen)
		t.Logf("%s zone, %d-byte keys: nginx keeps %d, goproxy %d", c.loc, c.klen, ng, gp)
		if ng != gp {
			t.Errorf("%s zone, %d-byte keys: nginx keeps %d keys, goproxy %d", c.loc, c.klen, ng, gp)
		}
	}
}

// TestConnKeyTooLong: nginx does not account a limit_conn key over 255
// bytes: the request passes and the error log says why.
func TestConnKeyTooLong(t *testing.T) {
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    limit_conn_zone $http_x_key zone=c:32k;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        location /c { limit_conn c 1; }
    }
}
`, nginxtest.Options{Files: map[string]string{"c": "ok"}})
	key := strings.Repeat("k", 256)
	ng, gp := p.Both(t, nginxtest.Get("/c", "X-Key: "+key))
	if ng.Status != 200 || gp.Status != 200 {
		t.Errorf("status: nginx %d, goproxy %d", ng.Status, gp.Status)
	}
	want := `the value of the "$http_x_key" key is more than 255 bytes: "` + key + `"`
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		if !strings.Contains(s.ErrorLog(), want) {
			t.Errorf("%s's error log lacks %q", s.Name, want[:40])
		}
	}
}
