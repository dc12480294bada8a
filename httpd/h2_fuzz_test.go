package httpd

// h2_fuzz_test.go: the HTTP/2 connection loop under any frames.

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"goproxy/confparse"

	"golang.org/x/net/http2/hpack"
)

var (
	fuzzH2Once sync.Once
	fuzzH2Addr string
)

// fuzzH2Server is one server for every input: its handler reads the
// body, answers with more than a window's worth for /big, and panics
// for /panic (the engine must survive its own handlers too).
func fuzzH2Server(t testing.TB) string {
	fuzzH2Once.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		h := &faultHandler{idle: 2 * time.Second, serve: func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			switch r.URL.Path {
			case "/panic":
				panic("fuzz")
			case "/big":
				w.Write(bytes.Repeat([]byte("x"), 70000))
				return
			}
			w.Header()["Trailer"] = []string{"X-T"}
			io.WriteString(w, "ok")
			w.Header().Set("X-T", "1")
		}}
		s := &Server{Handler: faultH2Handler{h}, ErrorLog: func(confparse.Level, string) {}}
		go s.Serve(ln, ln.Addr().String())
		fuzzH2Addr = ln.Addr().String()
	})
	return fuzzH2Addr
}

// h2FuzzFrames turns fuzz input into frames with well-formed 9-byte
// headers, so that the input explores what frames say rather than
// frame-size errors: each record is type, flags, stream (one byte,
// small ids collide as a client's would), payload length, payload.
func h2FuzzFrames(in []byte) []byte {
	var out bytes.Buffer
	for len(in) >= 4 {
		typ, flags, sid, n := in[0]%10, in[1], uint32(in[2]), int(in[3])
		in = in[4:]
		n = min(n, len(in))
		var hdr [9]byte
		hdr[0], hdr[1], hdr[2] = byte(n>>16), byte(n>>8), byte(n)
		hdr[3], hdr[4] = typ, flags
		binary.BigEndian.PutUint32(hdr[5:], sid)
		out.Write(hdr[:])
		out.Write(in[:n])
		in = in[n:]
	}
	return out.Bytes()
}

// FuzzH2Frames sends any sequence of frames on a connection: the server
// must neither crash nor hang (the connection ends once the client
// closes its side), whatever the frames say.
func FuzzH2Frames(f *testing.F) {
	var blk bytes.Buffer
	enc := hpack.NewEncoder(&blk)
	for _, p := range []string{"/", "/big", "/panic"} {
		blk.Reset()
		for _, hf := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", p}, {":authority", "a"}} {
			enc.WriteField(hpack.HeaderField{Name: hf[0], Value: hf[1]})
		}
		b := blk.Bytes()
		// HEADERS (END_HEADERS), DATA "hi" with END_STREAM.
		seed := append([]byte{1, 4, 1, byte(len(b))}, b...)
		seed = append(seed, 0, 1, 1, 2, 'h', 'i')
		f.Add(seed)
		// The same, then WINDOW_UPDATE, RST_STREAM, SETTINGS, PING.
		more := append(append([]byte{}, seed...), 8, 0, 1, 4, 0, 0, 0x10, 0, 3, 0, 1, 4, 0, 0, 0, 8,
			4, 0, 0, 6, 0, 4, 0, 0, 0, 0, 6, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8)
		f.Add(more)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		addr := fuzzH2Server(t)
		c, err := net.DialTimeout("tcp", addr, 3*time.Second)
		if err != nil {
			t.Fatalf("dial: %v (the server stopped accepting?)", err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(append([]byte(h2Preface+"\x00\x00\x00\x04\x00\x00\x00\x00\x00"), h2FuzzFrames(in)...)); err != nil {
			return // the server ended the connection first
		}
		c.(*net.TCPConn).CloseWrite()
		if _, err := io.Copy(io.Discard, c); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the connection did not end within 5 s of the client's close")
			}
		}
	})
}
