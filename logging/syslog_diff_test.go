package logging_test

import (
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

const syslogConf = `events {}
http {
    log_format short '$request_method $uri $status';
    access_log off;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        location /a { access_log syslog:server=127.0.0.1:{{PORT1}}; }
        location /as {
            access_log syslog:server=127.0.0.1:{{PORT1}},facility=user,severity=alert,tag=web short;
        }
        location /nh { access_log syslog:server=127.0.0.1:{{PORT1}},nohostname short; }
        location /u { access_log syslog:server=unix:{{DIR}}/log.sock,tag=unix short; }
        location /e { error_log syslog:server=127.0.0.1:{{PORT1}},facility=local3,tag=err; }
        location /w {
            error_log syslog:server=127.0.0.1:{{PORT1}},severity=emerg warn;
            error_log syslog:server=127.0.0.1:{{PORT1}},nohostname crit;
        }
    }
}
`

var (
	syslogTime = regexp.MustCompile(`^(<\d+>)[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d `)
	errorStamp = regexp.MustCompile(`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (\*\d+ )?`)
)

// TestSyslogLines compares the datagrams nginx and goproxy send for the
// same requests, to UDP and unix datagram receivers: priority, header
// and message (times, pids and connection numbers normalised).
func TestSyslogLines(t *testing.T) {
	p := nginxtest.Start(t, syslogConf, nginxtest.Options{Ports: 2, Files: map[string]string{"a": "x", "as": "x", "nh": "x", "u": "x"}})
	type receiver struct{ udp, unix net.PacketConn }
	listen := func(s *nginxtest.Server) receiver {
		udp, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(s.Ports[1]))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { udp.Close() })
		sock := filepath.Join(s.Dir, "log.sock")
		unix, err := net.ListenPacket("unixgram", sock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close() })
		os.Chmod(sock, 0o666) // nginx's workers send as nobody
		return receiver{udp, unix}
	}
	ng, gp := listen(p.Nginx), listen(p.Go)
	for _, r := range []struct{ uri, via string }{
		{"/a", "udp"}, {"/as", "udp"}, {"/nh", "udp"}, {"/u", "unix"}, {"/e", "udp"}, {"/w", "udp"},
	} {
		p.Both(t, nginxtest.Get(r.uri, "User-Agent: test"))
		pick := func(rc receiver) net.PacketConn {
			if r.via == "unix" {
				return rc.unix
			}
			return rc.udp
		}
		a, b := receive(t, pick(ng), p.Nginx), receive(t, pick(gp), p.Go)
		if len(a) == 0 {
			t.Errorf("%s: nginx sent nothing", r.uri)
		}
		if strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("%s:\nnginx:\n%s\ngoproxy:\n%s", r.uri, strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
	}
}

// receive reads datagrams until none comes for a while, normalised.
func receive(t *testing.T, c net.PacketConn, s *nginxtest.Server) []string {
	t.Helper()
	var out []string
	buf := make([]byte, 8192)
	wait := 3 * time.Second
	for {
		c.SetReadDeadline(time.Now().Add(wait))
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			return out
		}
		wait = 300 * time.Millisecond
		m := string(buf[:n])
		m = syslogTime.ReplaceAllString(m, "${1}TIME ")
		m = errorStamp.ReplaceAllString(m, "DATE [$1] PID: ")
		m = stamp.ReplaceAllString(m, "[TIME]")
		m = strings.ReplaceAll(m, ":"+strconv.Itoa(s.Ports[0]), ":PORT")
		out = append(out, m)
	}
}

const syslogFailConf = `events {}
http {
    server {
        listen 127.0.0.1:{{PORT}};
        location / { return 200 ok; access_log syslog:server=unix:{{DIR}}/none.sock; }
        location /u { return 200 ok; access_log syslog:server=127.0.0.1:{{PORT1}}; }
    }
}
`

// TestSyslogSendFailureLogged: a line that cannot be sent (no socket, a
// refused datagram) is reported in the error log with nginx's words.
func TestSyslogSendFailureLogged(t *testing.T) {
	p := nginxtest.Start(t, syslogFailConf, nginxtest.Options{Ports: 2})
	for _, uri := range []string{"/", "/u", "/u", "/u"} {
		p.Both(t, nginxtest.Get(uri))
	}
	time.Sleep(100 * time.Millisecond)
	failures := func(s *nginxtest.Server) string {
		var out []string
		for _, l := range strings.Split(s.ErrorLog(), "\n") {
			if m := errLine.FindStringSubmatch(l); m != nil && strings.Contains(m[3], "failed") {
				out = append(out, m[1]+" "+strings.ReplaceAll(m[3], s.Dir, "DIR"))
			}
		}
		return strings.Join(out, "\n")
	}
	if ng, gp := failures(p.Nginx), failures(p.Go); ng != gp || ng == "" {
		t.Errorf("send failures logged:\nnginx:\n%s\ngoproxy:\n%s", ng, gp)
	}
}
