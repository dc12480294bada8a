package proxy

// memcached.go is the wire of ngx_http_memcached_module: the request is
// "get KEY\r\n" with the key from $memcached_key; the answer is
// "VALUE KEY FLAGS LENGTH\r\n", the value, "\r\nEND\r\n" (a 200), or
// "END\r\n" alone (a miss, which nginx always answers with its own 404).
// Anything else is an invalid answer: 502, or the next upstream with
// memcached_next_upstream invalid_response. A connection whose answer
// was read to its end may be kept.

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"goproxy/confparse"
)

type memcachedWire struct{ conf *confparse.MemcachedLoc }

// memcachedEnd ends every value.
const memcachedEnd = "\r\nEND\r\n"

// prepare answers what nginx's memcached handler refuses before any
// upstream is chosen: a method other than GET and HEAD (405), and a
// $memcached_key that has no value (500).
func (w *memcachedWire) prepare(h *handler, st *state) bool {
	rq := st.rq
	if m := rq.R.Method; m != http.MethodGet && m != http.MethodHead {
		rq.Error(http.StatusMethodNotAllowed)
		return false
	}
	const name = "memcached_key"
	v, set := rq.Set[name]
	if !set {
		// A map or another module's variable of that name has a value;
		// a set that did not run has none ("using uninitialized").
		var found bool
		v, found = rq.Var(name)
		if !found || rq.Vars != nil && rq.Vars.SetVars[name] {
			h.c.errs.Request(rq, confparse.LevelError, "the \"$memcached_key\" variable is not set")
			rq.Error(http.StatusInternalServerError)
			return false
		}
	}
	st.key = memcachedEscape(v)
	return true
}

// memcachedEscape is the key as nginx sends it: control characters,
// space and "%" as %XX, so that the key stays one word on the line.
func memcachedEscape(k string) string {
	n := 0
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c == '%' {
			n++
		}
	}
	if n == 0 {
		return k
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(k)+2*n)
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c == '%' {
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

func (w *memcachedWire) exchange(h *handler, st *state, c *upConn, a *attempt) (*http.Response, error) {
	c.wdl.Set(c.nc.SetWriteDeadline, time.Now(), a.sendTO)
	n, _ := c.bw.WriteString("get " + st.key + "\r\n")
	err := c.bw.Flush()
	a.bytesSent, a.sentRequest = int64(n), true
	if err != nil {
		a.sendFailed = true
		return nil, err
	}
	c.rdl.Set(c.nc.SetReadDeadline, time.Now(), a.readTO)
	line, err := readMemcachedLine(c.br, a.maxHead)
	if err != nil {
		if err == errTooBigHeader {
			a.invalidHead = true
		}
		return nil, err
	}
	resp := &http.Response{Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
		Request: a.req}
	rq := st.rq
	if string(line) == "END\r" {
		h.c.errs.RequestUpstream(rq, confparse.LevelInfo, "key: \""+st.key+
			"\" was not found by memcached while reading response header from upstream", st.scheme+"://"+c.peer.addr)
		resp.StatusCode, resp.Status = http.StatusNotFound, "404 Not Found"
		resp.ContentLength, resp.Body = 0, http.NoBody
		return resp, nil
	}
	length, gzip, err := w.parseValue(line, st.key)
	if err != nil {
		a.invalidHead = true
		return nil, err
	}
	resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
	resp.ContentLength = length
	resp.Header["Content-Type"] = []string{rq.ContentTypeFor(rq.URI)}
	resp.Header["Content-Length"] = []string{strconv.FormatInt(length, 10)}
	if gzip {
		resp.Header["Content-Encoding"] = []string{"gzip"}
	}
	if a.req.Method == http.MethodHead {
		// nginx does not read the value of a HEAD: the connection,
		// with the value in it, is not reused.
		resp.Body, resp.Close = http.NoBody, true
		return resp, nil
	}
	resp.Body = &memcachedBody{h: h, st: st, c: c, rest: length, withHead: c.br.Buffered()}
	return resp, nil
}

// readMemcachedLine reads the response line to its LF, the CR kept; a
// line longer than the buffer is "too big".
func readMemcachedLine(br *bufio.Reader, max int) ([]byte, error) {
	if max <= 0 {
		max = defaultBufferSize
	}
	var line []byte
	for {
		b, err := br.ReadSlice('\n')
		if len(line)+len(b) > max {
			return nil, errTooBigHeader
		}
		line = append(line, b...)
		switch err {
		case nil:
			return line[:len(line)-1], nil
		case bufio.ErrBufferFull:
			continue
		}
		return nil, unexpected(err)
	}
}

// parseValue reads "VALUE KEY FLAGS LENGTH\r" as nginx does: the key
// must be the one asked for, FLAGS is read only with
// memcached_gzip_flag, LENGTH is the rest of the line.
func (w *memcachedWire) parseValue(line []byte, key string) (int64, bool, error) {
	shown := string(bytes.TrimSuffix(line, []byte("\r")))
	invalid := func(what string) error {
		return &headError{"memcached sent invalid " + what + " in response \"" + shown + "\" for key \"" + key + "\""}
	}
	if len(line) == 0 || line[len(line)-1] != '\r' || !bytes.HasPrefix(line, []byte("VALUE ")) {
		return 0, false, &headError{"memcached sent invalid response: \"" + shown + "\""}
	}
	line = line[:len(line)-1]
	p := line[len("VALUE "):]
	if !bytes.HasPrefix(p, []byte(key)) {
		return 0, false, invalid("key")
	}
	p = p[len(key):]
	if len(p) == 0 || p[0] != ' ' {
		return 0, false, &headError{"memcached sent invalid response: \"" + shown + "\""}
	}
	p = p[1:]
	sp := bytes.IndexByte(p, ' ')
	if sp < 0 {
		return 0, false, &headError{"memcached sent invalid response: \"" + shown + "\""}
	}
	gzip := false
	if f := *w.conf.GzipFlag; f != 0 {
		flags, ok := atoi(p[:sp])
		if !ok {
			return 0, false, invalid("flags")
		}
		gzip = flags&int64(f) != 0
	}
	length, ok := atoi(p[sp+1:])
	if !ok {
		return 0, false, invalid("length")
	}
	return length, gzip, nil
}

// atoi is nginx's ngx_atoof: digits only, at least one, no overflow.
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' || n > (1<<63-1-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// memcachedBody is a value: its bytes, then the "\r\nEND\r\n" that
// must follow, checked as it comes. A wrong trailer, or anything after
// it, is logged and the value ends at its length; that connection is
// not kept.
type memcachedBody struct {
	h     *handler
	st    *state
	c     *upConn
	rest  int64
	trail int // trailer bytes checked
	// withHead counts the bytes that came with the response line: a
	// trailer wrong in them is logged as found with the head.
	withHead int
	read     int
	done     bool
}

func (m *memcachedBody) Read(p []byte) (int, error) {
	if m.done {
		return 0, io.EOF
	}
	if m.rest > 0 {
		n, err := m.c.br.Read(p[:min(int64(len(p)), m.rest)])
		m.rest -= int64(n)
		m.read += n
		if err != nil {
			return n, unexpected(err)
		}
		return n, nil
	}
	for m.trail < len(memcachedEnd) {
		b, err := m.c.br.ReadByte()
		if err != nil {
			return 0, unexpected(err)
		}
		m.read++
		if b != memcachedEnd[m.trail] {
			return 0, m.invalidTrailer()
		}
		m.trail++
	}
	if m.c.br.Buffered() > 0 {
		return 0, m.invalidTrailer()
	}
	m.done = true
	return 0, io.EOF
}

// invalidTrailer logs a value that does not end as it should and ends
// the body there.
func (m *memcachedBody) invalidTrailer() error {
	while := " while reading upstream"
	if m.read <= m.withHead {
		while = " while reading response header from upstream"
	}
	m.h.c.errs.RequestUpstream(m.st.rq, confparse.LevelError, "memcached sent invalid trailer"+while,
		m.st.scheme+"://"+m.c.peer.addr)
	m.c.broken = true
	m.c.br.Discard(m.c.br.Buffered())
	m.done = true
	return io.EOF
}

func (m *memcachedBody) Close() error { return nil }

// intercepts says nginx answers a miss itself (the module sets
// intercept_404): its 404 page, or error_page.
func (w *memcachedWire) intercepts(status int) bool { return status == http.StatusNotFound }
