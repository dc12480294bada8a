package stream_test

import (
	"compress/gzip"
	"io"
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

const logConf = loadStream + `events {}
stream {
    log_format s "$protocol $status $bytes_received";
    open_log_file_cache max=10 valid=1m;
    server {
        listen 127.0.0.1:{{PORT0}};
        return ok;
    }
    server {
        listen 127.0.0.1:{{PORT2}};
        return ok;
        access_log syslog:server=127.0.0.1:{{PORT1}},facility=daemon,tag=st s;
        access_log {{DIR}}/gz.log s gzip buffer=4k flush=50ms;
        access_log {{DIR}}/var_$status.log s;
    }
}
`

var syslogStamp = regexp.MustCompile(`^(<\d+>)[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d `)

// TestAccessLogTargetsLikeNginx: a stream session logged to syslog, to
// a gzip-buffered file flushed by flush=, and to a path with variables
// kept open by open_log_file_cache (a line after the file is removed
// goes to the removed file, not a new one) — as nginx does each.
func TestAccessLogTargetsLikeNginx(t *testing.T) {
	needStreamModule(t)
	// The servers are found up on PORT0; PORT2 logs only the test's
	// sessions (nginx loses the first datagram after one was refused).
	p := nginxtest.Start(t, logConf, nginxtest.Options{Ports: 3})
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		udp, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(s.Ports[1]))
		if err != nil {
			t.Fatal(err)
		}
		defer udp.Close()
		os.Chmod(s.Dir, 0o777) // nginx's workers open var_200.log as nobody
		addr := "127.0.0.1:" + strconv.Itoa(s.Ports[2])
		if got := tcpExchange(t, addr, ""); got != "ok" {
			t.Fatalf("%s: return = %q", s.Name, got)
		}
		udp.SetReadDeadline(time.Now().Add(3 * time.Second))
		buf := make([]byte, 4096)
		n, _, err := udp.ReadFrom(buf)
		if err != nil {
			t.Fatalf("%s: no syslog datagram: %v", s.Name, err)
		}
		if got := syslogStamp.ReplaceAllString(string(buf[:n]), "${1}TIME "); got != "<30>TIME "+hostname(t)+" st: TCP 200 0" {
			t.Errorf("%s: syslog %q", s.Name, got)
		}
		gz := filepath.Join(s.Dir, "gz.log")
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if st, err := os.Stat(gz); err == nil && st.Size() > 0 || time.Now().After(deadline) {
				break
			}
		}
		if got := gunzip(t, gz); got != "TCP 200 0\n" {
			t.Errorf("%s: gz.log reads back %q", s.Name, got)
		}
		varLog := filepath.Join(s.Dir, "var_200.log")
		if got := waitLog(varLog, 1); got != "TCP 200 0\n" {
			t.Errorf("%s: var_200.log %q", s.Name, got)
		}
		os.Remove(varLog)
		tcpExchange(t, addr, "")
		time.Sleep(200 * time.Millisecond)
		if _, err := os.Stat(varLog); err == nil {
			t.Errorf("%s: the cached descriptor was not used: var_200.log was made again", s.Name)
		}
	}
}

// hostname is nginx's: gethostname() in lower case.
func hostname(t *testing.T) string {
	out, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToLower(out)
}

func gunzip(t *testing.T, path string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b)
}
