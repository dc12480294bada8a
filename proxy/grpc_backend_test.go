package proxy_test

// grpc_backend_test.go is a gRPC-like upstream for the gRPC module's
// tests: a plain HTTP/2 server (h2c, or TLS with ALPN h2) speaking the
// gRPC framing (a flag byte and a 32-bit length before each message),
// with unary, server-streaming, client-streaming and bidirectional
// calls, errors in trailers or alone, and a call whose connection dies
// mid-stream.

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

// grpcMsg frames one gRPC message.
func grpcMsg(s string) []byte {
	b := make([]byte, 5, 5+len(s))
	binary.BigEndian.PutUint32(b[1:], uint32(len(s)))
	return append(b, s...)
}

// readMsg reads one gRPC message; io.EOF at a clean end.
func readMsg(r io.Reader) (string, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return "", err
	}
	b := make([]byte, binary.BigEndian.Uint32(h[1:]))
	_, err := io.ReadFull(r, b)
	return string(b), err
}

type connKey struct{}

// grpcBackend is the upstream; conns counts the connections it
// accepted (keepalive reuses them).
type grpcBackend struct {
	addr  string
	conns atomic.Int64
}

func startGRPCBackend(t *testing.T, cert *tls.Certificate) *grpcBackend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &grpcBackend{addr: ln.Addr().String()}
	srv := &http.Server{
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			b.conns.Add(1)
			return context.WithValue(ctx, connKey{}, c)
		},
	}
	if cert != nil {
		srv.Handler = http.HandlerFunc(b.serve)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}, NextProtos: []string{"h2"}}
		http2.ConfigureServer(srv, &http2.Server{})
		go srv.ServeTLS(ln, "", "")
	} else {
		srv.Handler = h2c.NewHandler(http.HandlerFunc(b.serve), &http2.Server{})
		go srv.Serve(ln)
	}
	t.Cleanup(func() { srv.Close() })
	return b
}

func (b *grpcBackend) serve(w http.ResponseWriter, r *http.Request) {
	fl := w.(http.Flusher)
	method := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	if method != "EarlyError" {
		// The request is read to its end before the answer ends, as a
		// gRPC server does: Go's resets a stream it has not read,
		// which nginx, in a race, may see as the upstream's failure.
		defer io.Copy(io.Discard, r.Body)
	}
	w.Header().Set("Content-Type", "application/grpc")
	w.Header().Set("X-Backend-Proto", r.Proto)
	w.Header().Set("X-Backend-Conn", strconv.FormatInt(b.conns.Load(), 10))
	ok := func() {
		w.Header().Set("Grpc-Status", "0")
		w.Header().Set("Grpc-Message", "")
	}
	w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
	switch method {
	case "Unary":
		in, _ := readMsg(r.Body)
		w.Write(grpcMsg("hello " + in))
		ok()
	case "Headers":
		// The request as the upstream saw it.
		var lines []string
		for k, vs := range r.Header {
			lines = append(lines, k+": "+strings.Join(vs, ","))
		}
		sort.Strings(lines)
		peer, _, _ := net.SplitHostPort(r.RemoteAddr)
		lines = append(lines, "Peer: "+peer, "Host: "+r.Host, "Method: "+r.Method, "URI: "+r.RequestURI,
			"Length: "+strconv.FormatInt(r.ContentLength, 10))
		io.Copy(io.Discard, r.Body)
		w.Write(grpcMsg(strings.Join(lines, "\n")))
		ok()
	case "ServerStream":
		in, _ := readMsg(r.Body)
		n, _ := strconv.Atoi(in)
		for i := 0; i < n; i++ {
			w.Write(grpcMsg("item " + strconv.Itoa(i)))
			fl.Flush()
		}
		ok()
	case "ClientStream":
		var got []string
		for {
			m, err := readMsg(r.Body)
			if err != nil {
				break
			}
			got = append(got, m)
		}
		w.Write(grpcMsg(fmt.Sprintf("%d: %s", len(got), strings.Join(got, ","))))
		ok()
	case "Bidi":
		// Each message is answered before the next is read: only a
		// proxy that streams both ways gets through.
		w.WriteHeader(200)
		fl.Flush()
		for {
			m, err := readMsg(r.Body)
			if err != nil {
				break
			}
			w.Write(grpcMsg("echo " + m))
			fl.Flush()
		}
		ok()
	case "Error", "EarlyError":
		// A trailers-only response: the status in the headers
		// (EarlyError: before the request's end, once what the client
		// sent first has come, so that no more of it follows the
		// stream's end).
		if method == "EarlyError" {
			time.Sleep(100 * time.Millisecond)
		}
		w.Header().Del("Trailer")
		w.Header().Set("Grpc-Status", "5")
		w.Header().Set("Grpc-Message", "no such thing")
		w.WriteHeader(200)
	case "ErrorAfter":
		w.Write(grpcMsg("partial"))
		w.Header().Set("Grpc-Status", "13")
		w.Header().Set("Grpc-Message", "went wrong")
	case "Die":
		w.Write(grpcMsg("first"))
		fl.Flush()
		time.Sleep(50 * time.Millisecond) // the message goes on first
		r.Context().Value(connKey{}).(net.Conn).Close()
	case "Reset":
		w.Write(grpcMsg("first"))
		fl.Flush()
		time.Sleep(50 * time.Millisecond)
		panic(http.ErrAbortHandler)
	case "BigHeader":
		w.Header().Set("X-Big", strings.Repeat("b", 6000))
		w.Write(grpcMsg("big"))
		ok()
	case "Count":
		n, size := 0, 0
		for {
			m, err := readMsg(r.Body)
			if err != nil {
				break
			}
			n, size = n+1, size+len(m)
		}
		w.Write(grpcMsg(fmt.Sprintf("%d messages, %d bytes", n, size)))
		ok()
	case "Big":
		// More than the windows nginx and goproxy open: their reading
		// must give them back.
		chunk := strings.Repeat("z", 64<<10)
		for i := 0; i < 40; i++ {
			w.Write(grpcMsg(chunk))
		}
		ok()
	case "Slow":
		time.Sleep(time.Second)
		w.Write(grpcMsg("late"))
		ok()
	case "Status500":
		w.Header().Del("Trailer")
		w.WriteHeader(500)
		io.WriteString(w, "backend failed\n")
	}
}
