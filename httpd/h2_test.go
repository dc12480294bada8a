package httpd

// h2_test.go: goproxy's own HTTP/2 loop (h2conn.go) frame by frame, as
// a client sees it: a stream beyond http2_max_concurrent_streams is
// refused, an answer may end a stream whose body is still coming, a
// handler that ends keep-alive makes the connection go away, and a
// small answer leaves in one write.

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Client is a client speaking frames on one connection.
type h2Client struct {
	t   *testing.T
	c   net.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	buf bytes.Buffer
}

// startH2 serves HTTP/2 over cleartext (prior knowledge) with serve.
func startH2(t *testing.T, serve func(w http.ResponseWriter, r *http.Request)) string {
	t.Helper()
	return serveH2(t, faultH2Handler{&faultHandler{serve: serve, idle: 10 * time.Second}})
}

// serveH2 serves h on a loopback port until the test ends.
func serveH2(t *testing.T, h Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h, ErrorLog: (&logLines{}).log}
	go s.Serve(ln, ln.Addr().String())
	t.Cleanup(func() { ln.Close(); s.Close() })
	return ln.Addr().String()
}

func dialH2(t *testing.T, addr string) *h2Client {
	t.Helper()
	c, _ := dial(t, addr)
	io.WriteString(c, h2Preface)
	cl := &h2Client{t: t, c: c, fr: http2.NewFramer(c, c)}
	cl.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	cl.enc = hpack.NewEncoder(&cl.buf)
	cl.fr.WriteSettings()
	return cl
}

// request opens stream id for GET or POST path.
func (cl *h2Client) request(id uint32, method, path string, end bool) {
	cl.buf.Reset()
	for _, f := range [][2]string{{":method", method}, {":scheme", "http"}, {":path", path}, {":authority", "a"}} {
		cl.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: cl.buf.Bytes(),
		EndStream: end, EndHeaders: true}); err != nil {
		cl.t.Fatal(err)
	}
}

// next reads frames until one that is not the connection's own
// (SETTINGS, WINDOW_UPDATE, PING).
func (cl *h2Client) next() http2.Frame {
	cl.t.Helper()
	for {
		f, err := cl.fr.ReadFrame()
		if err != nil {
			cl.t.Fatalf("reading a frame: %v", err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				cl.fr.WriteSettingsAck()
			}
			continue
		case *http2.WindowUpdateFrame, *http2.PingFrame:
			continue
		}
		return f
	}
}

// TestH2RefusedStream: a stream beyond http2_max_concurrent_streams is
// refused with RST_STREAM REFUSED_STREAM (the client may retry it);
// those open are answered.
func TestH2RefusedStream(t *testing.T) {
	release := make(chan struct{})
	var started sync.WaitGroup
	addr := startH2(t, func(w http.ResponseWriter, r *http.Request) {
		started.Done()
		<-release
		io.WriteString(w, "ok")
	})
	cl := dialH2(t, addr)
	const limit = 16 // faultH2Handler's MaxConcurrentStreams
	started.Add(limit)
	for i := uint32(0); i < limit; i++ {
		cl.request(1+2*i, "GET", "/", true)
	}
	started.Wait()
	cl.request(1+2*limit, "GET", "/", true)
	f := cl.next()
	rst, ok := f.(*http2.RSTStreamFrame)
	if !ok || rst.StreamID != 1+2*limit || rst.ErrCode != http2.ErrCodeRefusedStream {
		t.Fatalf("stream %d beyond the limit: %v, want RST_STREAM REFUSED_STREAM", 1+2*limit, f)
	}
	close(release)
	ended := map[uint32]bool{}
	for len(ended) < limit {
		switch f := cl.next().(type) {
		case *http2.DataFrame:
			if f.StreamEnded() {
				ended[f.StreamID] = true
			}
		case *http2.MetaHeadersFrame:
			if f.PseudoValue("status") != "200" {
				t.Fatalf("stream %d: status %q", f.StreamID, f.PseudoValue("status"))
			}
		default:
			t.Fatalf("unexpected %v", f)
		}
	}
}

// TestH2AnswerBeforeBodyEnd: a handler may answer while the client is
// still sending (a gRPC error before the request's end), closing the
// body a reader of its own is blocked on; the answer goes out whole and
// the stream is then reset with NO_ERROR, so the client may stop.
func TestH2AnswerBeforeBodyEnd(t *testing.T) {
	addr := startH2(t, func(w http.ResponseWriter, r *http.Request) {
		done := make(chan struct{})
		go func() {
			io.Copy(io.Discard, r.Body) // blocks: the client never ends it
			close(done)
		}()
		time.Sleep(20 * time.Millisecond)
		w.Header().Set("X-Early", "yes")
		w.WriteHeader(403)
		r.Body.Close()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Error("Close did not end a Read blocked in another goroutine")
		}
	})
	cl := dialH2(t, addr)
	cl.request(1, "POST", "/", false)
	cl.fr.WriteData(1, false, []byte("first"))
	h, ok := cl.next().(*http2.MetaHeadersFrame)
	if !ok || h.PseudoValue("status") != "403" || !h.StreamEnded() {
		t.Fatalf("answer: %v, want HEADERS 403 with END_STREAM", h)
	}
	rst, ok := cl.next().(*http2.RSTStreamFrame)
	if !ok || rst.ErrCode != http2.ErrCodeNo {
		t.Fatalf("after the answer: %v, want RST_STREAM NO_ERROR", rst)
	}
}

// TestH2KeepAliveEndsInGoAway: a handler that ends keep-alive (as
// keepalive_requests does) makes the connection send GOAWAY naming the
// last stream (nginx sends it as the last stream opens, so it may come
// before the answer); the answer still arrives whole, then the
// connection closes.
func TestH2KeepAliveEndsInGoAway(t *testing.T) {
	addr := startH2(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/last" {
			w.(ConnWriter).Conn().KeepAlive = false
		}
		io.WriteString(w, "ok")
	})
	cl := dialH2(t, addr)
	cl.request(1, "GET", "/last", true)
	var data string
	var away *http2.GoAwayFrame
	for away == nil || !strings.HasSuffix(data, "<end>") {
		switch f := cl.next().(type) {
		case *http2.MetaHeadersFrame:
		case *http2.DataFrame:
			data += string(f.Data())
			if f.StreamEnded() {
				data += "<end>"
			}
		case *http2.GoAwayFrame:
			if f.LastStreamID != 1 || f.ErrCode != http2.ErrCodeNo {
				t.Fatalf("GOAWAY last %d code %v, want last 1 NO_ERROR", f.LastStreamID, f.ErrCode)
			}
			away = f
		default:
			t.Fatalf("unexpected %v", f)
		}
	}
	if data != "ok<end>" {
		t.Fatalf("answer %q, want ok", data)
	}
	if f, err := cl.fr.ReadFrame(); err == nil {
		t.Fatalf("after GOAWAY and the answer: %v, want the connection closed", f)
	}
}

// TestH2SmallAnswerOneWrite: HEADERS and a DATA frame with END_STREAM
// of a small answer reach the socket in one write, as nginx sends them.
func TestH2SmallAnswerOneWrite(t *testing.T) {
	addr := startH2(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Length"] = []string{"5"}
		io.WriteString(w, "hello")
	})
	cl := dialH2(t, addr)
	// The server's SETTINGS, its window, our SETTINGS' ack: read them
	// before the stream so that what follows is the answer alone.
	for i := 0; i < 3; i++ {
		if _, err := cl.fr.ReadFrame(); err != nil {
			t.Fatal(err)
		}
	}
	cl.fr.WriteSettingsAck()
	cl.request(1, "GET", "/", true)
	cl.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := cl.c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	// Two writes would most often be two reads on loopback: the first
	// must hold the whole answer.
	fr := http2.NewFramer(io.Discard, bytes.NewReader(buf[:n]))
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	var got []string
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			break
		}
		got = append(got, f.Header().Type.String())
		if d, ok := f.(*http2.DataFrame); ok && d.StreamEnded() && string(d.Data()) == "hello" {
			return
		}
	}
	t.Fatalf("the first read held %v, want HEADERS and the whole DATA", got)
}

// sendTimeoutH2 is faultH2Handler with send_timeout set.
type sendTimeoutH2 struct{ faultH2Handler }

func (h sendTimeoutH2) HTTP2(c *Conn) H2Settings {
	s := h.faultH2Handler.HTTP2(c)
	s.SendTimeout = 200 * time.Millisecond
	return s
}

// TestH2StreamTimeouts: a stream waiting for a request body that does
// not come (client_body_timeout) or for window the client does not give
// (send_timeout) is reset with PROTOCOL_ERROR, as nginx resets a stream
// that timed out, and the connection serves on; without them a
// graceful stop would wait for such a stream forever.
func TestH2StreamTimeouts(t *testing.T) {
	h := &faultHandler{idle: 10 * time.Second, serve: func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			w.(ConnWriter).Conn().BodyTimeout = 200 * time.Millisecond
			if _, err := io.ReadAll(r.Body); err == nil {
				t.Error("body read whole, want the timeout")
			}
			return
		}
		w.Write(bytes.Repeat([]byte("x"), 100000)) // more than the 65535 window
	}}
	cl := dialH2(t, serveH2(t, sendTimeoutH2{faultH2Handler{h}}))
	for _, c := range []struct {
		id     uint32
		method string
		path   string
	}{{1, "POST", "/body"}, {3, "GET", "/big"}} {
		cl.request(c.id, c.method, c.path, c.method == "GET")
		start := time.Now()
		for {
			f := cl.next()
			if rst, ok := f.(*http2.RSTStreamFrame); ok {
				if rst.StreamID != c.id || rst.ErrCode != http2.ErrCodeProtocol {
					t.Fatalf("%s: %v, want RST_STREAM PROTOCOL_ERROR on stream %d", c.path, rst, c.id)
				}
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("%s: reset after %v, want about 200ms", c.path, d)
				}
				break
			}
		}
	}
	cl.fr.WritePing(false, [8]byte{1})
	for {
		f, err := cl.fr.ReadFrame()
		if err != nil {
			t.Fatalf("after the resets: %v, want the PING answered", err)
		}
		if p, ok := f.(*http2.PingFrame); ok && p.IsAck() {
			break
		}
	}
}

// TestH2TraceConnectRefused: TRACE and CONNECT streams get nginx's 405
// page without reaching the handler, as over HTTP/1.x.
func TestH2TraceConnectRefused(t *testing.T) {
	addr := startH2(t, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("%s reached the handler", r.Method)
	})
	cl := dialH2(t, addr)
	for i, m := range []string{"TRACE", "CONNECT"} {
		cl.request(uint32(1+2*i), m, "/", true)
		for {
			if h, ok := cl.next().(*http2.MetaHeadersFrame); ok {
				if got := h.PseudoValue("status"); got != "405" {
					t.Errorf("%s: status %s, want 405", m, got)
				}
				break
			}
		}
	}
}

// TestH2ChunkSize: http2_chunk_size bounds each DATA frame; the last
// one carries END_STREAM.
func TestH2ChunkSize(t *testing.T) {
	addr := startH2(t, func(w http.ResponseWriter, r *http.Request) {
		w.(ConnWriter).Conn().ChunkSize = 3
		io.WriteString(w, "abcdefgh")
	})
	cl := dialH2(t, addr)
	cl.request(1, "GET", "/", true)
	var frames []string
	for {
		if d, ok := cl.next().(*http2.DataFrame); ok {
			frames = append(frames, string(d.Data()))
			if d.StreamEnded() {
				break
			}
		}
	}
	if got := strings.Join(frames, " "); got != "abc def gh" {
		t.Fatalf("DATA frames %q, want \"abc def gh\"", got)
	}
}

// TestH2ClientPushPromise: a PUSH_PROMISE from the client ends the
// connection with GOAWAY PROTOCOL_ERROR on its header alone, as nginx
// does, without waiting for a payload that may never come.
func TestH2ClientPushPromise(t *testing.T) {
	addr := startH2(t, func(w http.ResponseWriter, r *http.Request) {})
	cl := dialH2(t, addr)
	cl.c.Write([]byte{0, 0, 4, 5, 0, 0, 0, 0, 1}) // length 4, nothing after
	for {
		f := cl.next()
		if g, ok := f.(*http2.GoAwayFrame); ok {
			if g.ErrCode != http2.ErrCodeProtocol {
				t.Fatalf("GOAWAY %v, want PROTOCOL_ERROR", g.ErrCode)
			}
			return
		}
	}
}
