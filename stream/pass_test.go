package stream_test

import (
	"crypto/tls"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
)

// TestPass is ngx_stream_pass_module (nginx 1.25.5, newer than the
// reference nginx, so goproxy alone): a stream server terminating TLS
// passes the connection to an http server, which sees the pass address
// as its own ($server_port); a plain one passes to another stream
// server; an address no socket has ends the session with nginx's
// error, and so does a connection whose bytes ssl_preread read.
func TestPass(t *testing.T) {
	ca := testcerts.NewCA(t, "pass test CA")
	cert := ca.Server(t, testcerts.Opts{}, "pass.test")
	conf := `events {}
http {
    server {
        listen 127.0.0.1:{{PORT0}};
        location / { return 200 "http on $server_port via $scheme\n"; }
    }
}
stream {
    log_format s "$server_port $status";
    access_log {{DIR}}/stream.log s;
    server {
        listen 127.0.0.1:{{PORT1}} ssl;
        ssl_certificate {{ROOT}}/pass.crt;
        ssl_certificate_key {{ROOT}}/pass.key;
        pass 127.0.0.1:{{PORT0}};
    }
    server {
        listen 127.0.0.1:{{PORT2}};
        pass 127.0.0.1:{{PORT3}};
    }
    server {
        listen 127.0.0.1:{{PORT3}};
        return "stream on $server_port\n";
    }
    server {
        listen 127.0.0.1:{{PORT4}};
        pass 127.0.0.1:1;
    }
    server {
        listen 127.0.0.1:{{PORT5}};
        ssl_preread on;
        pass 127.0.0.1:{{PORT3}};
    }
}
`
	p := nginxtest.Start(t, conf, nginxtest.Options{GoOnly: true, Ports: 6,
		Files: map[string]string{"pass.crt": string(cert.CertPEM), "pass.key": string(cert.KeyPEM)}})
	s := p.Go
	addr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(s.Ports[i]) }

	c, err := tls.Dial("tcp", addr(1), &tls.Config{ServerName: "pass.test", RootCAs: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(3 * time.Second))
	io.WriteString(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
	b, _ := io.ReadAll(c)
	c.Close()
	if want := "http on " + strconv.Itoa(s.Ports[0]) + " via http\n"; !strings.HasSuffix(string(b), "\r\n\r\n"+want) {
		t.Errorf("TLS terminated, passed to http: %q, want the body %q", b, want)
	}
	if got, want := tcpExchange(t, addr(2), ""), "stream on "+strconv.Itoa(s.Ports[3])+"\n"; got != want {
		t.Errorf("passed to a stream server: %q, want %q", got, want)
	}
	if got := tcpExchange(t, addr(4), ""); got != "" {
		t.Errorf("pass to no socket answered %q", got)
	}
	tcpExchange(t, addr(5), "not a ClientHello")
	log := waitLog(filepath.Join(s.Dir, "stream.log"), 3)
	for _, want := range []string{strconv.Itoa(s.Ports[3]) + " 200\n", strconv.Itoa(s.Ports[4]) + " 200\n",
		strconv.Itoa(s.Ports[5]) + " 500\n"} {
		if !strings.Contains(log, want) {
			t.Errorf("stream log %q lacks %q", log, want)
		}
	}
	for _, p := range []int{s.Ports[1], s.Ports[2]} {
		if strings.Contains(log, strconv.Itoa(p)+" ") {
			t.Errorf("a passed session was logged by the server it left (%d): %q", p, log)
		}
	}
	errs, _ := os.ReadFile(filepath.Join(s.Dir, "error.log"))
	for _, want := range []string{`port not found for "127.0.0.1:1" while passing connection to port`,
		"cannot pass connection with preread data while passing connection to port"} {
		if !strings.Contains(string(errs), want) {
			t.Errorf("error log lacks %q:\n%s", want, errs)
		}
	}
}
