package proxy_test

// upstream_diff_test.go compares failures and upstream groups: error
// pages and log lines, odd upstream responses, balancing, retries,
// keepalive, and the $upstream_* variables.

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// TestFailures checks the answers and error log lines for upstreams
// that refuse, time out, or answer with something invalid.
func TestFailures(t *testing.T) {
	refused := closedPort(t)
	slow := startUpstream(t, "slow", hang)
	garbage := startUpstream(t, "garbage", raw("garbage\r\n\r\n"))
	badHeader := startUpstream(t, "badheader", raw("HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\nbody"))
	short := startUpstream(t, "short", raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"))
	empty := startUpstream(t, "empty", raw(""))
	noHead := startUpstream(t, "nohead", raw("HTTP/1.1 200 OK\r\nX-A: 1\r\n"))
	badStatus := startUpstream(t, "badstatus", raw("HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\nok"))
	p := start(t, conf("", `
        location /refused/ { proxy_pass http://127.0.0.1:`+strconv.Itoa(refused)+`; }
        location /slow/ { proxy_read_timeout 1s; proxy_pass http://{{UP0}}; }
        location /garbage/ { proxy_pass http://{{UP1}}; }
        location /badheader/ { proxy_pass http://{{UP2}}; }
        location /short/ { proxy_pass http://{{UP3}}; }
        location /empty/ { proxy_pass http://{{UP4}}; }
        location /nohead/ { proxy_pass http://{{UP5}}; }
        location /badstatus/ { proxy_pass http://{{UP6}}; }`),
		slow, garbage, badHeader, short, empty, noHead, badStatus)
	for _, path := range []string{"/refused/x?a=1", "/slow/", "/garbage/", "/badheader/", "/short/",
		"/empty/", "/nohead/", "/badstatus/"} {
		p.cmp(t, nginxtest.Get(path))
	}
	p.cmp(t, "GET /refused/ HTTP/1.0\r\n\r\n")
	compareErrorLogs(t, p, refused)
}

// compareErrorLogs compares the [error] lines of both servers, with
// ports replaced.
func compareErrorLogs(t *testing.T, p *pair, ports ...int) {
	t.Helper()
	norm := func(lines []string) string {
		s := strings.Join(lines, "\n")
		for _, port := range ports {
			s = strings.ReplaceAll(s, strconv.Itoa(port), "PORT")
		}
		for i, u := range p.ups {
			s = strings.ReplaceAll(s, strconv.Itoa(u.Port), "UP"+strconv.Itoa(i))
		}
		return s
	}
	ng, gp := norm(errorLines(p.Nginx)), norm(errorLines(p.Go))
	if ng != gp {
		t.Errorf("error logs differ:\n--- nginx:\n%s\n--- goproxy:\n%s", ng, gp)
	}
}

// TestUpstreamResponses checks how odd upstream response heads and
// framings are read: duplicates, conflicting lengths, header lines nginx
// accepts or refuses, heads over proxy_buffer_size, responses without a
// status line (passed on as HTTP/0.9), and bodies cut short.
func TestUpstreamResponses(t *testing.T) {
	cases := []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Listed\r\nX-Listed: 1\r\nProxy-Connection: x\r\nTrailer: X-T\r\n" +
			"Upgrade: h2c\r\nTE: trailers\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\n Folded: x\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nX A: 1\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nX-A: 1\rX\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\nX-A: 1\nContent-Length: 2\n\nok",
		"HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 5000) + "\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 3900) + "\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Trailer: 1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n",
		"HTTP/1.0 200 OK\r\n\r\nclose delimited",
		"HTTP/1.1 200 OK\r\nX-A:    spaced   \r\nX-B:\r\nX-C: \tt\t\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nLocation: /x\r\nLocation: /y\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
		"HTTP/1.1 403.1 Forbidden\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\nok",
		"hello",
		"HTT",
		// Chunked bodies by nginx's rules (httpd.Chunked).
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\n0\n\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;" + strings.Repeat("e", 5000) + "\r\nok\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8000000000000000\r\nok\r\n0\r\n\r\n",
	}
	var ups []*upstream
	var locs strings.Builder
	for i, c := range cases {
		ups = append(ups, startUpstream(t, "case", raw(c)))
		fmt.Fprintf(&locs, "        location /%d/ { proxy_pass http://{{UP%d}}; }\n", i, i)
	}
	locs.WriteString("        location /buf/ { proxy_buffer_size 8k; proxy_pass http://{{UP16}}; }\n")
	p := start(t, conf("", locs.String()), ups...)
	for i := range cases {
		p.cmp(t, nginxtest.Get("/"+strconv.Itoa(i)+"/"))
	}
	p.cmp(t, nginxtest.Get("/buf/"))
	compareErrorLogs(t, p)
}

// TestUpstreamGroups checks balancing and retries across an upstream
// block: smooth weighted round robin, proxy_next_upstream on errors and
// statuses, max_fails, backup and down servers, "no live upstreams", and
// the $upstream_addr / $upstream_status lists of each try.
func TestUpstreamGroups(t *testing.T) {
	a := startUpstream(t, "a", named("a"))
	b := startUpstream(t, "b", named("b"))
	c := startUpstream(t, "c", named("c"))
	unavailable := startUpstream(t, "503", respond("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain", "busy"))
	notFound := startUpstream(t, "404", respond("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain", "nf"))
	r1, r2 := closedPort(t), closedPort(t)
	refused := func(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
	p := start(t, conf(`
    upstream wrr { server {{UP0}} weight=5; server {{UP1}}; server {{UP2}}; }
    upstream failover { server `+refused(r1)+`; server {{UP1}}; }
    upstream status { server {{UP3}}; server {{UP2}}; }
    upstream status404 { server {{UP4}}; server {{UP2}}; }
    upstream allbad { server `+refused(r1)+`; server `+refused(r2)+`; }
    upstream backup { server `+refused(r2)+`; server {{UP2}} backup; }
    upstream down { server {{UP0}} down; server {{UP1}}; }
    upstream maxfails { server {{UP3}} max_fails=2 fail_timeout=30s; server {{UP2}}; }
    upstream single { server `+refused(r1)+`; }
    upstream post { server {{UP3}}; server {{UP2}}; }
    upstream postni { server {{UP3}}; server {{UP2}}; }
    upstream tries { server `+refused(r1)+`; server `+refused(r2)+`; server {{UP0}}; }
    upstream hash { hash $arg_k; server {{UP0}}; server {{UP1}}; server {{UP2}}; }
    upstream chash { hash $arg_k consistent; server {{UP0}}; server {{UP1}}; server {{UP2}}; }
    upstream hashw { hash $arg_k; server {{UP0}} weight=3; server {{UP1}}; server {{UP2}} weight=2; }
    upstream chashw { hash $arg_k consistent; server {{UP0}} weight=3; server {{UP1}}; server {{UP2}} weight=2; }
    upstream chashname { hash $arg_k consistent; server localhost:{{UPPORT}}; server {{UP1}}; server {{UP2}}; }
    upstream hashnext { hash $arg_k; server {{UP3}}; server {{UP4}}; server {{UP0}}; server {{UP1}}; }
    upstream chashnext { hash $arg_k consistent; server {{UP3}}; server {{UP4}}; server {{UP0}}; server {{UP1}}; }
    upstream iphash { ip_hash; server {{UP0}}; server {{UP1}}; server {{UP2}}; }
    upstream iphashnext { ip_hash; server {{UP3}}; server {{UP4}}; server {{UP0}}; server {{UP1}}; }
    upstream lc { least_conn; server {{UP0}} weight=2; server {{UP1}}; server {{UP2}}; }`, `
        add_header X-Addr $upstream_addr always;
        add_header X-Status $upstream_status always;
        location /wrr/ { proxy_pass http://wrr; }
        location /failover/ { proxy_pass http://failover; }
        location /status/ { proxy_next_upstream error timeout http_503; proxy_pass http://status; }
        location /status-off/ { proxy_next_upstream off; proxy_pass http://failover; }
        location /status-plain/ { proxy_pass http://status; }
        location /status404/ { proxy_next_upstream http_404; proxy_pass http://status404; }
        location /allbad/ { proxy_pass http://allbad; }
        location /backup/ { proxy_pass http://backup; }
        location /down/ { proxy_pass http://down; }
        location /maxfails/ { proxy_next_upstream http_503; proxy_pass http://maxfails; }
        location /single/ { proxy_pass http://single; }
        location /tries/ { proxy_next_upstream_tries 2; proxy_pass http://tries; }
        location /post/ { proxy_next_upstream error http_503; proxy_pass http://post; }
        location /hash/ { proxy_pass http://hash; }
        location /chash/ { proxy_pass http://chash; }
        location /lc/ { proxy_pass http://lc; }
        location /hashw/ { proxy_pass http://hashw; }
        location /chashw/ { proxy_pass http://chashw; }
        location /chashname/ { proxy_pass http://chashname; }
        location /hashnext/ { proxy_next_upstream error http_503 http_404; proxy_pass http://hashnext; }
        location /chashnext/ { proxy_next_upstream error http_503 http_404; proxy_pass http://chashnext; }
        location /iphash/ { proxy_pass http://iphash; }
        location /iphashnext/ { proxy_next_upstream error http_503 http_404; proxy_pass http://iphashnext; }
        location /post-ni/ { proxy_next_upstream error http_503 non_idempotent; proxy_pass http://postni; }`),
		a, b, c, unavailable, notFound)
	seq := func(path string, n int, req func(string) string) {
		t.Helper()
		var ng, gp []string
		for i := 0; i < n; i++ {
			rn, rg := p.cmp(t, req(path))
			ng = append(ng, served(rn))
			gp = append(gp, served(rg))
		}
		if strings.Join(ng, ",") != strings.Join(gp, ",") {
			t.Errorf("%s: served by nginx %v, goproxy %v", path, ng, gp)
		}
	}
	get := func(path string) string { return nginxtest.Get(path) }
	post := func(path string) string { return nginxtest.Req("POST", path, "Content-Length: 1") + "x" }
	seq("/wrr/", 14, get)
	seq("/failover/", 3, get)
	seq("/status/", 3, get)
	seq("/status-off/", 2, get)
	seq("/status-plain/", 2, get)
	seq("/status404/", 3, get)
	seq("/allbad/", 3, get)
	seq("/backup/", 3, get)
	seq("/down/", 3, get)
	seq("/maxfails/", 6, get)
	seq("/single/", 2, get)
	seq("/tries/", 2, get)
	seq("/post/", 2, post)
	seq("/post-ni/", 2, post)
	// An empty hash key is balanced round-robin.
	seq("/hash/?k=", 6, get)
	seq("/chash/?k=", 6, get)
	// Which peer a key goes to, and on to which next: nginx's hashes.
	for _, k := range []string{"x", "a", "b", "hello", "12345", "/some/uri", "ümlaut"} {
		for _, path := range []string{"/hash/", "/chash/", "/hashw/", "/chashw/", "/chashname/", "/hashnext/", "/chashnext/"} {
			seq(path+"?k="+k, 2, get)
		}
	}
	seq("/iphash/", 3, get)
	seq("/iphashnext/", 3, get)
	// least_conn among idle peers is weighted round-robin.
	seq("/lc/", 8, get)
	compareErrorLogs(t, p, r1, r2)
}

// served is who answered: the body of a 200, else the status.
func served(r *nginxtest.Response) string {
	if r.Status == 200 {
		return string(r.Body)
	}
	return strconv.Itoa(r.Status)
}

// TestKeepalive checks that "keepalive" reuses upstream connections
// (with HTTP/1.1 and the Connection header cleared) and that without it
// each request gets its own connection.
func TestKeepalive(t *testing.T) {
	up := startUpstream(t, "echo", echo)
	p := start(t, conf(`
    upstream ka { server {{UP}}; keepalive 4; }`, `
        location /ka/ { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://ka; }
        location /noka/ { proxy_pass http://{{UP}}; }
        location /ka10/ { proxy_pass http://ka; }`), up)
	for _, path := range []string{"/ka/", "/noka/", "/ka10/"} {
		var conns []int
		var dumps []string
		for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
			for i := 0; i < 4; i++ {
				nginxtest.Do(t, s.Addr(), nginxtest.Get(path))
			}
			seen := map[int]bool{}
			for _, r := range up.Requests() {
				seen[r.Conn] = true
				dumps = append(dumps, r.dump())
			}
			conns = append(conns, len(seen))
		}
		if conns[0] != conns[1] {
			t.Errorf("%s: upstream connections for 4 requests: nginx %d, goproxy %d", path, conns[0], conns[1])
		}
		if len(dumps) != 8 || dumps[0] != dumps[4] {
			t.Errorf("%s: upstream requests differ: %q", path, dumps)
		}
	}
}

// TestErrorPages checks proxy_intercept_errors with error_page, and
// error_page for the proxy's own 502.
func TestErrorPages(t *testing.T) {
	nf := startUpstream(t, "404", respond("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nX-Up: 1", "upstream 404\n"))
	oops := startUpstream(t, "500", respond("HTTP/1.1 500 Oops\r\nContent-Type: text/plain", "upstream 500\n"))
	ok := startUpstream(t, "ok", named("fallback"))
	refused := closedPort(t)
	p := start(t, conf("", `
        location /icpt/ { proxy_intercept_errors on; error_page 404 /page404; proxy_pass http://{{UP0}}; }
        location /icpt-named/ { proxy_intercept_errors on; error_page 500 = @fallback; proxy_pass http://{{UP1}}; }
        location /icpt-code/ { proxy_intercept_errors on; error_page 404 =200 /page404; proxy_pass http://{{UP0}}; }
        location /icpt-nopage/ { proxy_intercept_errors on; error_page 500 /page404; proxy_pass http://{{UP0}}; }
        location /noicpt/ { error_page 404 /page404; proxy_pass http://{{UP0}}; }
        location /own502/ { error_page 502 /page502; proxy_pass http://127.0.0.1:`+strconv.Itoa(refused)+`; }
        location /own502-named/ { error_page 502 = @fallback; proxy_pass http://127.0.0.1:`+strconv.Itoa(refused)+`; }
        location = /page404 { return 200 "custom 404 for $request_uri\n"; }
        location = /page502 { return 200 "custom 502 $upstream_status\n"; }
        location @fallback { proxy_pass http://{{UP2}}; }`), nf, oops, ok)
	for _, path := range []string{"/icpt/", "/icpt-named/", "/icpt-code/", "/icpt-nopage/", "/noicpt/",
		"/own502/", "/own502-named/"} {
		p.cmp(t, nginxtest.Get(path+"x?y=1"))
		p.cmp(t, nginxtest.Req("HEAD", path))
	}
}

// TestTimeoutRetry checks that a peer that times out is left for the
// next one ("504, 200") and that proxy_next_upstream without timeout
// answers 504.
func TestTimeoutRetry(t *testing.T) {
	slow := startUpstream(t, "slow", hang)
	ok := startUpstream(t, "ok", named("ok"))
	p := start(t, conf(`
    upstream pair { server {{UP0}}; server {{UP1}}; }
    upstream pair2 { server {{UP0}}; server {{UP1}}; }`, `
        proxy_read_timeout 1s;
        add_header X-Addr $upstream_addr always;
        add_header X-Status $upstream_status always;
        location /retry/ { proxy_pass http://pair; }
        location /noretry/ { proxy_next_upstream error; proxy_pass http://pair2; }`), slow, ok)
	p.cmp(t, nginxtest.Get("/retry/"))
	p.cmp(t, nginxtest.Get("/noretry/"))
	compareErrorLogs(t, p)
}

// TestUpstreamLogVariables checks the $upstream_* variables in an access
// log: addresses, statuses, lengths exactly; times by their format.
func TestUpstreamLogVariables(t *testing.T) {
	echoUp := startUpstream(t, "echo", echo)
	chunkUp := startUpstream(t, "chunked", chunked("hello ", "world\n"))
	refused := closedPort(t)
	p := start(t, conf(`
    log_format up '$request_uri $status "$upstream_addr" "$upstream_status" "$upstream_response_length" '
                  '"$upstream_bytes_received" "$upstream_bytes_sent" "$upstream_http_content_type" '
                  '|$upstream_connect_time|$upstream_header_time|$upstream_response_time|';
    upstream failover { server 127.0.0.1:`+strconv.Itoa(refused)+`; server {{UP0}}; }`, `
        access_log {{DIR}}/up.log up;
        location /echo/ { proxy_pass http://{{UP0}}; }
        location /chunked/ { proxy_pass http://{{UP1}}; }
        location /failover/ { proxy_pass http://failover; }
        location /refused/ { proxy_pass http://127.0.0.1:`+strconv.Itoa(refused)+`; }
        location /static/ { return 200 "static\n"; }`), echoUp, chunkUp)
	reqs := []string{"/echo/a", "/chunked/", "/failover/1", "/failover/2", "/refused/", "/static/"}
	for _, path := range reqs {
		p.cmp(t, nginxtest.Get(path))
	}
	times := regexp.MustCompile(`^\|((\d+\.\d{3}|-)(, (\d+\.\d{3}|-))*)?\|((\d+\.\d{3}|-)(, (\d+\.\d{3}|-))*)?\|((\d+\.\d{3}|-)(, (\d+\.\d{3}|-))*)?\|$`)
	var logs [][]string
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		lines := waitLines(t, s.Dir+"/up.log", len(reqs))
		var fixed []string
		for _, l := range lines {
			i := strings.Index(l, " |")
			if i < 0 || !times.MatchString(l[i+1:]) {
				t.Errorf("%s: times: %q", s.Name, l)
				continue
			}
			fixed = append(fixed, p.hideString(strings.ReplaceAll(l[:i], strconv.Itoa(refused), "REFUSED"))+" "+timeShape(l[i+1:]))
		}
		logs = append(logs, fixed)
	}
	if strings.Join(logs[0], "\n") != strings.Join(logs[1], "\n") {
		t.Errorf("access logs differ:\n--- nginx:\n%s\n--- goproxy:\n%s", strings.Join(logs[0], "\n"), strings.Join(logs[1], "\n"))
	}
}

// timeShape keeps only which time values are "-".
var timeRe = regexp.MustCompile(`\d+\.\d{3}`)

func timeShape(s string) string { return timeRe.ReplaceAllString(s, "T") }

// waitLines waits for a log file to have n lines.
func waitLines(t *testing.T, path string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(lines) >= n && len(b) > 0 || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(10 * time.Millisecond)
	}
}
