package staticfs_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// exchange sends raw requests on one connection (all at once, or one
// after the other's answer when slow) and returns every response read
// before the server closed or went quiet.
func exchange(t *testing.T, addr string, reqs []string, slow bool) []*nginxtest.Response {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	var out []*nginxtest.Response
	read := func(method string) bool {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			return false
		}
		body, _ := io.ReadAll(resp.Body)
		r := &nginxtest.Response{Status: resp.StatusCode, Proto: resp.Proto, Header: resp.Header, Body: body}
		if te := resp.TransferEncoding; len(te) > 0 {
			r.Header["Transfer-Encoding"] = te
		}
		// The Connection header is what this test is about: keep it
		// visible even where net/http moves it.
		r.Header.Set("X-Test-Close", strconv.FormatBool(resp.Close))
		var raw bytes.Buffer
		resp.Header.Write(&raw)
		r.Raw = append([]byte(resp.Proto+" "+resp.Status+"\r\n"+raw.String()+"\r\n"), body...)
		out = append(out, r)
		return true
	}
	if !slow {
		io.WriteString(c, strings.Join(reqs, ""))
	}
	for _, r := range reqs {
		if slow {
			io.WriteString(c, r)
		}
		method, _, _ := strings.Cut(r, " ")
		if !read(method) {
			break
		}
	}
	// Anything more is a response nobody asked for.
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if extra, _ := io.ReadAll(br); len(extra) > 0 {
		out = append(out, &nginxtest.Response{Raw: extra, Status: -1})
	}
	return out
}

// comparePipeline runs exchange against both servers and compares each
// response.
func comparePipeline(t *testing.T, p *nginxtest.Pair, port int, slow bool, reqs ...string) {
	t.Helper()
	ng := exchange(t, "127.0.0.1:"+strconv.Itoa(p.Nginx.Ports[port]), reqs, slow)
	gp := exchange(t, "127.0.0.1:"+strconv.Itoa(p.Go.Ports[port]), reqs, slow)
	if len(ng) != len(gp) {
		t.Errorf("%q: nginx answered %d times, goproxy %d", reqs, len(ng), len(gp))
	}
	for i := 0; i < len(ng) && i < len(gp); i++ {
		if d := p.Diff(ng[i], gp[i]); d != "" {
			t.Errorf("%q, response %d:\n%s\n--- nginx:\n%s\n--- goproxy:\n%s", reqs, i, d, ng[i].Raw, gp[i].Raw)
		}
	}
}

const connConf = `events {}
http {
    access_log off;
    default_type text/plain;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        keepalive_requests 3;
        location /small/ { client_max_body_size 10; }
        location /ai/ { autoindex on; }
        location /echo { return 200 "echo $request_method $server_protocol $connection_requests\n"; }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        root {{ROOT}};
        keepalive_timeout 0;
    }
    server {
        listen 127.0.0.1:{{PORT2}};
        root {{ROOT}};
        keepalive_timeout 30s 7s;
        location /other/ { keepalive_timeout 0; }
    }
}
`

func TestKeepAliveAndMethods(t *testing.T) {
	p := nginxtest.Start(t, connConf, nginxtest.Options{Ports: 3, Files: map[string]string{
		"a.txt": "aaaa", "empty.txt": "", "dir/": "", "small/x": "x", "other/x": "o", "ai/f": "f",
	}})
	ka := func(method, path string, h ...string) string {
		return method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + strings.Join(append(h, ""), "\r\n") + "\r\n"
	}
	get := func(path string, h ...string) string { return ka("GET", path, h...) }
	for _, slow := range []bool{false, true} {
		comparePipeline(t, p, 0, slow, get("/a.txt"), get("/a.txt"), get("/a.txt"), get("/a.txt"))
		comparePipeline(t, p, 0, slow, get("/a.txt"), get("/missing"), get("/echo"), get("/a.txt"))
		comparePipeline(t, p, 0, slow, get("/a.txt"), get("/a.txt", "Connection: close"), get("/a.txt"))
		comparePipeline(t, p, 0, slow, ka("HEAD", "/a.txt"), ka("HEAD", "/missing"), ka("HEAD", "/echo"))
		comparePipeline(t, p, 0, slow, ka("POST", "/a.txt", "Content-Length: 5")+"hello", ka("POST", "/echo", "Content-Length: 3")+"abc", get("/a.txt"))
		comparePipeline(t, p, 0, slow, ka("POST", "/small/x", "Content-Length: 11")+"hello world", get("/a.txt"))
		comparePipeline(t, p, 0, slow, ka("PUT", "/a.txt", "Content-Length: 1")+"x", ka("DELETE", "/a.txt"), get("/a.txt"))
		comparePipeline(t, p, 0, slow, "GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET /a.txt HTTP/1.0\r\n\r\n", get("/a.txt"))
		comparePipeline(t, p, 0, slow, "GET /echo HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "GET /missing HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "HEAD /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		comparePipeline(t, p, 0, slow, get("/a.txt"), "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", get("/a.txt"))
		comparePipeline(t, p, 0, slow, get("/a.txt"), get("/%"), get("/a.txt"))
		comparePipeline(t, p, 0, slow, get("/dir"), get("/dir/"), get("/empty.txt"))
		// A listing has no length: chunked in HTTP/1.1, the end of the
		// connection in HTTP/1.0.
		comparePipeline(t, p, 0, slow, get("/ai/"), "GET /ai/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", get("/a.txt"))
		comparePipeline(t, p, 0, slow, get("/a.txt", "Connection: keep-alive, close"), get("/a.txt"))
		comparePipeline(t, p, 0, slow, get("/a.txt", "Connection: upgrade"), get("/a.txt", "Connection: foo,  CLOSE"), get("/a.txt"))
		comparePipeline(t, p, 1, slow, get("/a.txt"), get("/a.txt"))
		comparePipeline(t, p, 1, slow, "GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", get("/a.txt"))
		comparePipeline(t, p, 2, slow, get("/a.txt"), get("/missing"), get("/other/x"), get("/a.txt"))
		comparePipeline(t, p, 2, slow, "GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", get("/a.txt", "Connection: close"))
	}
	compare(t, p,
		"GET /a.txt\r\n", "GET /missing\r\n", "GET /dir\r\n", "GET /echo\r\n", "GET /a.txt junk\r\n", "HEAD /a.txt\r\n",
		"POST /a.txt\r\n", "GET\r\n", "GET /a.txt HTTP/0.9\r\n\r\n", "GET /a.txt HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /a.txt HTTP/2.0\r\nHost: x\r\n\r\n", "GET /a.txt HTTP/1.10\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /a.txt HTTP/01.1\r\nHost: x\r\nConnection: close\r\n\r\n", "get /a.txt HTTP/1.1\r\nHost: x\r\n\r\n",
		"\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "GET /a.txt HTTP/1.1\nHost: x\nConnection: close\n\n",
		nginxtest.Req("OPTIONS", "/a.txt"), nginxtest.Req("PATCH", "/a.txt"), nginxtest.Req("TRACE", "/a.txt"),
		nginxtest.Req("PROPFIND", "/a.txt"), nginxtest.Req("FOO", "/a.txt"), nginxtest.Req("OPTIONS", "*"),
		nginxtest.Req("HEAD", "/missing"), nginxtest.Req("HEAD", "/dir"), nginxtest.Req("HEAD", "/empty.txt"),
		nginxtest.Req("POST", "/dir/"), nginxtest.Req("POST", "/missing"), nginxtest.Req("PUT", "/missing"),
		nginxtest.Req("DELETE", "/dir/"), nginxtest.Req("PUT", "/dir"),
	)
}
