package router_test

import (
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

// geo and split_clients surfaced through "return 200 $var", against
// nginx: networks (longest prefix, IPv6, v4-mapped), default, delete,
// duplicates, ranges (nested ranges cut out of the ones around them),
// proxy + X-Forwarded-For (recursive or not), include, a source variable
// that is not an address, and split_clients buckets for many keys.
const geoConf = `events {}
http {
    access_log off;
    default_type text/plain;
    geo $arg_ip $net {
        default        dflt;
        10.0.0.0/8     ten;
        10.1.0.0/16    ten-one;
        10.1.2.3       host;
        10.1.2.0/24    ten-one-two;
        10.2.0.0/16    gone;
        delete         10.2.0.0/16;
        192.168.0.0/16 a;
        192.168.0.0/16 b;
        ::1            v6-lo;
        2001:db8::/32  doc;
        2001:db8:1::/48 doc1;
        ::ffff:10.9.0.0/112 mapped6;
        include        {{ROOT}}/geo.inc;
        0.0.0.0/1      low-half;
    }
    geo $arg_ip $nodefault {
        10.0.0.0/8 ten;
    }
    geo $arg_ip $rng {
        ranges;
        default                    outside;
        10.0.0.0-10.0.0.255        whole;
        10.0.0.10-10.0.0.20        inner;
        10.0.0.0-10.0.0.4          head;
        10.0.0.250-10.0.0.255      tail;
        10.0.1.0-10.3.255.255      wide;
        10.2.0.5-10.2.0.5          point;
        10.3.0.0-10.3.0.9          delme;
        delete 10.3.0.0-10.3.0.9;
        1.2.3.4-1.2.3.4            one;
        1.2.3.4-1.2.3.4            one-again;
    }
    geo $client {
        default other;
        127.0.0.0/8 loopback;
    }
    geo $proxied {
        default other;
        proxy 127.0.0.1;
        127.0.0.1 loopback;
        10.0.0.0/8 ten;
        192.0.2.0/24 doc;
    }
    geo $recursive {
        default other;
        proxy 127.0.0.1;
        proxy 10.0.0.0/8;
        proxy_recursive;
        127.0.0.1 loopback;
        10.0.0.0/8 ten;
        192.0.2.0/24 doc;
    }
    split_clients "${arg_k}salt" $bucket {
        0.5%  tiny;
        10%   ten;
        33.3% third;
        *     rest;
    }
    split_clients "$arg_k" $partial {
        25% quarter;
        25.00% second;
    }
    server {
        listen 127.0.0.1:{{PORT}};
        location /net { return 200 "[$net][$nodefault]"; }
        location /rng { return 200 "[$rng]"; }
        location /client { return 200 "[$client][$proxied][$recursive]"; }
        location /split { return 200 "[$bucket][$partial]"; }
    }
}
`

func TestGeoSplitClients(t *testing.T) {
	p := nginxtest.Start(t, geoConf, nginxtest.Options{Files: map[string]string{
		"geo.inc": "172.16.0.0/12 included;\n",
	}})
	for _, ip := range []string{
		"10.0.0.1", "10.1.0.1", "10.1.2.3", "10.1.2.4", "10.2.3.4", "192.168.1.1", "8.8.8.8",
		"200.1.1.1", "::1", "::2", "2001:db8::1", "2001:db8:1::5", "::ffff:10.1.2.3",
		"::ffff:10.9.0.1", "172.20.1.1", "010.001.002.003", "not-an-ip", "", "1.2.3",
		"10.0.0.0", "255.255.255.255", "[::1]", "10.0.0.1:80",
	} {
		p.Compare(t, nginxtest.Get("/net?ip="+ip))
	}
	for _, ip := range []string{
		"10.0.0.0", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.9", "10.0.0.10", "10.0.0.15",
		"10.0.0.20", "10.0.0.21", "10.0.0.249", "10.0.0.250", "10.0.0.255", "10.0.1.0",
		"10.1.200.1", "10.2.0.4", "10.2.0.5", "10.2.0.6", "10.3.0.5", "10.3.0.10", "10.3.255.255",
		"10.4.0.0", "1.2.3.4", "1.2.3.5", "::1", "::ffff:10.0.0.12", "junk",
	} {
		p.Compare(t, nginxtest.Get("/rng?ip="+ip))
	}
	for _, xff := range []string{
		"", "192.0.2.7", "10.1.1.1", "192.0.2.7, 10.1.1.1", "192.0.2.7,10.1.1.1 ",
		"203.0.113.9, 192.0.2.7, 10.1.1.1", "garbage", "10.1.1.1, garbage", "192.0.2.7:8080",
		"[2001:db8::1]:80", "10.2.2.2, 10.1.1.1",
	} {
		var h []string
		if xff != "" {
			h = []string{"X-Forwarded-For: " + xff}
		}
		p.Compare(t, nginxtest.Get("/client", h...))
	}
	// Two X-Forwarded-For lines: the last is read first.
	p.Compare(t, nginxtest.Get("/client", "X-Forwarded-For: 192.0.2.1", "X-Forwarded-For: 10.5.5.5"))
	seen := map[string]bool{}
	for i := 0; i < 300; i++ {
		ng, _ := p.Compare(t, nginxtest.Get("/split?k="+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('0'+i%10))+strings.Repeat("z", i/26)))
		seen[string(ng.Body)] = true
	}
	if len(seen) < 6 {
		t.Errorf("split_clients spread over only %v", seen)
	}
	// A few values spelled out, so that a broken reference shows.
	for path, want := range map[string]string{
		"/net?ip=10.1.2.3": "[host][ten]", "/net?ip=::ffff:10.9.0.1": "[ten][ten]",
		"/rng?ip=10.0.0.15": "[inner]", "/rng?ip=10.2.0.5": "[point]", "/rng?ip=10.3.0.5": "[outside]", "/rng?ip=10.3.0.10": "[wide]",
		"/rng?ip=1.2.3.4": "[one-again]",
	} {
		if _, gp := p.Both(t, nginxtest.Get(path)); string(gp.Body) != want {
			t.Errorf("%s: %q, want %q", path, gp.Body, want)
		}
	}
}
