package stream_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"goproxy/confparse"
	"goproxy/internal/nginxtest"
	"goproxy/internal/testupstream"
)

// nginx's Debian build has the stream module as a dynamic module;
// goproxy accepts the same line as its built-in module.
const loadStream = "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n"

func needStreamModule(t *testing.T) {
	nginxtest.RequireNginx(t)
	if _, err := os.Stat("/usr/lib/nginx/modules/ngx_stream_module.so"); err != nil {
		t.Skip("the reference nginx has no stream module")
	}
}

// echoTCP answers every read with what was read, upper-cased.
func echoTCP(t *testing.T) int {
	addr := testupstream.Listen(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				c.Write(bytes.ToUpper(buf[:n]))
			}
			if err != nil {
				return
			}
		}
	})
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return n
}

// echoUDP answers every datagram with it, upper-cased.
func echoUDP(t *testing.T) int {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65535)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(bytes.ToUpper(buf[:n]), addr)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

const diffConf = loadStream + `events {}
stream {
    log_format s "$protocol $status $bytes_received $bytes_sent $upstream_bytes_sent $upstream_bytes_received";
    server {
        listen 127.0.0.1:{{PORT0}};
        proxy_pass 127.0.0.1:%d;
        access_log {{DIR}}/tcp.log s;
    }
    server {
        listen 127.0.0.1:{{PORT1}} udp;
        proxy_pass 127.0.0.1:%d;
        proxy_responses 1;
        access_log {{DIR}}/udp.log s;
    }
    server {
        listen 127.0.0.1:{{PORT2}};
        return "$protocol $server_port-is-not-compared";
    }
    server {
        listen 127.0.0.1:{{PORT3}};
        proxy_pass 127.0.0.1:1;
        access_log {{DIR}}/fail.log s;
    }
}
`

func tcpExchange(t *testing.T, addr, send string) string {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if send != "" {
		c.Write([]byte(send))
		time.Sleep(100 * time.Millisecond)
		c.(*net.TCPConn).CloseWrite()
	}
	b, _ := io.ReadAll(c)
	return string(b)
}

func udpExchange(t *testing.T, addr, send string) string {
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	c.Write([]byte(send))
	buf := make([]byte, 65535)
	n, _ := c.Read(buf)
	return string(buf[:n])
}

// waitLog waits for a log file to have n lines.
func waitLog(path string, n int) string {
	for i := 0; i < 100; i++ {
		b, _ := os.ReadFile(path)
		if strings.Count(string(b), "\n") >= n {
			return string(b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, _ := os.ReadFile(path)
	return string(b)
}

// TestProxyLikeNginx sends the same TCP stream and UDP datagram through
// nginx and goproxy to the same echo servers and compares what comes
// back and what the access log says of it ($status, byte counts,
// $protocol), and a refused upstream (502).
func TestProxyLikeNginx(t *testing.T) {
	needStreamModule(t)
	conf := fmt.Sprintf(diffConf, echoTCP(t), echoUDP(t))
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 4})
	payload := strings.Repeat("stream data ", 2000)
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		addr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(s.Ports[i]) }
		got := tcpExchange(t, addr(0), payload)
		if got != strings.ToUpper(payload) {
			t.Errorf("%s: TCP echo came back with %d bytes, want %d", s.Name, len(got), len(payload))
		}
		if got := udpExchange(t, addr(1), "datagram"); got != "DATAGRAM" {
			t.Errorf("%s: UDP echo = %q", s.Name, got)
		}
		if got := tcpExchange(t, addr(2), ""); !strings.HasPrefix(got, "TCP ") {
			t.Errorf("%s: return = %q", s.Name, got)
		}
		tcpExchange(t, addr(3), "x")
	}
	for _, f := range []string{"tcp.log", "udp.log", "fail.log"} {
		want := waitLog(filepath.Join(p.Nginx.Dir, f), 1)
		got := waitLog(filepath.Join(p.Go.Dir, f), 1)
		if got != want || want == "" {
			t.Errorf("%s:\n goproxy %q\n   nginx %q", f, got, want)
		}
	}
}

var emergRe = regexp.MustCompile(`\[emerg\] \d+#\d+: (.*?)(?: in /\S+:\d+)?\n`)

// TestConfigErrorsLikeNginx checks goproxy refuses bad stream
// configurations with nginx's words.
func TestConfigErrorsLikeNginx(t *testing.T) {
	needStreamModule(t)
	cases := []string{
		`stream { server { listen 127.0.0.1:1; } }`,
		`stream { server { proxy_pass 127.0.0.1:1; } }`,
		`stream { server { listen 127.0.0.1:1 bogus; proxy_pass 127.0.0.1:1; } }`,
		`stream { server { listen 127.0.0.1:1; proxy_pass 127.0.0.1:1; proxy_pass 127.0.0.1:2; } }`,
		`stream { server { listen 127.0.0.1:1; return $nosuch; } }`,
		`stream { upstream u { } server { listen 127.0.0.1:1; proxy_pass u; } }`,
		`stream { upstream u { server 127.0.0.1; } server { listen 127.0.0.1:1; proxy_pass u; } }`,
		`stream { server { listen 127.0.0.1:1; proxy_timeout abc; proxy_pass 127.0.0.1:1; } }`,
		`stream { server { listen 127.0.0.1:1; access_log off x; return x; } }`,
		`stream { server { listen 127.0.0.1:1; location / { } } }`,
		`stream { server { listen 127.0.0.1:1 ssl; return x; } }`,
		`stream { server { listen 127.0.0.1:1; limit_conn z 1; return x; } }`,
		`stream { server { listen 127.0.0.1:1; access_log /dev/null; return x; } }`,
		`stream { log_format f x; server { listen 127.0.0.1:1; access_log syslog:server=127.0.0.1 f gzip; return x; } }`,
		`stream { log_format f x; server { listen 127.0.0.1:1; access_log syslog:server=127.0.0.1,tag=a.b f; return x; } }`,
		`stream { log_format f x; access_log /dev/null f buffer=1k; server { listen 127.0.0.1:1; access_log /dev/null f buffer=2k; return x; } }`,
		`stream { server { listen 127.0.0.1:1; open_log_file_cache inactive=1s; return x; } }`,
		`stream { server { listen 127.0.0.1:1; error_log syslog:server=127.0.0.1,facility=x; return x; } }`,
	}
	dir := t.TempDir()
	for i, c := range cases {
		path := filepath.Join(dir, "c"+strconv.Itoa(i)+".conf")
		os.WriteFile(path, []byte(loadStream+"events {}\n"+c+"\n"), 0o644)
		out, _ := exec.Command(nginxtest.NginxPath, "-t", "-q", "-p", dir+"/", "-c", path, "-e", "stderr").CombinedOutput()
		m := emergRe.FindSubmatch(out)
		if m == nil {
			t.Errorf("%s: nginx accepted it: %s", c, out)
			continue
		}
		_, err := confparse.Load(confparse.Options{Path: path, Prefix: dir + "/"})
		if err == nil {
			t.Errorf("%s: goproxy accepted it; nginx: %s", c, m[1])
			continue
		}
		msg := err.Error()
		if i := strings.Index(msg, " in /"); i >= 0 {
			msg = msg[:i]
		}
		if msg != string(m[1]) {
			t.Errorf("%s:\n goproxy %s\n   nginx %s", c, msg, m[1])
		}
	}
}
