package proxy_test

// grpc_diff_test.go: grpc_pass side by side with nginx, to the backend
// of grpc_backend_test.go, from HTTP/2 clients (gRPC's own) and HTTP/1.1
// ones: status, headers, trailers and bodies of every kind of call, a
// backend that fails mid-stream, grpc_set_header, an upstream group with
// keepalive, and grpcs with verification.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"goproxy/httpcore"
	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
)

// grpcResult is what a client saw of one call.
type grpcResult struct {
	Status   int
	Header   string // sorted, without Date and Server
	Body     string
	Trailer  string
	Err      string // the body's read error, if any
	Messages []string
}

func (r grpcResult) String() string {
	r.Body = strings.NewReplacer(nginxtest.NginxVersion, "SERVER", "goproxy/"+httpcore.Version, "SERVER").Replace(r.Body)
	return fmt.Sprintf("status %d\nheaders:\n%s\nbody %q\ntrailers:\n%s\nerr %s", r.Status, r.Header, r.Body, r.Trailer, r.Err)
}

func headerText(h http.Header, skip ...string) string {
	var lines []string
	for k, vs := range h {
		if k == "Date" || k == "Server" || k == "X-Backend-Conn" || k == "Content-Length" {
			continue
		}
		lines = append(lines, k+": "+strings.Join(vs, ","))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// h2cTransport speaks HTTP/2 with prior knowledge, as gRPC clients do.
func h2cTransport() *http2.Transport {
	return &http2.Transport{AllowHTTP: true, DisableCompression: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}
}

func h2cClient() *http.Client {
	return &http.Client{Transport: h2cTransport(), Timeout: 10 * time.Second}
}

// grpcRequest starts a call to path with body, as a gRPC client
// does.
func grpcRequest(cl *http.Client, addr, path string, body io.Reader) (*http.Response, error) {
	req, _ := http.NewRequest("POST", "http://"+addr+path, body)
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("TE", "trailers")
	return cl.Do(req)
}

// call makes one gRPC call of method with the messages in.
func call(t *testing.T, cl *http.Client, addr, method string, in ...string) grpcResult {
	return callPath(t, cl, addr, "/test.Svc/"+method, in...)
}

// callPath makes one gRPC call to path.
func callPath(t *testing.T, cl *http.Client, addr, path string, in ...string) grpcResult {
	t.Helper()
	var body bytes.Buffer
	for _, m := range in {
		body.Write(grpcMsg(m))
	}
	resp, err := grpcRequest(cl, addr, path, &body)
	if err != nil {
		return grpcResult{Err: err.Error()}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	r := grpcResult{Status: resp.StatusCode, Header: headerText(resp.Header), Body: string(data), Trailer: headerText(resp.Trailer)}
	if err != nil {
		r.Err = "read failed"
	}
	return r
}

// bidi sends each message and waits for its echo before the next.
func bidi(t *testing.T, cl *http.Client, addr string, msgs ...string) grpcResult {
	t.Helper()
	pr, pw := io.Pipe()
	resp, err := grpcRequest(cl, addr, "/test.Svc/Bidi", pr)
	if err != nil {
		return grpcResult{Err: err.Error()}
	}
	defer resp.Body.Close()
	r := grpcResult{Status: resp.StatusCode, Header: headerText(resp.Header)}
	for _, m := range msgs {
		pw.Write(grpcMsg(m))
		got, err := readMsg(resp.Body)
		if err != nil {
			r.Err = "no echo of " + m
			pw.Close()
			return r
		}
		r.Messages = append(r.Messages, got)
	}
	pw.Close()
	rest, _ := io.ReadAll(resp.Body)
	r.Body = string(rest)
	r.Trailer = headerText(resp.Trailer)
	return r
}

const grpcConf = `
events {}
http {
    access_log {{DIR}}/access.log;
    upstream backend {
        server BACKEND;
        keepalive 4;
    }
    server {
        listen 127.0.0.1:{{PORT}} http2;
        location / {
            grpc_pass grpc://BACKEND;
        }
        location /test.Svc/Count {
            client_max_body_size 4m;
            grpc_pass BACKEND;
        }
        location /test.Svc/Headers {
            grpc_set_header X-Set "from $request_method";
            grpc_set_header User-Agent "";
            grpc_pass BACKEND;
        }
        location /group/ {
            rewrite ^/group(/.*) $1 break;
            grpc_pass grpc://backend;
        }
        location /intercept/ {
            rewrite ^/intercept(/.*) $1 break;
            grpc_intercept_errors on;
            error_page 500 /oops;
            grpc_pass BACKEND;
        }
        location = /oops {
            return 200 "intercepted\n";
        }
        location /hide/ {
            rewrite ^/hide(/.*) $1 break;
            grpc_hide_header X-Backend-Proto;
            grpc_set_header Host example.test;
            grpc_pass BACKEND;
        }
        location /bigok/ {
            rewrite ^/bigok(/.*) $1 break;
            grpc_buffer_size 16k;
            grpc_pass BACKEND;
        }
        location /slow/ {
            rewrite ^/slow(/.*) $1 break;
            grpc_read_timeout 300ms;
            grpc_pass BACKEND;
        }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        location / {
            grpc_pass grpc://BACKEND;
        }
    }
}
`

func TestGRPCDiff(t *testing.T) {
	b := startGRPCBackend(t, nil)
	p := nginxtest.Start(t, strings.ReplaceAll(grpcConf, "BACKEND", b.addr), nginxtest.Options{Ports: 2})
	ng, gp := h2cClient(), h2cClient()
	both := func(name string, f func(cl *http.Client, addr string) grpcResult) {
		t.Helper()
		n, g := f(ng, p.Nginx.Addr()), f(gp, p.Go.Addr())
		if n.String() != g.String() {
			t.Errorf("%s:\n--- nginx:\n%s\n--- goproxy:\n%s", name, n, g)
		}
	}
	for _, c := range []struct {
		method string
		in     []string
	}{
		{"Unary", []string{"world"}},
		{"ServerStream", []string{"5"}},
		{"ClientStream", []string{"a", "b", "c"}},
		{"Error", nil},
		{"ErrorAfter", nil},
		{"Status500", nil},
		{"Headers", []string{"x"}},
		{"Die", nil},
		{"Reset", nil},
	} {
		both(c.method, func(cl *http.Client, addr string) grpcResult { return call(t, cl, addr, c.method, c.in...) })
	}
	for _, path := range []string{"/intercept/test.Svc/Status500", "/intercept/test.Svc/Unary", "/hide/test.Svc/Headers",
		"/test.Svc/BigHeader", "/bigok/test.Svc/BigHeader",
		"/slow/test.Svc/Slow"} {
		both(path, func(cl *http.Client, addr string) grpcResult { return callPath(t, cl, addr, path, "x") })
	}
	big := make([]string, 200)
	for i := range big {
		big[i] = strings.Repeat("y", 10<<10)
	}
	both("Count", func(cl *http.Client, addr string) grpcResult { return call(t, cl, addr, "Count", big...) })
	both("Count, too large", func(cl *http.Client, addr string) grpcResult {
		return callPath(t, cl, addr, "/group/test.Svc/Count", big...)
	})
	both("Big", func(cl *http.Client, addr string) grpcResult {
		r := call(t, cl, addr, "Big")
		r.Body = fmt.Sprintf("%d bytes", len(r.Body))
		return r
	})
	both("Bidi", func(cl *http.Client, addr string) grpcResult { return bidi(t, cl, addr, "one", "two", "three") })

	// An HTTP/1.1 client: the call goes upstream as HTTP/2 all the same;
	// what comes back is chunked, with the trailers in the last chunk
	// only for a client that said TE: trailers.
	msg := string(grpcMsg("world"))
	for _, raw := range []string{
		"POST /test.Svc/Unary HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/grpc\r\nTE: trailers\r\nContent-Length: 10\r\n\r\n" + msg,
		"POST /test.Svc/Unary HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/grpc\r\nContent-Length: 10\r\n\r\n" + msg,
		"POST /test.Svc/Unary HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\n\r\na\r\n" + msg + "\r\n0\r\n\r\n",
		"POST /test.Svc/ServerStream HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTE: trailers\r\nContent-Length: 6\r\n\r\n" + string(grpcMsg("3")),
		"POST /test.Svc/ServerStream HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 6\r\n\r\n" + string(grpcMsg("3")),
		"POST /test.Svc/ServerStream HTTP/1.0\r\nHost: x\r\nTE: trailers\r\nContent-Length: 6\r\n\r\n" + string(grpcMsg("3")),
		"POST /test.Svc/Error HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTE: trailers\r\nContent-Length: 0\r\n\r\n",
		"POST /test.Svc/ErrorAfter HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTE: trailers\r\nContent-Length: 0\r\n\r\n",
		"POST /test.Svc/Status500 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
		"GET /test.Svc/Headers?a=b HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Client: 1\r\n\r\n",
		"POST /test.Svc/Die HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTE: trailers\r\nContent-Length: 0\r\n\r\n",
	} {
		n := nginxtest.Do(t, p.Nginx.AddrN(1), raw)
		g := nginxtest.Do(t, p.Go.AddrN(1), raw)
		nr, gr := http1Text(n.Raw), http1Text(g.Raw)
		if nr != gr {
			t.Errorf("%q:\n--- nginx:\n%s\n--- goproxy:\n%s", raw, nr, gr)
		}
	}
	if n, g := earlyHTTP1(t, p.Nginx.AddrN(1)), earlyHTTP1(t, p.Go.AddrN(1)); n != g {
		t.Errorf("an answer before the request's end, HTTP/1.1:\n--- nginx:\n%s\n--- goproxy:\n%s", n, g)
	}
	both("an answer before the request's end", func(cl *http.Client, addr string) grpcResult {
		pr, pw := io.Pipe()
		defer pw.Close()
		go pw.Write(grpcMsg("first"))
		resp, err := grpcRequest(cl, addr, "/test.Svc/EarlyError", pr)
		if err != nil {
			return grpcResult{Err: err.Error()}
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return grpcResult{Status: resp.StatusCode, Header: headerText(resp.Header), Body: string(body), Trailer: headerText(resp.Trailer)}
	})
	if n, g := bidiHTTP1(t, p.Nginx.AddrN(1)), bidiHTTP1(t, p.Go.AddrN(1)); n != g || !strings.Contains(g, "echo two") {
		t.Errorf("bidi over HTTP/1.1:\n--- nginx:\n%s\n--- goproxy:\n%s", n, g)
	}
	compareLogs(t, p)
}

// dialFor connects to addr for at most d.
func dialFor(t *testing.T, addr string, d time.Duration) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(d))
	return c
}

// earlyHTTP1 is a call whose upstream answers (an error, alone) before
// the client has sent all of its chunked body.
func earlyHTTP1(t *testing.T, addr string) string {
	c := dialFor(t, addr, 3*time.Second)
	defer c.Close()
	msg := grpcMsg("first")
	fmt.Fprintf(c, "POST /test.Svc/EarlyError HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(msg), msg)
	data, err := io.ReadAll(c)
	return http1Text(data) + fmt.Sprintf("\nread: %v", err)
}

// bidiHTTP1 is a bidirectional call from an HTTP/1.1 client: each
// message goes in a chunk of its own, and its echo must come back
// before the next is sent.
func bidiHTTP1(t *testing.T, addr string) string {
	c := dialFor(t, addr, 5*time.Second)
	defer c.Close()
	io.WriteString(c, "POST /test.Svc/Bidi HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\n\r\n")
	var out []string
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return "no response: " + err.Error()
	}
	out = append(out, resp.Status)
	for _, m := range []string{"one", "two"} {
		msg := grpcMsg(m)
		fmt.Fprintf(c, "%x\r\n%s\r\n", len(msg), msg)
		got, err := readMsg(resp.Body)
		if err != nil {
			return strings.Join(append(out, "no echo of "+m), "\n")
		}
		out = append(out, got)
	}
	io.WriteString(c, "0\r\n\r\n")
	rest, _ := io.ReadAll(resp.Body)
	return strings.Join(append(out, fmt.Sprintf("rest %q trailers %v", rest, resp.Trailer)), "\n")
}

// http1Text is a raw HTTP/1.1 response without its Date and Server,
// a chunked body decoded (how a stream falls into chunks is timing):
// the data, the trailer lines, and whether it ended.
func http1Text(raw []byte) string {
	head, body, _ := strings.Cut(string(raw), "\r\n\r\n")
	var out []string
	for _, l := range strings.Split(head, "\r\n") {
		if !strings.HasPrefix(l, "Date: ") && !strings.HasPrefix(l, "Server: ") && !strings.HasPrefix(strings.ToLower(l), "x-backend-conn: ") {
			out = append(out, l)
		}
	}
	if !strings.Contains(head, "Transfer-Encoding: chunked") {
		return strings.Join(out, "\r\n") + "\r\n\r\n" + body
	}
	var data strings.Builder
	for {
		size, rest, ok := strings.Cut(body, "\r\n")
		n, err := strconv.ParseInt(size, 16, 64)
		if !ok || err != nil || int64(len(rest)) < n {
			out = append(out, "(cut short) "+data.String())
			break
		}
		if n == 0 {
			out = append(out, "(chunked) "+data.String(), "trailers: "+rest)
			break
		}
		data.WriteString(rest[:n])
		body = strings.TrimPrefix(rest[n:], "\r\n")
	}
	return strings.Join(out, "\r\n")
}

// compareLogs compares the error logs of the two servers, ports
// hidden.
func compareLogs(t *testing.T, p *nginxtest.Pair) {
	t.Helper()
	hide := func(s *nginxtest.Server) string {
		out := strings.Join(errorLines(s), "\n")
		for i, port := range s.Ports {
			out = strings.ReplaceAll(out, strconv.Itoa(port), "PORT"+strconv.Itoa(i))
		}
		return out
	}
	if n, g := hide(p.Nginx), hide(p.Go); n != g {
		t.Errorf("error logs:\n--- nginx:\n%s\n--- goproxy:\n%s", n, g)
	}
}

const grpcUpstreamConf = `
events {}
http {
    log_format up "$request_uri $status [$upstream_status] [$upstream_addr]";
    access_log {{DIR}}/access.log up;
    upstream backend {
        server DEAD;
        server BACKEND;
        keepalive 4;
    }
    server {
        listen 127.0.0.1:{{PORT}} http2;
        location /group/ {
            rewrite ^/group(/.*) $1 break;
            grpc_pass grpc://backend;
        }
        location /vars/ {
            set $b BACKEND;
            rewrite ^/vars(/.*) $1 break;
            grpc_pass $b;
        }
        location /varsgroup/ {
            set $b backend;
            rewrite ^/varsgroup(/.*) $1 break;
            grpc_pass grpc://$b;
        }
        location /tls/ {
            rewrite ^/tls(/.*) $1 break;
            grpc_pass grpcs://TLSBACKEND;
            grpc_ssl_verify on;
            grpc_ssl_trusted_certificate {{ROOT}}/ca.crt;
            grpc_ssl_name backend.test;
        }
        location /tlswrong/ {
            rewrite ^/tlswrong(/.*) $1 break;
            grpc_pass grpcs://TLSBACKEND;
            grpc_ssl_verify on;
            grpc_ssl_trusted_certificate {{ROOT}}/ca.crt;
            grpc_ssl_name wrong.test;
        }
        location /bind/ {
            rewrite ^/bind(/.*) $1 break;
            grpc_bind 127.0.0.2;
            grpc_socket_keepalive on;
            grpc_pass BACKEND;
        }
        location /http1/ {
            rewrite ^/http1(/.*) $1 break;
            grpc_pass HTTP1BACKEND;
        }
        location /tlsnoverify/ {
            rewrite ^/tlsnoverify(/.*) $1 break;
            grpc_pass grpcs://TLSBACKEND;
        }
    }
}
`

// TestGRPCUpstreams: grpc_pass to an upstream group (a dead server
// skipped by next upstream, the connection kept), with variables, and
// grpcs with and without verification, beside nginx.
func TestGRPCUpstreams(t *testing.T) {
	ca := testcerts.NewCA(t, "grpc ca")
	cert := ca.Server(t, testcerts.Opts{}, "backend.test").TLS()
	b := startGRPCBackend(t, nil)
	tb := startGRPCBackend(t, &cert)
	dead := nginxtest.FreePort(t)
	h1 := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(h1.Close)
	conf := strings.NewReplacer("HTTP1BACKEND", h1.Listener.Addr().String(), "TLSBACKEND", tb.addr, "BACKEND", b.addr, "DEAD", "127.0.0.1:"+strconv.Itoa(dead)).Replace(grpcUpstreamConf)
	p := nginxtest.Start(t, conf, nginxtest.Options{Files: map[string]string{"ca.crt": string(ca.CertPEM)}})
	var conns [2]int64
	for i, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		cl := h2cClient()
		before := b.conns.Load()
		for _, path := range []string{"group/test.Svc/Unary", "group/test.Svc/ServerStream", "group/test.Svc/Unary"} {
			method, arg := path[strings.LastIndexByte(path, '/')+1:], "2"
			r := callPath(t, cl, s.Addr(), "/"+path, arg)
			if want := map[string]string{"Unary": "hello 2", "ServerStream": "item 1"}[method]; r.Status != 200 || !strings.Contains(r.Body, want) || !strings.Contains(r.Trailer, "Grpc-Status: 0") {
				t.Errorf("%s %s: %s", s.Name, path, r)
			}
		}
		conns[i] = b.conns.Load() - before
	}
	if conns[0] != conns[1] {
		t.Errorf("upstream connections for three calls through a keepalive group: nginx %d, goproxy %d", conns[0], conns[1])
	}
	ng, gp := h2cClient(), h2cClient()
	for _, path := range []string{"/vars/test.Svc/Unary", "/varsgroup/test.Svc/Unary", "/vars/test.Svc/Headers",
		"/varsgroup/test.Svc/Headers", "/group/test.Svc/Headers", "/tls/test.Svc/Headers", "/tls/test.Svc/Unary",
		"/tlswrong/test.Svc/Unary", "/tlsnoverify/test.Svc/ClientStream", "/http1/test.Svc/Unary", "/bind/test.Svc/Headers"} {
		n, g := callPath(t, ng, p.Nginx.Addr(), path, "x"), callPath(t, gp, p.Go.Addr(), path, "x")
		if n.String() != g.String() {
			t.Errorf("%s:\n--- nginx:\n%s\n--- goproxy:\n%s", path, n, g)
		}
	}
	compareLogs(t, p)
	// A request's line is written once its response has gone: wait
	// for the 14 of them.
	access := func(s *nginxtest.Server) string {
		var b []byte
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if b, _ = os.ReadFile(filepath.Join(s.Dir, "access.log")); bytes.Count(b, []byte("\n")) >= 14 {
				break
			}
		}
		return string(b)
	}
	if n, g := access(p.Nginx), access(p.Go); n != g {
		t.Errorf("access logs:\n--- nginx:\n%s\n--- goproxy:\n%s", n, g)
	}
	// Calls at once on one client connection: each takes a kept
	// upstream connection of its own or a new one.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			in := strconv.Itoa(i % 4)
			r := callPath(t, gp, p.Go.Addr(), "/group/test.Svc/ServerStream", in)
			if n := strings.Count(r.Body, "item "); r.Status != 200 || n != i%4 || !strings.Contains(r.Trailer, "Grpc-Status: 0") {
				t.Errorf("concurrent call %d: %d items\n%s", i, n, r)
			}
		}(i)
	}
	wg.Wait()
}
