package httpd

// h2write.go writes a stream's answer. Frames go into the connection's
// buffer under its write lock and leave when the stream ends, flushes,
// or must wait for window: a small answer is one write (HEADERS, DATA
// with END_STREAM). Body bytes are held until they fill a frame, so
// frames are as large as the client's window and SETTINGS_MAX_FRAME_SIZE
// allow and END_STREAM rides on the last one, as nginx sends them.

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Hold bounds what a stream holds unsent before it waits for window.
const h2Hold = 64 << 10

var holdBufs = sync.Pool{New: func() any { b := make([]byte, 0, h2Hold); return &b }}

// h2Resp is a stream's http.ResponseWriter, under h2Writer.
type h2Resp struct {
	st         *h2Stream
	hdr        http.Header
	status     int
	sentHeader bool
	noBody     bool   // HEAD, 204, 304: body bytes are dropped
	pend       []byte // body bytes not framed yet
	pooled     *[]byte
	ended      bool  // END_STREAM or RST_STREAM sent
	chunk      int64 // http2_chunk_size (0: none)
	// trail holds AddTrailer's fields apart from hdr: a body reader
	// adds them (a gRPC upstream's) while ReverseProxy's flush timer
	// may be sending hdr as the HEADERS frame.
	trail http.Header
}

func (r *h2Resp) addTrailer(name, value string) {
	if r.trail == nil {
		r.trail = http.Header{}
	}
	r.trail[name] = append(r.trail[name], value)
}

func (r *h2Resp) init(st *h2Stream) {
	r.st = st
	r.hdr = make(http.Header, 8)
}

func (r *h2Resp) Header() http.Header { return r.hdr }

func (r *h2Resp) WriteHeader(code int) {
	if code >= 100 && code < 200 {
		// 103 Early Hints goes at once.
		if !r.sentHeader {
			r.writeHeaders(code, r.hdr, false, true)
		}
		return
	}
	if r.status != 0 {
		return
	}
	r.status = code
	r.noBody = code == 204 || code == 304 || r.st.req.Method == "HEAD"
}

func (r *h2Resp) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(200)
	}
	if r.st.reset.Load() || r.ended {
		return 0, errStreamAborted
	}
	if r.noBody {
		return len(p), nil
	}
	r.sendHeader(false)
	if r.pend == nil {
		r.pooled = holdBufs.Get().(*[]byte)
		r.pend = (*r.pooled)[:0]
	}
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), h2Hold-len(r.pend))
		r.pend = append(r.pend, p[:k]...)
		p = p[k:]
		if !r.emit(len(r.pend) >= h2Hold, false) {
			return n - len(p), errStreamAborted
		}
	}
	return n, nil
}

// Flush sends what is held and the connection's buffer.
func (r *h2Resp) Flush() {
	if r.status == 0 {
		r.WriteHeader(200)
	}
	if r.ended || r.st.reset.Load() {
		return
	}
	r.sendHeader(false)
	r.emit(true, false)
	s := r.st.s
	s.wmu.Lock()
	s.flushLocked()
	s.wmu.Unlock()
}

// sendHeader writes the HEADERS frame once.
func (r *h2Resp) sendHeader(end bool) {
	if r.sentHeader {
		return
	}
	r.sentHeader = true
	r.writeHeaders(r.status, r.hdr, end, false)
}

// emit frames held bytes. Holding (all false), it sends only the
// frames the windows, not the held bytes, cut short, so the rest may
// grow into a full frame, unless h2Hold is reached; all sends
// everything. The last frame carries END_STREAM when end. It reports
// false when the stream is gone.
func (r *h2Resp) emit(all, end bool) bool {
	s := r.st.s
	for {
		n := len(r.pend)
		if n == 0 && !end {
			return true
		}
		k := 0
		if n > 0 {
			if !all && n < h2Hold {
				s.mu.Lock()
				w := min(s.sendWindow, r.st.sendWindow, s.frameLocked(r.chunk))
				s.mu.Unlock()
				if int64(n) <= w || w <= 0 {
					return true
				}
			}
			if k = s.takeWindow(r.st, n, r.chunk); k == 0 {
				return false
			}
		}
		last := end && k == n
		s.wmu.Lock()
		s.fr.WriteData(r.st.id, last, r.pend[:k])
		s.wmu.Unlock()
		r.pend = r.pend[:copy(r.pend, r.pend[k:])]
		if last {
			r.ended = true
			return true
		}
	}
}

// finish ends the stream: the held bytes, trailers and END_STREAM, or
// RST_STREAM when the answer was aborted; then one flush.
func (r *h2Resp) finish(aborted bool) {
	s := r.st.s
	if !r.ended && !r.st.reset.Load() {
		if aborted {
			r.ended = true
			s.wmu.Lock()
			s.fr.WriteRSTStream(r.st.id, http2.ErrCodeInternal)
			s.wmu.Unlock()
		} else {
			if r.status == 0 {
				r.WriteHeader(200)
			}
			trailers := r.trailers()
			if !r.sentHeader && len(r.pend) == 0 && trailers == nil {
				r.sendHeader(true)
				r.ended = true
			} else {
				r.sendHeader(false)
				r.emit(true, trailers == nil)
				if trailers != nil && !r.st.reset.Load() {
					r.writeHeaders(0, trailers, true, false)
					r.ended = true
				}
			}
		}
	}
	if r.pooled != nil {
		holdBufs.Put(r.pooled)
		r.pooled, r.pend = nil, nil
	}
	s.wmu.Lock()
	s.flushLocked()
	s.wmu.Unlock()
}

// trailers are the fields AddTrailer noted and those a handler put in
// the header under http.TrailerPrefix, if any.
func (r *h2Resp) trailers() http.Header {
	t := r.trail
	for k, vs := range r.hdr {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			if t == nil {
				t = http.Header{}
			}
			t[name] = append(t[name], vs...)
		}
	}
	return t
}

// writeHeaders encodes a header block (status 0: trailers) and writes
// it as HEADERS and CONTINUATION frames.
func (r *h2Resp) writeHeaders(status int, h http.Header, end, flush bool) {
	s := r.st.s
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.encBuf = s.encBuf[:0]
	if status != 0 {
		s.enc.WriteField(hpack.HeaderField{Name: ":status", Value: statusText(status)})
		if h["Date"] == nil && status >= 200 {
			s.enc.WriteField(hpack.HeaderField{Name: "date", Value: string(currentDate(time.Now()))})
		}
	}
	s.encodeFields(h)
	block := s.encBuf
	first := true
	for first || len(block) > 0 {
		k := min(len(block), h2DefaultFrame)
		if first {
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: r.st.id, BlockFragment: block[:k],
				EndStream: end, EndHeaders: k == len(block)})
			first = false
		} else {
			s.fr.WriteContinuation(r.st.id, k == len(block), block[:k])
		}
		block = block[k:]
	}
	if flush {
		s.flushLocked()
	}
}

// encodeFields encodes h in nginx's order: its header filter's fields
// first, the others after, sorted.
func (s *h2Server) encodeFields(h http.Header) {
	var slot [slots][]string
	var rest [32]string
	keys := rest[:0]
	for k, vs := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		if i := slotOf(k); i >= 0 {
			slot[i] = vs
		} else {
			keys = append(keys, k)
		}
	}
	for i, k := range slotNames {
		s.encodeField(k, slot[i])
	}
	if len(keys) > 1 {
		sort.Strings(keys)
	}
	for _, k := range keys {
		s.encodeField(k, h[k])
	}
}

func (s *h2Server) encodeField(k string, vs []string) {
	if len(vs) == 0 {
		return
	}
	name := s.lower(k)
	for _, v := range vs {
		s.enc.WriteField(hpack.HeaderField{Name: name, Value: v})
	}
}

// lower is a field name as HTTP/2 sends it, remembered per connection.
func (s *h2Server) lower(k string) string {
	if n, ok := s.lowerName[k]; ok {
		return n
	}
	n := strings.ToLower(k)
	if s.lowerName == nil {
		s.lowerName = map[string]string{}
	}
	if len(s.lowerName) < 100 {
		s.lowerName[k] = n
	}
	return n
}

var h2Status [600]string

func init() {
	for i := 100; i < len(h2Status); i++ {
		h2Status[i] = strconv.Itoa(i)
	}
}

func statusText(code int) string {
	if code > 0 && code < len(h2Status) {
		return h2Status[code]
	}
	return strconv.Itoa(code)
}
