package filecache

// entry.go is the on-disk form of one cached response. nginx's own
// format is a C struct dump; goproxy's is text, so an entry can be read
// with less(1), but it keeps nginx's layout principles: a fixed-size
// first line holding what a revalidation rewrites in place (validity, the
// date of the response and the stale windows its Cache-Control granted),
// then the key, the Vary data and the
// response head, a blank line, and the body as received.
//
//	GPCACHE2 <valid until> <date> <stale-while-revalidate> <stale-if-error>\n
//	         (unix seconds, 20 digits each; the windows in seconds)
//	KEY: "<key, Go-quoted>"\n
//	VARY: <the response's Vary>\n
//	VARIANT: <hex md5 of the request headers Vary names>\n
//	STATUS: <code> <reason>\n
//	<Name>: <value>\n ...
//	\n
//	<body>

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	magic     = "GPCACHE2 "
	firstLine = len(magic) + 4*21
)

var errFormat = errors.New("filecache: not a cache entry")

// Meta is what an entry says about its response.
type Meta struct {
	Key        string
	ValidUntil time.Time // fresh until then
	Date       time.Time // when it was stored or last revalidated
	// Stale is how long after ValidUntil the response may be served
	// stale (Cache-Control's stale-while-revalidate, stale-if-error).
	Stale
	Vary    string // the response's Vary header
	Variant string // hex md5 of the request's values for Vary
	Status  int
	Reason  string
	Header  http.Header
}

// Entry is an entry opened for reading: its meta and its body, which
// lives in the file from BodyOffset on.
type Entry struct {
	Meta
	BodyOffset int64
	BodySize   int64
	// StatusLine is "code reason", Length the body's length as a
	// header value: made once per file, not at each hit.
	StatusLine string
	Length     []string
	f          *os.File
	body       io.LimitedReader
	section    io.SectionReader
}

// Body reads bytes [off, off+n) of the body with pread, leaving the
// file's offset alone.
func (e *Entry) Body(off, n int64) io.Reader {
	e.section = *io.NewSectionReader(e.f, e.BodyOffset+off, n)
	return &e.section
}

// File is Body as the file itself, at the body's offset, so that the
// engine can send it with sendfile. The entry serves one reader at a
// time.
func (e *Entry) File(off, n int64) io.Reader {
	e.body = io.LimitedReader{R: e.f, N: n}
	if _, err := e.f.Seek(e.BodyOffset+off, io.SeekStart); err != nil {
		e.body.N = 0
	}
	return &e.body
}

// Close closes the entry's file.
func (e *Entry) Close() error {
	if e == nil || e.f == nil {
		return nil
	}
	return e.f.Close()
}

// encodeHead writes everything before the body.
func encodeHead(w io.Writer, m *Meta) error {
	var b bytes.Buffer
	b.Write(appendFirstLine(nil, m.ValidUntil, m.Date, m.Stale))
	fmt.Fprintf(&b, "KEY: %s\nVARY: %s\nVARIANT: %s\nSTATUS: %d %s\n", strconv.Quote(m.Key),
		oneLine(m.Vary), m.Variant, m.Status, oneLine(m.Reason))
	for k, vs := range m.Header {
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(oneLine(v))
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// oneLine keeps a value on its line whatever it holds.
func oneLine(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	}
	return s
}

// decodeHead reads an entry's head from r, returning its meta and its
// length in bytes.
func decodeHead(r *bufio.Reader) (*Meta, int64, error) {
	var n int64
	line := func() (string, error) {
		s, err := r.ReadString('\n')
		n += int64(len(s))
		if err != nil {
			return "", errFormat
		}
		return s[:len(s)-1], nil
	}
	first, err := line()
	if err != nil || len(first)+1 != firstLine || !strings.HasPrefix(first, magic) {
		return nil, 0, errFormat
	}
	var f [4]int64
	for i := range f {
		at := len(magic) + 21*i
		if f[i], err = strconv.ParseInt(first[at:at+20], 10, 64); err != nil {
			return nil, 0, errFormat
		}
	}
	m := &Meta{ValidUntil: time.Unix(f[0], 0), Date: time.Unix(f[1], 0), Header: http.Header{},
		Stale: Stale{WhileRevalidate: time.Duration(f[2]) * time.Second, IfError: time.Duration(f[3]) * time.Second}}
	for _, field := range []string{"KEY: ", "VARY: ", "VARIANT: ", "STATUS: "} {
		s, err := line()
		if err != nil || !strings.HasPrefix(s, field) {
			return nil, 0, errFormat
		}
		v := s[len(field):]
		switch field {
		case "KEY: ":
			if m.Key, err = strconv.Unquote(v); err != nil {
				return nil, 0, errFormat
			}
		case "VARY: ":
			m.Vary = v
		case "VARIANT: ":
			m.Variant = v
		case "STATUS: ":
			code, reason, _ := strings.Cut(v, " ")
			if m.Status, err = strconv.Atoi(code); err != nil {
				return nil, 0, errFormat
			}
			m.Reason = reason
		}
	}
	for {
		s, err := line()
		if err != nil {
			return nil, 0, err
		}
		if s == "" {
			return m, n, nil
		}
		k, v, ok := strings.Cut(s, ": ")
		if !ok {
			return nil, 0, errFormat
		}
		m.Header[k] = append(m.Header[k], v)
	}
}

// fileIdent tells one file from another at the same path: a new entry
// is a new file (renamed into place), a revalidation changes its
// modification time.
type fileIdent struct {
	size, mtime int64
	ino         uint64
}

func identOf(fi os.FileInfo) fileIdent {
	id := fileIdent{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.ino = st.Ino
	}
	return id
}

// decoded is an entry's head as read from its file.
type decoded struct {
	meta   *Meta
	n      int64 // the head's length
	ident  fileIdent
	status string
	length []string
}

var headReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// readEntry opens the entry at path. A file shorter than its head says,
// or not in the format, is an error: it is never served. When known is
// the head of this very file, it is not read again; d is the head used.
func readEntry(path string, known *decoded) (e *Entry, d *decoded, err error) {
	f, err := openFile(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	id := identOf(fi)
	if d = known; d == nil || d.ident != id {
		br := headReaders.Get().(*bufio.Reader)
		br.Reset(io.LimitReader(f, 1<<20))
		m, n, err := decodeHead(br)
		br.Reset(nil)
		headReaders.Put(br)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		d = &decoded{meta: m, n: n, ident: id, status: strconv.Itoa(m.Status) + " " + m.Reason,
			length: []string{strconv.FormatInt(id.size-n, 10)}}
	}
	return &Entry{Meta: *d.meta, BodyOffset: d.n, BodySize: id.size - d.n, StatusLine: d.status, Length: d.length, f: f}, d, nil
}

// openFile opens path for reading as a blocking descriptor: os.Open
// would try to add a regular file to the network poller, one failing
// epoll_ctl per cache hit.
func openFile(path string) (*os.File, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// appendFirstLine formats the fixed-size first line.
func appendFirstLine(b []byte, valid, date time.Time, st Stale) []byte {
	b = append(b, magic...)
	for i, v := range [4]int64{valid.Unix(), date.Unix(), int64(st.WhileRevalidate / time.Second), int64(st.IfError / time.Second)} {
		if i > 0 {
			b = append(b, ' ')
		}
		b = fmt.Appendf(b, "%020d", v)
	}
	return append(b, '\n')
}

// rewriteValidity updates the fixed first line in place, as nginx's
// ngx_http_file_cache_update_header does after a revalidation.
func rewriteValidity(path string, valid, date time.Time, st Stale) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fileError("open()", path, err)
	}
	defer f.Close()
	if _, err = f.WriteAt(appendFirstLine(nil, valid, date, st), 0); err != nil {
		return fileError("pwrite()", path, err)
	}
	return nil
}
