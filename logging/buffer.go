package logging

// buffer.go is access_log's buffer=, flush= and gzip as nginx has them:
// lines gather in memory and reach the file when the next one does not
// fit, when flush= has passed since a line entered the empty buffer, and
// when the configuration is released (reload), the logs are reopened
// (USR1) or the process ends. A line longer than the buffer is written
// on its own. With gzip each write is one gzip member, so the file stays
// a gzip stream that zcat reads whole.

import (
	"bytes"
	"compress/gzip"
	"io"
	"sync"
	"time"
)

type bufferedLog struct {
	mu    sync.Mutex
	out   io.Writer
	size  int
	flush time.Duration // 0: only when full
	gzip  int           // compression level; 0 writes as it is
	buf   []byte
	timer *time.Timer
	zbuf  bytes.Buffer
	zw    *gzip.Writer
}

func newBufferedLog(out io.Writer, size int64, flush time.Duration, gzipLevel int) *bufferedLog {
	return &bufferedLog{out: out, size: int(size), flush: flush, gzip: gzipLevel, buf: make([]byte, 0, size)}
}

func (b *bufferedLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf)+len(p) > b.size {
		b.writeOut()
	}
	if len(p) > b.size {
		b.write(p)
		return len(p), nil
	}
	if len(b.buf) == 0 && b.flush > 0 {
		if b.timer == nil {
			b.timer = time.AfterFunc(b.flush, func() { b.Sync() })
		} else {
			b.timer.Reset(b.flush)
		}
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Sync writes out what the buffer holds.
func (b *bufferedLog) Sync() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writeOut()
	return nil
}

// stop writes out the buffer and ends its timer.
func (b *bufferedLog) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer != nil {
		b.timer.Stop()
	}
	b.writeOut()
}

func (b *bufferedLog) writeOut() {
	if len(b.buf) > 0 {
		b.write(b.buf)
		b.buf = b.buf[:0]
	}
}

// write puts p in the file with one write: compressed into a gzip
// member of its own when gzip is on.
func (b *bufferedLog) write(p []byte) {
	if b.gzip == 0 {
		b.out.Write(p)
		return
	}
	b.zbuf.Reset()
	if b.zw == nil {
		b.zw, _ = gzip.NewWriterLevel(&b.zbuf, b.gzip)
	} else {
		b.zw.Reset(&b.zbuf)
	}
	b.zw.Write(p)
	b.zw.Close()
	b.out.Write(b.zbuf.Bytes())
}
