package logging

// zap.go makes zap the engine of every log: nginx's levels map onto zap
// levels, and nginx's text formats are zap encoders, next to zap's JSON
// encoder for the structured mode ("goproxy_log_format json;").

import (
	"os"
	"strconv"
	"time"

	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"

	"goproxy/confparse"
)

// zapLevel maps nginx's eight levels onto zap levels from -5 (debug) to
// 2 (emerg): ordered as nginx orders them, and below zap's panic and
// fatal levels, which would stop the process.
func zapLevel(l confparse.Level) zapcore.Level {
	return zapcore.Level(int8(confparse.LevelError) - int8(l) - 1)
}

func nginxLevel(z zapcore.Level) confparse.Level {
	return confparse.Level(int8(confparse.LevelError) - int8(z) - 1)
}

// encodeLevel names levels as nginx does ("notice", "crit", ...).
func encodeLevel(l zapcore.Level, enc zapcore.PrimitiveArrayEncoder) {
	enc.AppendString(nginxLevel(l).String())
}

var pool = buffer.NewPool()

var pidStr = strconv.Itoa(os.Getpid())

// errorEncoder writes nginx's error-log line:
// "2026/11/27 10:00:00 [error] 1#1: *5 msg, client: ..., server: ...".
// Fields other than the known context ones are ignored in text mode.
type errorEncoder struct{ zapcore.Encoder }

func (e errorEncoder) Clone() zapcore.Encoder { return errorEncoder{e.Encoder.Clone()} }

// contextOrder is the order nginx appends request context.
var contextOrder = []string{"client", "server", "request", "upstream", "host"}

func (e errorEncoder) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	b := pool.Get()
	b.AppendTime(ent.Time, "2006/01/02 15:04:05")
	b.AppendString(" [")
	b.AppendString(nginxLevel(ent.Level).String())
	b.AppendString("] ")
	b.AppendString(pidStr)
	b.AppendByte('#')
	b.AppendString(pidStr)
	b.AppendString(": ")
	for _, f := range fields {
		if f.Key == "connection" {
			b.AppendByte('*')
			b.AppendInt(f.Integer)
			b.AppendByte(' ')
		}
	}
	b.AppendString(ent.Message)
	for _, k := range contextOrder {
		for _, f := range fields {
			if f.Key != k {
				continue
			}
			b.AppendString(", ")
			b.AppendString(k)
			b.AppendString(": ")
			if k == "request" || k == "upstream" || k == "host" {
				b.AppendByte('"')
				b.AppendString(f.String)
				b.AppendByte('"')
			} else {
				b.AppendString(f.String)
			}
		}
	}
	b.AppendByte('\n')
	return b, nil
}

// lineEncoder writes the message as the whole line: access logs render
// their log_format themselves.
type lineEncoder struct{ zapcore.Encoder }

func (e lineEncoder) Clone() zapcore.Encoder { return lineEncoder{e.Encoder.Clone()} }

func (e lineEncoder) EncodeEntry(ent zapcore.Entry, _ []zapcore.Field) (*buffer.Buffer, error) {
	b := pool.Get()
	b.AppendString(ent.Message)
	b.AppendByte('\n')
	return b, nil
}

func jsonEncoder() zapcore.Encoder {
	return zapcore.NewJSONEncoder(zapcore.EncoderConfig{
		TimeKey: "time", LevelKey: "level", MessageKey: "msg",
		EncodeLevel: encodeLevel, EncodeTime: zapcore.ISO8601TimeEncoder,
		EncodeDuration: zapcore.SecondsDurationEncoder, LineEnding: "\n",
	})
}

// newEncoder picks the error log's encoder for a mode.
func newEncoder(json bool) zapcore.Encoder {
	if json {
		return jsonEncoder()
	}
	return errorEncoder{zapcore.NewJSONEncoder(zapcore.EncoderConfig{})}
}

// Line formats one error-log line outside any configured log (for the
// command line's messages before a configuration is loaded).
func Line(level confparse.Level, msg string) []byte {
	b, _ := errorEncoder{}.EncodeEntry(zapcore.Entry{Time: time.Now(), Level: zapLevel(level), Message: msg}, nil)
	out := append([]byte(nil), b.Bytes()...)
	b.Free()
	return out
}
