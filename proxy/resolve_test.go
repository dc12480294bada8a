package proxy_test

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testdns"
	"goproxy/internal/testupstream"
)

// newDNS is a test DNS server answering A queries from a table the
// test changes.
func newDNS(t *testing.T) (*testdns.Server, *testdns.Hosts) {
	h := &testdns.Hosts{}
	return testdns.Start(t, h.Answer), h
}

// backend answers every request with its name, on ip:port.
func backend(t *testing.T, ip string, port int, name string) net.Listener {
	l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", ip, port))
	if err != nil {
		t.Skipf("cannot listen on %s (loopback aliases): %v", ip, err)
	}
	testupstream.Serve(l, func(c net.Conn) {
		buf := make([]byte, 4096)
		c.Read(buf)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: "+fmt.Sprint(len(name))+"\r\n\r\n"+name)
	})
	return l
}

// waitBody polls until the proxy answers with want (the resolver's
// answers are cached for "valid", so this takes up to a few seconds).
func waitBody(t *testing.T, addr, want string) {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	var last *nginxtest.Response
	for time.Now().Before(deadline) {
		last = nginxtest.Do(t, addr, nginxtest.Get("/"))
		if last.Status == 200 && string(last.Body) == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("never got %q; last: %d %q", want, last.Status, last.Body)
}

// TestBackendStartsLaterAndMoves is the Compose start-up race and a
// container restarted with a new address: goproxy starts although the
// upstream's name does not resolve (nginx would refuse to start),
// answers 502 until it does, then follows the name to a new address
// without a reload.
func TestBackendStartsLaterAndMoves(t *testing.T) {
	dns, hosts := newDNS(t)
	port := nginxtest.FreePort(t)
	conf := fmt.Sprintf(`events {}
http {
    access_log off;
    resolver %s valid=1s;
    server {
        listen 127.0.0.1:{{PORT}};
        location / { proxy_pass http://app.test:%d; }
    }
}
`, dns.Addr(), port)
	p := nginxtest.Start(t, conf, nginxtest.Options{GoOnly: true})
	addr := p.Go.Addr()
	if r := nginxtest.Do(t, addr, nginxtest.Get("/")); r.Status != 502 {
		t.Fatalf("before the backend exists: %d %q", r.Status, r.Body)
	}
	a := backend(t, "127.0.0.2", port, "first")
	hosts.Set("app.test", "127.0.0.2")
	waitBody(t, addr, "first")
	b := backend(t, "127.0.0.3", port, "second")
	defer b.Close()
	hosts.Set("app.test", "127.0.0.3")
	a.Close()
	waitBody(t, addr, "second")
	if !strings.Contains(p.Go.ErrorLog(), "app.test") {
		t.Errorf("the unresolved name was not logged:\n%s", p.Go.ErrorLog())
	}
}

// TestResolveErrorLogged: a name from variables that does not resolve
// is a 502, and the error log names the host (without the port) and
// the resolver's code and wording, as nginx's does.
func TestResolveErrorLogged(t *testing.T) {
	dns, _ := newDNS(t)
	conf := fmt.Sprintf(`events {}
http {
    access_log off;
    resolver %s;
    server {
        listen 127.0.0.1:{{PORT}};
        location / { proxy_pass http://$http_x_name:9; }
    }
}
`, dns.Addr())
	p := nginxtest.Start(t, conf, nginxtest.Options{})
	ng, gp := p.Both(t, nginxtest.Get("/", "X-Name: nothere.test"))
	if ng.Status != 502 || gp.Status != 502 {
		t.Fatalf("status: nginx %d, goproxy %d", ng.Status, gp.Status)
	}
	const want = "nothere.test could not be resolved (3: Host not found)"
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		if s != nil && !strings.Contains(s.ErrorLog(), want) {
			t.Errorf("%s did not log %q:\n%s", s.Name, want, s.ErrorLog())
		}
	}
}
