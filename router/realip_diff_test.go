package router_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// The client's own port differs between the two servers' connections:
// it is shown only as present or not.
const realIPConf = `events {}
http {
    access_log off;
    default_type text/plain;
    root {{ROOT}};
    map $remote_port $rport { "" none; default some; }
    map $realip_remote_port $rrport { "" none; default some; }
    geo $geo { default other; 192.0.2.0/24 doc; 127.0.0.1 lo; }
    limit_req_zone $binary_remote_addr zone=byip:1m rate=1r/m;
    log_format realip "$remote_addr $realip_remote_addr $status $request_uri";
    server {
        listen 127.0.0.1:{{PORT}};
        access_log {{DIR}}/realip.log realip;
        set_real_ip_from 127.0.0.1;
        set_real_ip_from 10.0.0.0/8;
        real_ip_header X-Forwarded-For;
        location / { return 200 "$remote_addr|$rport|$realip_remote_addr|$rrport|$binary_remote_addr|$geo|$proxy_add_x_forwarded_for\n"; }
        location /acl/ { allow 192.0.2.0/24; deny all; }
        location /idx/ { add_header X-Addr "$remote_addr|$realip_remote_addr" always; }
        location /lim/ { limit_req zone=byip; limit_req_status 429; }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        set_real_ip_from 127.0.0.0/8;
        real_ip_recursive on;
        location / { return 200 "$remote_addr|$realip_remote_addr|$proxy_protocol_addr\n"; }
        location /loc/ {
            set_real_ip_from 10.0.0.0/8;
            set_real_ip_from 127.0.0.1;
            real_ip_header X-Client;
            real_ip_recursive off;
            add_header X-Addr "$remote_addr|$realip_remote_addr" always;
        }
        location /xff/ {
            set_real_ip_from 127.0.0.1;
            set_real_ip_from 10.0.0.0/8;
            real_ip_header X-Forwarded-For;
            add_header X-Addr "$remote_addr|$realip_remote_addr" always;
        }
        location /untrusted/ {
            set_real_ip_from 10.0.0.0/8;
            real_ip_header X-Forwarded-For;
            add_header X-Addr "$remote_addr|$realip_remote_addr" always;
        }
    }
    server {
        listen 127.0.0.1:{{PORT2}} proxy_protocol;
        set_real_ip_from 127.0.0.1;
        real_ip_header proxy_protocol;
        location / { return 200 "$remote_addr|$rport|$realip_remote_addr|$proxy_protocol_addr|$proxy_protocol_port|$proxy_protocol_server_addr|$proxy_protocol_server_port\n"; }
        location /static/ { add_header X-PP "$proxy_protocol_addr" always; }
    }
    server {
        listen 127.0.0.1:{{PORT3}} proxy_protocol;
        location / { return 200 "$remote_addr|$realip_remote_addr|$proxy_protocol_addr|$proxy_protocol_port\n"; }
    }
}
`

func xff(v ...string) []string {
	var h []string
	for _, x := range v {
		h = append(h, "X-Forwarded-For: "+x)
	}
	return h
}

func proxyV2(src, dst net.IP, sport, dport uint16, cmd byte) string {
	b := []byte("\r\n\r\n\x00\r\nQUIT\n")
	fam := byte(0x11)
	addrs := append(append([]byte{}, src.To4()...), dst.To4()...)
	if src.To4() == nil {
		fam, addrs = 0x21, append(append([]byte{}, src.To16()...), dst.To16()...)
	}
	addrs = binary.BigEndian.AppendUint16(addrs, sport)
	addrs = binary.BigEndian.AppendUint16(addrs, dport)
	addrs = append(addrs, 0x03, 0x00, 0x01, 'x') // a TLV, ignored
	b = append(b, 0x20|cmd, fam)
	b = binary.BigEndian.AppendUint16(b, uint16(len(addrs)))
	return string(append(b, addrs...))
}

// TestRealIPLikeNginx: X-Forwarded-For (recursive or not, several
// lines, ports, garbage), X-Real-IP, a custom header, location-level
// settings (preaccess), untrusted clients, allow/deny, geo and limit_req
// keys after the change, the index redirect that forgets the original
// address, and the PROXY protocol (v1, v2, UNKNOWN, LOCAL, missing or
// broken header: connection closed).
func TestRealIPLikeNginx(t *testing.T) {
	files := map[string]string{"acl/index.html": "acl\n", "idx/index.html": "idx\n", "lim/x": "lim\n",
		"loc/x": "loc\n", "xff/x": "xff\n", "untrusted/x": "untrusted\n", "static/x": "static\n"}
	p := nginxtest.Start(t, realIPConf, nginxtest.Options{Ports: 4, Files: files})
	at0 := func(raw string) { at(t, p, "127.0.0.1", 0, raw) }
	for _, h := range [][]string{
		nil, xff("192.0.2.1"), xff("192.0.2.1, 10.0.0.1"), xff("10.0.0.1"), xff("garbage"),
		xff("192.0.2.1:4321"), xff("[2001:db8::1]:80"), xff("2001:db8::2"), xff("192.0.2.1, , "),
		xff("192.0.2.9", "192.0.2.1"), xff("010.000.000.001"),
		{"X-Real-IP: 192.0.2.77"},
	} {
		at0(nginxtest.Get("/", h...))
		at0(nginxtest.Get("/acl/", h...))
		at0(nginxtest.Get("/idx/", h...))
	}
	// limit_req counts per client address: the second request of each
	// address is refused.
	for _, a := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.2", "198.51.100.1"} {
		at0(nginxtest.Get("/lim/x", xff(a)...))
	}
	// The access log shows the new address.
	logOf := func(s *nginxtest.Server) string {
		b, _ := os.ReadFile(filepath.Join(s.Dir, "realip.log"))
		return string(b)
	}
	const logged = 12*3 + 5
	for i := 0; i < 100 && (strings.Count(logOf(p.Go), "\n") < logged || strings.Count(logOf(p.Nginx), "\n") < logged); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if ng, gp := logOf(p.Nginx), logOf(p.Go); ng != gp || !strings.Contains(gp, "198.51.100.1 127.0.0.1 200 /lim/x") {
		t.Errorf("access logs differ:\nnginx:\n%s\ngoproxy:\n%s", ng, gp)
	}
	at1 := func(raw string) { at(t, p, "127.0.0.1", 1, raw) }
	for _, h := range [][]string{
		nil, {"X-Real-IP: 192.0.2.1"}, {"X-Real-IP: 192.0.2.1, 127.0.0.5"}, {"X-Real-IP: junk"},
		{"X-Real-IP: 192.0.2.1", "X-Real-IP: 192.0.2.2"},
		{"X-Client: 10.1.1.1, 192.0.2.3"}, {"X-Client: 10.1.1.1"}, {"x-client: 192.0.2.4"},
		xff("192.0.2.1, 10.1.1.1, 10.2.2.2"), xff("203.0.113.1, 192.0.2.1, 10.1.1.1"),
		xff("192.0.2.8", "10.3.3.3"), xff("192.0.2.8, 10.4.4.4", "10.3.3.3"),
	} {
		at1(nginxtest.Get("/", h...))
		at1(nginxtest.Get("/loc/x", h...))
		at1(nginxtest.Get("/xff/x", h...))
		at1(nginxtest.Get("/untrusted/x", h...))
	}
	at2 := func(raw string) { at(t, p, "127.0.0.1", 2, raw) }
	at3 := func(raw string) { at(t, p, "127.0.0.1", 3, raw) }
	get := nginxtest.Get("/")
	for _, pp := range []string{
		"PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\r\n",
		"PROXY TCP6 2001:db8::1 2001:db8::2 1234 443\r\n",
		"PROXY TCP4 zz 192.0.2.2 1234 80\r\n",
		"PROXY TCP4 1.2.3 192.0.2.2 1234 80\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 70000 80\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\n",
		"PROXY UNKNOWN\r\n",
		"PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY TCP5 192.0.2.1 192.0.2.2 1234 80\r\n",
		"PROXY  TCP4 192.0.2.1 192.0.2.2 1234 80\r\n",
		"",
		proxyV2(net.ParseIP("192.0.2.5"), net.ParseIP("192.0.2.6"), 5555, 8080, 1),
		proxyV2(net.ParseIP("2001:db8::5"), net.ParseIP("2001:db8::6"), 5555, 8080, 1),
		proxyV2(net.ParseIP("192.0.2.5"), net.ParseIP("192.0.2.6"), 5555, 8080, 0),
	} {
		at2(pp + get)
		at2(pp + nginxtest.Get("/static/x"))
		at3(pp + get)
	}
	// Each refused header is logged as nginx logs it.
	broken := func(s *nginxtest.Server) int {
		return strings.Count(s.ErrorLog(), " broken header: \"")
	}
	for i := 0; i < 100 && (broken(p.Nginx) == 0 || broken(p.Nginx) != broken(p.Go)); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n, g := broken(p.Nginx), broken(p.Go); n != g || n == 0 {
		t.Errorf("broken header lines: nginx %d, goproxy %d", n, g)
	}
	if !regexp.MustCompile(`(?s)\[error\] \d+#\d+: \*\d+ broken header: "PROXY TCP4 zz .*?" while reading PROXY protocol, client: 127\.0\.0\.1, server: 127\.0\.0\.1:\d+\n`).MatchString(p.Go.ErrorLog()) {
		t.Errorf("no nginx-style broken header line in:\n%s", p.Go.ErrorLog())
	}
}

// TestProxyProtocolSplitAndTimeout: a header that arrives in pieces is
// still read (goproxy waits for the whole line where nginx reads only
// what the first packet brought), and a silent client is dropped.
func TestProxyProtocolPieces(t *testing.T) {
	p := nginxtest.Start(t, realIPConf, nginxtest.Options{Ports: 4, GoOnly: true})
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(p.Go.Ports[2]))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "PROXY TCP4 192.0.2.1 ")
	fmt.Fprint(c, "192.0.2.2 1234 80\r\n"+nginxtest.Get("/"))
	buf := make([]byte, 4096)
	n, _ := c.Read(buf)
	if want := "192.0.2.1|some|127.0.0.1|192.0.2.1|1234|192.0.2.2|80\n"; len(buf[:n]) < len(want) || string(buf[n-len(want):n]) != want {
		t.Errorf("got %q", buf[:n])
	}
}
