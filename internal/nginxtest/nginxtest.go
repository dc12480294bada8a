// Package nginxtest runs the reference nginx and goproxy side by side on
// the same configuration and document tree, sends both the same raw
// requests, and compares what matters: status, headers, body. nginx is
// the judge; when it is not installed the differential tests skip (CI
// installs it, see .ci/run).
package nginxtest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
	_ "goproxy/internal/golden" // -update for every package testing with nginx
	"goproxy/process"
)

// NginxPath is the reference nginx binary, or "" when none is installed.
var NginxPath = func() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}()

// NginxVersion is the reference's "nginx/1.22.1" token.
var NginxVersion = func() string {
	if NginxPath == "" {
		return ""
	}
	out, _ := exec.Command(NginxPath, "-v").CombinedOutput()
	m := regexp.MustCompile(`nginx/[0-9.]+`).Find(out)
	return string(m)
}()

// RequireNginx skips a test when the reference is missing, unless
// GOPROXY_REQUIRE_NGINX=1 (set by CI) makes that a failure.
func RequireNginx(t testing.TB) {
	t.Helper()
	if NginxPath != "" {
		return
	}
	if os.Getenv("GOPROXY_REQUIRE_NGINX") == "1" {
		t.Fatal("reference nginx is not installed (apt-get install -y nginx)")
	}
	t.Skip("reference nginx not installed")
}

// FreePort returns a loopback TCP port nothing listens on, for a server
// the test starts next. It is taken below the kernel's ephemeral range
// (ip_local_port_range, 32768 and up by default): a port that came from
// "listen on :0" is one the kernel also hands out as the source port of
// outgoing connections, and a client dialling from it in another test
// (packages run in parallel) made the server's bind fail now and then.
// Ports already handed out by this process are not handed out again.
func FreePort(t testing.TB) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for try := 0; try < 1000; try++ {
		port := 10000 + rand.IntN(22000) // 10000-31999
		if portsUsed[port] {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		l.Close()
		portsUsed[port] = true
		return port
	}
	t.Fatal("no free port below the ephemeral range")
	return 0
}

var (
	portMu    sync.Mutex
	portsUsed = map[int]bool{}
)

// Server is one of the two servers under test.
type Server struct {
	Name  string // "nginx" or "goproxy"
	Dir   string // its prefix directory (config, logs)
	Ports []int  // the ports substituted for {{PORT}}, {{PORT1}}, ...
	Proc  *process.Process
	cmd   *exec.Cmd
}

// Addr is 127.0.0.1:Ports[0].
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Ports[0]) }

// ErrorLog returns the server's error log so far.
func (s *Server) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "error.log"))
	return string(b)
}

// Pair is nginx and goproxy serving one configuration.
type Pair struct {
	Root   string // shared document tree, {{ROOT}} in the configuration
	Nginx  *Server
	Go     *Server
	nports int
}

// Render substitutes {{ROOT}}, {{DIR}}, {{PORT}} and {{PORTn}}.
func Render(conf, root, dir string, ports []int) string {
	r := strings.NewReplacer("{{ROOT}}", root, "{{DIR}}", dir)
	conf = r.Replace(conf)
	for i := len(ports) - 1; i >= 0; i-- {
		conf = strings.ReplaceAll(conf, "{{PORT"+strconv.Itoa(i)+"}}", strconv.Itoa(ports[i]))
	}
	return strings.ReplaceAll(conf, "{{PORT}}", strconv.Itoa(ports[0]))
}

// Options tune Start.
type Options struct {
	Ports  int    // how many {{PORTn}} ports (default 1)
	Root   string // use this document tree instead of a new one
	GoOnly bool   // start goproxy alone (behaviour nginx cannot judge)
	// Files are written under the document tree before the servers
	// start; a name ending in "/" is a directory. {{ROOT}} is replaced.
	Files map[string]string
}

// Mtime is the modification time WriteTree gives files, so that
// Last-Modified and ETag are stable.
var Mtime = time.Date(2024, 3, 9, 10, 11, 12, 0, time.UTC)

// WriteTree writes files under root (see Options.Files).
func WriteTree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0755); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(p, Mtime, Mtime)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0755)
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "{{ROOT}}", root)), 0644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, Mtime, Mtime)
	}
}

// Start writes conf for both servers and starts them. conf is a whole
// nginx.conf; daemon, pid and error_log are given on the command line.
func Start(t testing.TB, conf string, o Options) *Pair {
	t.Helper()
	if !o.GoOnly {
		RequireNginx(t)
	}
	if o.Ports == 0 {
		o.Ports = 1
	}
	// nginx's workers run as "nobody": the tree must be world-readable.
	base, err := os.MkdirTemp("", "nginxtest-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0755)
	t.Cleanup(func() { os.RemoveAll(base) })
	p := &Pair{Root: o.Root, nports: o.Ports}
	if p.Root == "" {
		p.Root = filepath.Join(base, "root")
		os.MkdirAll(p.Root, 0755)
	}
	WriteTree(t, p.Root, o.Files)
	mk := func(name string) *Server {
		s := &Server{Name: name, Dir: filepath.Join(base, name)}
		os.MkdirAll(s.Dir, 0755)
		for i := 0; i < o.Ports; i++ {
			s.Ports = append(s.Ports, FreePort(t))
		}
		os.WriteFile(filepath.Join(s.Dir, "nginx.conf"), []byte(Render(conf, p.Root, s.Dir, s.Ports)), 0644)
		return s
	}
	p.Go = mk("goproxy")
	if !o.GoOnly {
		p.Nginx = mk("nginx")
		p.startNginx(t)
	}
	p.startGo(t)
	return p
}

func globals(dir string) string {
	return fmt.Sprintf("daemon off; pid %s/run.pid; error_log %s/error.log debug;", dir, dir)
}

func (p *Pair) startNginx(t testing.TB) {
	t.Helper()
	s := p.Nginx
	cmd := exec.Command(NginxPath, "-p", s.Dir+"/", "-c", filepath.Join(s.Dir, "nginx.conf"),
		"-e", filepath.Join(s.Dir, "error.log"), "-g", globals(s.Dir))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd = cmd
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	waitPort(t, s.Addr(), func() string { return out.String() + s.ErrorLog() })
}

func (p *Pair) startGo(t testing.TB) {
	t.Helper()
	s := p.Go
	lo := confparse.Options{Path: filepath.Join(s.Dir, "nginx.conf"), Prefix: s.Dir + "/", Directives: globals(s.Dir)}
	cfg, err := confparse.Load(lo)
	if err != nil {
		t.Fatalf("goproxy refused the configuration: %v", err)
	}
	proc, err := process.Start(lo, cfg)
	if err != nil {
		t.Fatalf("goproxy did not start: %v", err)
	}
	s.Proc = proc
	t.Cleanup(proc.Stop)
	waitPort(t, s.Addr(), s.ErrorLog)
}

func waitPort(t testing.TB, addr string, diag func() string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s:\n%s", addr, diag())
}

// Response is what came back for one raw request.
type Response struct {
	Raw    []byte
	Status int
	Proto  string
	Header http.Header
	Body   []byte
	Closed bool // the server closed without a response
}

// Do sends raw bytes to addr and reads until the server closes (or a
// complete response arrives when keep is set for a keep-alive request).
func Do(t testing.TB, addr, raw string) *Response {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(c)
	return Parse(data, methodOf(raw))
}

func methodOf(raw string) string {
	m, _, _ := strings.Cut(raw, " ")
	return m
}

// Parse reads one response from data.
func Parse(data []byte, method string) *Response {
	r := &Response{Raw: data}
	if len(data) == 0 {
		r.Closed = true
		return r
	}
	if !bytes.HasPrefix(data, []byte("HTTP/")) {
		r.Body = data // HTTP/0.9
		return r
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), &http.Request{Method: method})
	if err != nil {
		r.Body = data
		return r
	}
	r.Status, r.Proto, r.Header = resp.StatusCode, resp.Proto, resp.Header
	r.Body, _ = io.ReadAll(resp.Body)
	if te := resp.TransferEncoding; len(te) > 0 {
		r.Header["Transfer-Encoding"] = te
	}
	return r
}

// Both sends raw to both servers.
func (p *Pair) Both(t testing.TB, raw string) (ng, gp *Response) {
	t.Helper()
	return Do(t, p.Nginx.Addr(), Render(raw, p.Root, p.Nginx.Dir, p.Nginx.Ports)),
		Do(t, p.Go.Addr(), Render(raw, p.Root, p.Go.Dir, p.Go.Ports))
}

// Get builds a simple request; extra header lines may follow.
func Get(path string, headers ...string) string {
	return Req("GET", path, headers...)
}

// Req builds "METHOD path HTTP/1.1" with Host: localhost and Connection:
// close, then any extra header lines.
func Req(method, path string, headers ...string) string {
	var b strings.Builder
	b.WriteString(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// Ignored headers are not compared: they carry the time or the
// product's name.
var Ignored = map[string]bool{"Date": true, "Server": true, "Content-Length": true, "Expires": true}

var boundaryRe = regexp.MustCompile(`\b\d{20}\b`)

// normalize makes the two servers' output comparable: ports, product
// tokens and multipart boundaries are replaced by placeholders.
func (p *Pair) normalize(s string, srv *Server) string {
	for i := len(srv.Ports) - 1; i >= 0; i-- {
		s = strings.ReplaceAll(s, strconv.Itoa(srv.Ports[i]), "{{PORT"+strconv.Itoa(i)+"}}")
	}
	s = strings.ReplaceAll(s, srv.Dir, "{{DIR}}")
	s = strings.ReplaceAll(s, NginxVersion, "SERVER")
	s = strings.ReplaceAll(s, "goproxy/"+httpcore.Version, "SERVER")
	s = strings.ReplaceAll(s, "<center>nginx</center>", "<center>SERVER-OFF</center>")
	s = strings.ReplaceAll(s, "<center>goproxy</center>", "<center>SERVER-OFF</center>")
	return boundaryRe.ReplaceAllString(s, "BOUNDARY")
}

// Compare checks that both servers answered raw alike. It returns both
// responses for further checks.
func (p *Pair) Compare(t testing.TB, raw string) (ng, gp *Response) {
	t.Helper()
	ng, gp = p.Both(t, raw)
	if d := p.Diff(ng, gp); d != "" {
		t.Errorf("request %q:\n%s\n--- nginx:\n%s\n--- goproxy:\n%s", firstLine(raw), d, clip(ng.Raw), clip(gp.Raw))
	}
	return ng, gp
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\r\n")
	return l
}

func clip(b []byte) string {
	if len(b) > 700 {
		return string(b[:700]) + "…"
	}
	return string(b)
}

// Diff describes how two responses differ, or "".
func (p *Pair) Diff(ng, gp *Response) string {
	var d []string
	if ng.Closed != gp.Closed {
		d = append(d, fmt.Sprintf("closed without answer: nginx %v, goproxy %v", ng.Closed, gp.Closed))
		return strings.Join(d, "\n")
	}
	if ng.Status != gp.Status {
		d = append(d, fmt.Sprintf("status: nginx %d, goproxy %d", ng.Status, gp.Status))
	}
	keys := map[string]bool{}
	for k := range ng.Header {
		keys[k] = true
	}
	for k := range gp.Header {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		if !Ignored[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		a := p.normalize(strings.Join(ng.Header[k], " | "), p.Nginx)
		b := p.normalize(strings.Join(gp.Header[k], " | "), p.Go)
		if a != b {
			d = append(d, fmt.Sprintf("header %s: nginx %q, goproxy %q", k, a, b))
		}
	}
	// Content-Length must be present alike and true to each body.
	_, nl := ng.Header["Content-Length"]
	_, gl := gp.Header["Content-Length"]
	if nl != gl {
		d = append(d, fmt.Sprintf("Content-Length present: nginx %v, goproxy %v", nl, gl))
	}
	nb, gb := p.normalize(string(ng.Body), p.Nginx), p.normalize(string(gp.Body), p.Go)
	if nb != gb {
		d = append(d, fmt.Sprintf("body differs (nginx %d bytes, goproxy %d bytes)", len(ng.Body), len(gp.Body)))
	}
	return strings.Join(d, "\n")
}
