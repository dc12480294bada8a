package logging

// syslog.go sends error_log and access_log lines to a "syslog:" target
// as nginx does: one datagram per line (UDP, or a unix datagram socket)
// in RFC 3164's form "<PRI>Mon dd hh:mm:ss hostname tag: message", with
// no newline. The socket is opened at the first line and closed when a
// send fails, to be opened again for the next one, so a syslog daemon
// that restarts is found again.

import (
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"

	"goproxy/confparse"
)

// hostname is nginx's: gethostname(), in lower case.
var hostname = func() string {
	h, _ := os.Hostname()
	return strings.ToLower(h)
}()

// syslogWriter is a log target that sends each Write as one datagram.
type syslogWriter struct {
	conf *confparse.Syslog
	mu   sync.Mutex
	conn net.Conn
	// failed is the last failure not yet reported (SendFailure).
	failed *sendFailure
}

// sendFailure is what nginx logs when a line could not be sent: the
// system call's failure, before the line's own context.
type sendFailure struct {
	level confparse.Level
	msg   string
}

func newSyslogWriter(c *confparse.Syslog) *syslogWriter { return &syslogWriter{conf: c} }

// Write sends b; a line that cannot be sent is dropped, as nginx drops
// it (and zap is not told, or it would write to standard error).
func (w *syslogWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		c, err := net.Dial(w.conf.Network, w.conf.Addr)
		if err != nil {
			w.failed = &sendFailure{confparse.LevelAlert, "connect() failed (" + confparse.ErrnoText(err) + ")"}
			return len(b), nil
		}
		w.conn = c
	}
	if _, err := w.conn.Write(b); err != nil {
		w.conn.Close()
		w.conn = nil
		w.failed = &sendFailure{confparse.LevelError, "send() failed (" + confparse.ErrnoText(err) + ")"}
	}
	return len(b), nil
}

// takeFailure returns and forgets the last failure.
func (w *syslogWriter) takeFailure() *sendFailure {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.failed
	w.failed = nil
	return f
}

// Sync is a no-op: a datagram is sent whole.
func (w *syslogWriter) Sync() error { return nil }

func (w *syslogWriter) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}

// syslogEncoder puts the syslog header before what its inner encoder
// writes, and drops the newline. An error log's lines are sent at the
// severity of their level; an access log's at its severity= (fixed).
type syslogEncoder struct {
	zapcore.Encoder
	conf  *confparse.Syslog
	fixed bool
}

func (e syslogEncoder) Clone() zapcore.Encoder {
	return syslogEncoder{e.Encoder.Clone(), e.conf, e.fixed}
}

func (e syslogEncoder) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	inner, err := e.Encoder.EncodeEntry(ent, fields)
	if err != nil {
		return nil, err
	}
	defer inner.Free()
	sev := e.conf.Severity
	if !e.fixed {
		sev = confparse.SyslogSeverity(nginxLevel(ent.Level))
	}
	b := pool.Get()
	appendSyslogHeader(b, e.conf, sev, ent.Time)
	b.Write([]byte(strings.TrimSuffix(inner.String(), "\n")))
	return b, nil
}

// appendSyslogHeader writes "<PRI>Mon dd hh:mm:ss hostname tag: " (the
// day padded with a space, the hostname left out with nohostname).
func appendSyslogHeader(b *buffer.Buffer, c *confparse.Syslog, severity int, t time.Time) {
	b.AppendByte('<')
	b.AppendInt(int64(c.Facility*8 + severity))
	b.AppendByte('>')
	b.AppendTime(t, "Jan _2 15:04:05")
	b.AppendByte(' ')
	if !c.NoHostname {
		b.AppendString(hostname)
		b.AppendByte(' ')
	}
	b.AppendString(c.Tag)
	b.AppendString(": ")
}
