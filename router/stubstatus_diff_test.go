package router_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

const stubConf = `events {}
http {
    access_log off;
    root {{ROOT}};
    server {
        listen 127.0.0.1:{{PORT}};
        location = /status { stub_status; }
        location = /old { stub_status on; }
        location = /vars { add_header X-Conn "$connections_active $connections_reading $connections_writing $connections_waiting" always; try_files /x =404; }
    }
}
`

var stubRe = regexp.MustCompile(`^Active connections: (\d+) \nserver accepts handled requests\n (\d+) (\d+) (\d+) \nReading: (\d+) Writing: (\d+) Waiting: (\d+) \n$`)

type stubCounts struct{ active, accepts, handled, requests, reading, writing, waiting int }

// stubWait reads the status page until the connection states are the
// wanted ones (a connection's state changes just after the client sees
// its answer), then returns the counters less the extra reads made so
// far (*extra counts them across calls), so that both servers can be
// compared exactly.
func stubWait(t *testing.T, addr string, extra *int, reading, writing, waiting int) stubCounts {
	t.Helper()
	for try := 0; try < 200; try++ {
		r := nginxtest.Do(t, addr, nginxtest.Get("/status"))
		m := stubRe.FindStringSubmatch(string(r.Body))
		if r.Status != 200 || m == nil || r.Header.Get("Content-Type") != "text/plain" {
			t.Fatalf("%s: bad status page %d %q", addr, r.Status, r.Body)
		}
		n := make([]int, 8)
		for i := 1; i < 8; i++ {
			n[i], _ = strconv.Atoi(m[i])
		}
		e := *extra + try
		c := stubCounts{n[1], n[2] - e, n[3] - e, n[4] - e, n[5], n[6], n[7]}
		if c.reading == reading && c.writing == writing && c.waiting == waiting {
			*extra = e
			return c
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: connection states never became reading %d writing %d waiting %d", addr, reading, writing, waiting)
	return stubCounts{}
}

// TestStubStatusLikeNginx counts connections and requests through a
// known sequence — closed ones, a keep-alive one left idle, one stopped
// in the middle of its head — and compares the counters with nginx's.
func TestStubStatusLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, stubConf, nginxtest.Options{Files: map[string]string{"x": "x\n"}})
	p.Compare(t, nginxtest.Req("HEAD", "/status"))
	p.Compare(t, nginxtest.Req("POST", "/status"))
	p.Compare(t, nginxtest.Req("DELETE", "/old"))
	var got [2][2]stubCounts
	for i, addr := range []string{p.Nginx.Addr(), p.Go.Addr()} {
		extra := 0
		for n := 0; n < 3; n++ {
			nginxtest.Do(t, addr, nginxtest.Get("/x"))
		}
		keep, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(keep)
		for n := 0; n < 2; n++ {
			fmt.Fprint(keep, "GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		half, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(half, "GET /x HTTP/1.1\r\nHost: local")
		got[i][0] = stubWait(t, addr, &extra, 1, 1, 1)
		keep.Close()
		half.Close()
		got[i][1] = stubWait(t, addr, &extra, 0, 1, 0)
	}
	if got[0] != got[1] {
		t.Errorf("stub_status counters differ:\nnginx:   %+v\ngoproxy: %+v", got[0], got[1])
	}
	if got[1][0].active != 3 || got[1][1].active != 1 {
		t.Errorf("unexpected counters %+v", got[1])
	}
	// The variables, on a fresh connection after the others are gone.
	for _, addr := range []string{p.Nginx.Addr(), p.Go.Addr()} {
		extra := 0
		stubWait(t, addr, &extra, 0, 1, 0)
		if r := nginxtest.Do(t, addr, nginxtest.Get("/vars")); r.Header.Get("X-Conn") != "1 0 1 0" {
			t.Errorf("%s: $connections_*: %q", addr, r.Header.Get("X-Conn"))
		}
	}
}
