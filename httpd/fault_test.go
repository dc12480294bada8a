package httpd

// fault_test.go: the engine under faults — a panicking handler, idle
// connections that park and wake, the connection cap, a client that goes
// away while its request is served. Real sockets on loopback; the
// handlers are the test's, the engine paths the production ones.

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"goproxy/confparse"
	"goproxy/internal/testcerts"
)

var faultLimits = Limits{HeaderTimeout: 5 * time.Second, HeaderBufferSize: 1024, LargeBufferSize: 8192, LargeBuffers: 4}

// faultHandler answers "ok" unless serve says otherwise; refused
// requests get a page with a Content-Length, as the router's.
type faultHandler struct {
	serve func(w http.ResponseWriter, r *http.Request)
	idle  time.Duration // keepalive_timeout
}

func (h *faultHandler) Limits(c *Conn) Limits { return faultLimits }

func (h *faultHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.(ConnWriter).Conn().IdleTimeout = h.idle
	if h.serve != nil {
		h.serve(w, r)
		return
	}
	w.Header()["Content-Length"] = []string{"3"}
	io.WriteString(w, "ok\n")
}

func (h *faultHandler) ServeError(w http.ResponseWriter, r *http.Request, e *StatusError) {
	body := fmt.Sprintf("error %d\n", e.Status)
	w.Header()["Content-Length"] = []string{fmt.Sprint(len(body))}
	w.WriteHeader(e.Status)
	io.WriteString(w, body)
}

// logLines collects the engine's error-log lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) log(level confparse.Level, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, "["+level.String()+"] "+msg)
}

func (l *logLines) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func startFault(t *testing.T, h *faultHandler) (*Server, string, *logLines) {
	t.Helper()
	if h.idle == 0 {
		h.idle = 10 * time.Second
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &logLines{}
	s := &Server{Handler: h, ErrorLog: logs.log}
	go s.Serve(ln, ln.Addr().String())
	t.Cleanup(func() {
		ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s, ln.Addr().String(), logs
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

// get sends a GET on c and reads the response.
func get(t *testing.T, c net.Conn, br *bufio.Reader, path string) (*http.Response, string) {
	t.Helper()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", path)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// closedByServer says whether the server closed c (EOF within wait).
func closedByServer(c net.Conn, br *bufio.Reader, wait time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(wait))
	_, err := br.ReadByte()
	return err == io.EOF
}

// TestPanicCostsOneRequest: a panic before anything is written answers
// 500 and closes that connection; one after a partial answer closes it
// with the answer cut short; one while the answer is complete sends it.
// Each logs an [alert] with the stack, and the server serves on.
func TestPanicCostsOneRequest(t *testing.T) {
	h := &faultHandler{}
	h.serve = func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/early":
			panic("boom early")
		case "/late":
			w.Header()["Content-Length"] = []string{"10"}
			io.WriteString(w, "12345")
			w.(http.Flusher).Flush()
			panic(fmt.Errorf("boom late"))
		case "/cleanup":
			// The router's way: a deferred handler end writes the 500
			// page while the panic unwinds.
			defer func() {
				w.Header()["Content-Length"] = []string{"4"}
				w.WriteHeader(500)
				io.WriteString(w, "500\n")
			}()
			var m map[string]int
			m["x"] = 1
		case "/abort":
			panic(http.ErrAbortHandler)
		}
		w.Header()["Content-Length"] = []string{"3"}
		io.WriteString(w, "ok\n")
	}
	_, addr, logs := startFault(t, h)

	c, br := dial(t, addr)
	resp, body := get(t, c, br, "/early")
	if resp.StatusCode != 500 || body != "error 500\n" || !resp.Close {
		t.Errorf("/early: %d %q close=%v, want the 500 page and a close", resp.StatusCode, body, resp.Close)
	}
	if !closedByServer(c, br, 2*time.Second) {
		t.Error("/early: connection still open")
	}

	c, br = dial(t, addr)
	fmt.Fprintf(c, "GET /late HTTP/1.1\r\nHost: a\r\n\r\n")
	got, _ := io.ReadAll(br)
	if !strings.HasSuffix(string(got), "\r\n\r\n12345") {
		t.Errorf("/late: got %q, want the head and 5 of 10 bytes, then the close", got)
	}

	c, br = dial(t, addr)
	resp, body = get(t, c, br, "/cleanup")
	if resp.StatusCode != 500 || body != "500\n" {
		t.Errorf("/cleanup: %d %q, want the handler's own 500 page", resp.StatusCode, body)
	}
	if !closedByServer(c, br, 2*time.Second) {
		t.Error("/cleanup: connection still open")
	}

	c, br = dial(t, addr)
	fmt.Fprintf(c, "GET /abort HTTP/1.1\r\nHost: a\r\n\r\n")
	if got, _ := io.ReadAll(br); len(got) != 0 {
		t.Errorf("/abort: got %q, want a close without an answer", got)
	}

	c, br = dial(t, addr)
	if resp, body := get(t, c, br, "/"); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("after the panics: %d %q", resp.StatusCode, body)
	}
	text := logs.text()
	first := regexp.MustCompile(`\[alert\] \*\d+ panic serving request: boom early, client: 127\.0\.0\.1, ` +
		`request: "GET /early HTTP/1\.1", host: "a"\ngoroutine \d+ \[running\]:\ngoproxy/httpd\.TestPanicCostsOneRequest\.func1\(`)
	if !first.MatchString(text) {
		t.Errorf("error log lacks the alert with the stack from the panicking frame:\n%s", text)
	}
	for _, want := range []string{
		`panic serving request: boom late, client: 127.0.0.1, request: "GET /late HTTP/1.1"`,
		"panic serving request: assignment to entry in nil map",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("error log lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "GET /abort") {
		t.Errorf("http.ErrAbortHandler logged:\n%s", text)
	}
}

// parkedConn finds the server's one connection and reports whether it
// is parked without its buffer.
func parkedConn(s *Server) (parked, found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		return c.parked.Load() == parkParked, true
	}
	return false, false
}

// TestIdleConnectionParks: an idle keep-alive connection gives back its
// buffer and goroutine after idleGrace, is served again when the client
// sends, and is closed at keepalive_timeout; a parked connection does
// not delay a graceful stop.
func TestIdleConnectionParks(t *testing.T) {
	if thePoller() == nil {
		t.Skip("no idle poller on this system")
	}
	h := &faultHandler{idle: 700 * time.Millisecond}
	s, addr, _ := startFault(t, h)
	c, br := dial(t, addr)
	get(t, c, br, "/")
	time.Sleep(idleGrace + 150*time.Millisecond)
	if parked, found := parkedConn(s); !found || !parked {
		t.Fatalf("after %v idle: found=%v parked=%v, want parked", idleGrace+150*time.Millisecond, found, parked)
	}
	var last time.Time
	for i := 0; i < 2; i++ { // woken, served, parked again, woken again
		if resp, body := get(t, c, br, "/"); resp.StatusCode != 200 || body != "ok\n" {
			t.Fatalf("parked connection: %d %q", resp.StatusCode, body)
		}
		last = time.Now()
		time.Sleep(idleGrace + 150*time.Millisecond)
	}
	if !closedByServer(c, br, 2*time.Second) {
		t.Fatal("keepalive_timeout did not close the parked connection")
	}
	if d := time.Since(last); d < 650*time.Millisecond || d > 1200*time.Millisecond {
		t.Errorf("closed %v after the last response, want keepalive_timeout (700ms)", d)
	}

	// A parked connection closes at once on a graceful stop.
	c, br = dial(t, addr)
	get(t, c, br, "/")
	time.Sleep(idleGrace + 150*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with a parked connection: %v", err)
	}
	if !closedByServer(c, br, time.Second) {
		t.Error("parked connection open after shutdown")
	}
}

// TestPipelinedNeverParks: requests already buffered are served without
// waiting, and a slow client whose request arrives in pieces after the
// grace is read whole.
func TestPipelinedNeverParks(t *testing.T) {
	_, addr, _ := startFault(t, &faultHandler{})
	c, br := dial(t, addr)
	io.WriteString(c, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
	for i := 0; i < 2; i++ {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
	}
	time.Sleep(idleGrace + 100*time.Millisecond)
	io.WriteString(c, "GET /3 HTTP/1.1\r\n")
	time.Sleep(idleGrace + 100*time.Millisecond)
	io.WriteString(c, "Host: a\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("request in pieces: %v %v", resp, err)
	}
}

// TestConnectionCap: at the cap the longest-idle connection is closed for
// the new one with nginx's warning; with none idle the new connection is
// closed with nginx's alert, and accepts resume once one goes.
func TestConnectionCap(t *testing.T) {
	s, addr, logs := startFault(t, &faultHandler{})
	s.SetConnLimits(ConnLimits{WorkerConnections: 4, Max: 3})
	var idle []net.Conn
	var idleR []*bufio.Reader
	for i := 0; i < 3; i++ {
		c, br := dial(t, addr)
		get(t, c, br, "/")
		idle, idleR = append(idle, c), append(idleR, br)
		time.Sleep(20 * time.Millisecond) // distinct idle times
	}
	c, br := dial(t, addr)
	if resp, _ := get(t, c, br, "/"); resp.StatusCode != 200 {
		t.Fatalf("new connection at the cap: %d", resp.StatusCode)
	}
	if !closedByServer(idle[0], idleR[0], 2*time.Second) {
		t.Error("the longest-idle connection was not reused")
	}
	for i := 1; i < 3; i++ {
		if closedByServer(idle[i], idleR[i], 50*time.Millisecond) {
			t.Errorf("idle connection %d closed too", i)
		}
	}
	if !strings.Contains(logs.text(), "[warn] 4 worker_connections are not enough, reusing connections") {
		t.Errorf("no reuse warning:\n%s", logs.text())
	}

	// Three busy connections (a request head begun), none idle.
	s2, addr2, logs2 := startFault(t, &faultHandler{})
	s2.SetConnLimits(ConnLimits{WorkerConnections: 4, Max: 3})
	var busy []net.Conn
	for i := 0; i < 3; i++ {
		c, _ := dial(t, addr2)
		io.WriteString(c, "GET / HTTP/1.1\r\n")
		busy = append(busy, c)
	}
	time.Sleep(100 * time.Millisecond)
	c, br = dial(t, addr2)
	if !closedByServer(c, br, 2*time.Second) {
		t.Error("connection beyond the cap not closed")
	}
	if !strings.Contains(logs2.text(), "[alert] 4 worker_connections are not enough") {
		t.Errorf("no alert:\n%s", logs2.text())
	}
	if got := s2.Stats.Snapshot(); got.Accepts != 4 || got.Handled != 3 {
		t.Errorf("stub_status accepts/handled %d/%d, want 4/3", got.Accepts, got.Handled)
	}
	busy[0].Close()
	time.Sleep(100 * time.Millisecond)
	c, br = dial(t, addr2)
	if resp, _ := get(t, c, br, "/"); resp.StatusCode != 200 {
		t.Errorf("after a slot freed: %d", resp.StatusCode)
	}
}

type watchProbe struct{ closed chan struct{} }

func (p *watchProbe) ClientClosed(error) { close(p.closed) }

// TestClientWatch: a client that closes while its request is served is
// reported; one that pipelines its next request is not, and that request
// is served after.
func TestClientWatch(t *testing.T) {
	if thePoller() == nil {
		t.Skip("no idle poller on this system")
	}
	reported := make(chan bool, 4)
	h := &faultHandler{}
	h.serve = func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/watch" {
			p := &watchProbe{closed: make(chan struct{})}
			if !w.(ClientWatch).WatchClient(p) {
				t.Error("WatchClient refused")
			}
			select {
			case <-p.closed:
				reported <- true
			case <-time.After(500 * time.Millisecond):
				reported <- false
			}
			w.(ClientWatch).UnwatchClient()
		}
		w.Header()["Content-Length"] = []string{"3"}
		io.WriteString(w, "ok\n")
	}
	_, addr, _ := startFault(t, h)

	c, _ := dial(t, addr)
	io.WriteString(c, "GET /watch HTTP/1.1\r\nHost: a\r\n\r\n")
	time.Sleep(50 * time.Millisecond)
	c.Close()
	if !<-reported {
		t.Error("client close not reported")
	}

	c, br := dial(t, addr)
	io.WriteString(c, "GET /watch HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n")
	if <-reported {
		t.Error("a pipelined request taken for a close")
	}
	for i := 0; i < 2; i++ {
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("response %d: %v %v", i, resp, err)
		}
		io.Copy(io.Discard, resp.Body)
	}
}

type faultH2Handler struct{ *faultHandler }

func (h faultH2Handler) HTTP2(*Conn) H2Settings {
	return H2Settings{Cleartext: H2Only, MaxConcurrentStreams: 16, IdleTimeout: 10 * time.Second}
}

// TestPanicOverHTTP2: a stream whose handler panics gets the 500 page
// if nothing was answered, a reset if the answer was begun; the [alert]
// is logged and the connection's other streams carry on.
func TestPanicOverHTTP2(t *testing.T) {
	h := &faultHandler{idle: 10 * time.Second}
	h.serve = func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/early":
			panic("h2 early")
		case "/late":
			w.Header()["Content-Length"] = []string{"10"}
			io.WriteString(w, "12345")
			w.(http.Flusher).Flush()
			panic("h2 late")
		}
		w.Header()["Content-Length"] = []string{"3"}
		io.WriteString(w, "ok\n")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	logs := &logLines{}
	s := &Server{Handler: faultH2Handler{h}, ErrorLog: logs.log}
	go s.Serve(ln, ln.Addr().String())
	defer s.Close()
	tr := &http2.Transport{AllowHTTP: true, DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	base := "http://" + ln.Addr().String()
	resp, err := client.Get(base + "/early")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 500 || string(body) != "error 500\n" {
		t.Errorf("/early: %d %q, want the 500 page", resp.StatusCode, body)
	}
	if resp, err := client.Get(base + "/late"); err == nil {
		if _, err := io.ReadAll(resp.Body); err == nil {
			t.Error("/late: body read whole, want the stream reset")
		}
	}
	resp, err = client.Get(base + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the panics: %v %v", resp, err)
	}
	resp.Body.Close()
	text := logs.text()
	for _, want := range []string{`panic serving request: h2 early, client: 127.0.0.1, request: "GET /early HTTP/2.0"`,
		`panic serving request: h2 late`} {
		if !strings.Contains(text, want) {
			t.Errorf("error log lacks %q:\n%s", want, text)
		}
	}
}

// TestIdleTLSConnectionParks: a TLS keep-alive connection parks as a
// plain one does and reads its next request whole after the wake.
func TestIdleTLSConnectionParks(t *testing.T) {
	if thePoller() == nil {
		t.Skip("no idle poller on this system")
	}
	ca := testcerts.NewCA(t, "ca")
	cert := ca.Server(t, testcerts.Opts{}, "localhost")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := &Server{Handler: &faultHandler{idle: 10 * time.Second}}
	go s.ServeTLS(ln, ln.Addr().String(), &tls.Config{Certificates: []tls.Certificate{cert.TLS()}})
	defer s.Close()
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for i := 0; i < 3; i++ {
		if resp, body := get(t, c, br, "/"); resp.StatusCode != 200 || body != "ok\n" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
		time.Sleep(idleGrace*2 + 100*time.Millisecond)
		if parked, _ := parkedConn(s); !parked {
			t.Fatalf("after request %d: the TLS connection did not park", i)
		}
	}
}

// TestHandlerConnectionHeader: a Connection, Keep-Alive or
// Transfer-Encoding header the handler sets (add_header) neither decides
// keep-alive nor replaces the engine's own: nginx writes its own first
// and then those among the others, in their order.
func TestHandlerConnectionHeader(t *testing.T) {
	_, addr, _ := startFault(t, &faultHandler{serve: func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-A"] = []string{"1"}
		h["Connection"] = []string{"close"}
		h["Keep-Alive"] = []string{"x"}
		h["Transfer-Encoding"] = []string{"y"}
		h["Content-Length"] = []string{"3"}
		io.WriteString(w, "ok\n")
	}})
	c, br := dial(t, addr)
	for i := 0; i < 2; i++ {
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
		var head []string
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("request %d: %v (after %q)", i, err, head)
			}
			if l == "\r\n" {
				break
			}
			if !strings.HasPrefix(l, "Date:") {
				head = append(head, strings.TrimSuffix(l, "\r\n"))
			}
		}
		want := []string{"HTTP/1.1 200 OK", "Content-Type: text/plain; charset=utf-8", "Content-Length: 3", "Connection: keep-alive",
			"Connection: close", "Keep-Alive: x", "Transfer-Encoding: y", "X-A: 1"}
		if strings.Join(head, "|") != strings.Join(want, "|") {
			t.Errorf("request %d: head %q, want %q", i, head, want)
		}
		b := make([]byte, 3)
		if _, err := io.ReadFull(br, b); err != nil || string(b) != "ok\n" {
			t.Fatalf("request %d: body %q, %v", i, b, err)
		}
	}
}
