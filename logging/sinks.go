package logging

// sinks.go holds the targets of access logs with a constant path (a
// file, buffered or not, or a syslog socket) for http's and stream's
// access logs alike.

import (
	"strconv"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"goproxy/confparse"
)

// sinks are the zap loggers of constant access-log targets, one per
// target and buffering, shared by every configuration that names them
// and ended with the last one.
var sinks = struct {
	sync.Mutex
	m map[string]*Sink
}{m: map[string]*Sink{}}

// Sink is where one access_log with a constant target writes.
type Sink struct {
	key  string
	log  *zap.Logger
	buf  *bufferedLog // nil when unbuffered
	out  target
	refs int // guarded by sinks
}

func sinkFor(al *confparse.AccessLog, json bool) (*Sink, error) {
	path := al.Path.Raw
	key := path + "|" + strconv.FormatInt(al.Buffer, 10) + "|" + al.Flush.String() + "|" +
		strconv.Itoa(al.Gzip) + "|" + strconv.FormatBool(json)
	sinks.Lock()
	defer sinks.Unlock()
	if s, ok := sinks.m[key]; ok {
		s.refs++
		return s, nil
	}
	s := &Sink{key: key, refs: 1}
	enc := accessEncoder(json)
	if al.Syslog != nil {
		s.out = newSyslogWriter(al.Syslog)
		enc = syslogEncoder{enc, al.Syslog, true}
	} else {
		f, err := openFile(path)
		if err != nil {
			return nil, err
		}
		s.out = f
	}
	var ws zapcore.WriteSyncer = s.out
	if al.Buffer > 0 {
		s.buf = newBufferedLog(s.out, al.Buffer, al.Flush, al.Gzip)
		ws = s.buf
	}
	s.log = zap.New(zapcore.NewCore(enc, ws, zapcore.DebugLevel))
	sinks.m[key] = s
	return s, nil
}

// OpenSink opens the target of an access_log with a constant path (in
// text mode), for stream's access logs; Release gives it back.
func OpenSink(al *confparse.AccessLog) (*Sink, error) { return sinkFor(al, false) }

// Line writes one formatted line (without its newline).
func (s *Sink) Line(line []byte) { s.log.Info(string(line)) }

// Failed reports a line to syslog that could not be sent since the last
// call: the system call's failure, at the level nginx logs it (nginx
// follows it with "send() to syslog failed" in the request's context).
func (s *Sink) Failed() (confparse.Level, string, bool) {
	if w, ok := s.out.(*syslogWriter); ok {
		if f := w.takeFailure(); f != nil {
			return f.level, f.msg, true
		}
	}
	return 0, "", false
}

// accessEncoder renders an access-log entry: the formatted line as it
// is, or in JSON mode an object of typed fields.
func accessEncoder(json bool) zapcore.Encoder {
	if json {
		return jsonEncoder()
	}
	return lineEncoder{zapcore.NewJSONEncoder(zapcore.EncoderConfig{})}
}

// Release gives back a reference from sinkFor: the buffer is written out
// (nginx writes it when a reload releases the old configuration) and the
// last reference closes the target.
func (s *Sink) Release() {
	sinks.Lock()
	defer sinks.Unlock()
	if s.refs--; s.refs > 0 {
		if s.buf != nil {
			s.buf.Sync()
		}
		return
	}
	delete(sinks.m, s.key)
	if s.buf != nil {
		s.buf.stop()
	}
	s.out.release()
}

// Flush writes out buffered access logs (before exit, or before the
// files are reopened).
func Flush() {
	sinks.Lock()
	defer sinks.Unlock()
	for _, s := range sinks.m {
		if s.buf != nil {
			s.buf.Sync()
		}
	}
}
