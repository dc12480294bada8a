package logging

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"

	"goproxy/confparse"
)

// TestSyslogHeader: "<PRI>Mon dd hh:mm:ss host tag: ", the day padded
// with a space, the host left out with nohostname.
func TestSyslogHeader(t *testing.T) {
	at := time.Date(2026, 3, 5, 7, 8, 9, 0, time.Local)
	for _, c := range []struct {
		conf confparse.Syslog
		sev  int
		want string
	}{
		{confparse.Syslog{Facility: 23, Tag: "nginx"}, 6, "<190>Mar  5 07:08:09 " + hostname + " nginx: "},
		{confparse.Syslog{Facility: 1, Tag: "T1", NoHostname: true}, 3, "<11>Mar  5 07:08:09 T1: "},
	} {
		b := pool.Get()
		appendSyslogHeader(b, &c.conf, c.sev, at)
		if b.String() != c.want {
			t.Errorf("header %q, want %q", b.String(), c.want)
		}
		b.Free()
	}
}

// TestSyslogErrorLogLevels: an error log sends each line at its level's
// severity (severity= is for access logs), without the newline, over a
// unix datagram socket, and finds a receiver again after losing it.
func TestSyslogErrorLogLevels(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log.sock")
	recv := func() *net.UnixConn {
		os.Remove(sock)
		c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	conn := recv()
	sl := &confparse.Syslog{Network: "unixgram", Addr: sock, Facility: 16, Severity: 1, Tag: "gp"}
	el, err := NewErrorLog([]*confparse.ErrorLog{{Path: "syslog:server=unix:" + sock, Level: confparse.LevelInfo, Syslog: sl}}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	read := func(c *net.UnixConn) string {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
	el.Log(confparse.LevelWarn, "careful")
	el.Log(confparse.LevelDebug, "not sent")
	el.Log(confparse.LevelCrit, "bad")
	for _, want := range []string{"<132>", "<130>"} {
		got := read(conn)
		if !strings.HasPrefix(got, want) || strings.HasSuffix(got, "\n") || !strings.Contains(got, " gp: ") {
			t.Errorf("datagram %q, want %s... without a newline", got, want)
		}
	}
	conn.Close()
	el.Log(confparse.LevelError, "lost") // the send fails: the socket is closed
	conn = recv()
	defer conn.Close()
	el.Log(confparse.LevelError, "found again")
	if got := read(conn); !strings.Contains(got, "[error]") || !strings.HasSuffix(got, "found again") {
		t.Errorf("after the receiver came back: %q", got)
	}
}

// TestSyslogAccessSeverity: an access log's lines carry its severity=.
func TestSyslogAccessSeverity(t *testing.T) {
	sl := &confparse.Syslog{Facility: 1, Severity: 1, Tag: "nginx"}
	b, err := syslogEncoder{accessEncoder(false), sl, true}.EncodeEntry(zapcore.Entry{Time: time.Now(), Message: "GET /"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.HasPrefix(got, "<9>") || !strings.HasSuffix(got, "nginx: GET /") {
		t.Errorf("line %q", got)
	}
}
