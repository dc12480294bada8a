package router_test

// limits_diff_test.go compares limit_conn and limit_req in dry-run mode
// with nginx: the statuses they set, the error-log lines they write, and
// "-" for $limit_*_status where no limit looked at the request.

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

const limitsConf = `events {}
http {
    limit_conn_zone $binary_remote_addr zone=c:1m;
    limit_req_zone $binary_remote_addr zone=r:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=d:1m rate=1r/m;
    log_format st "$uri:$limit_conn_status:$limit_req_status";
    access_log {{DIR}}/st.log st;
    root {{ROOT}};
    add_header X-Status "$limit_conn_status/$limit_req_status" always;
    server {
        listen 127.0.0.1:{{PORT}};
        location /hold { limit_conn c 1; limit_rate 1k; }
        location /dry { limit_conn c 1; limit_conn_dry_run on; }
        location /rdry { limit_req zone=r; limit_req_dry_run on; }
        location /ddry { limit_req zone=d burst=5; limit_req_dry_run on; }
        location /none { }
    }
}
`

var limitLogRe = regexp.MustCompile(`\] \d+#\d+: \*\d+ ((limiting|delaying) [^,]*(, dry run,?)?[^\n]*?), client`)

func TestLimitDryRun(t *testing.T) {
	p := nginxtest.Start(t, limitsConf, nginxtest.Options{Files: map[string]string{
		"hold": strings.Repeat("x", 64<<10), "dry": "d", "rdry": "r", "ddry": "dd", "none": "n",
	}})
	for _, s := range []*nginxtest.Server{p.Nginx, p.Go} {
		if s == nil {
			continue
		}
		// A slow download holds the zone's one connection.
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("GET /hold HTTP/1.0\r\nHost: x\r\n\r\n"))
		bufio.NewReader(c).ReadString('\n')
		var got []string
		for _, path := range []string{"/dry", "/rdry", "/rdry", "/ddry", "/ddry", "/none"} {
			r := nginxtest.Do(t, s.Addr(), nginxtest.Get(path))
			got = append(got, path+" "+r.Header.Get("X-Status")+" "+string(r.Body))
		}
		c.Close()
		want := []string{
			"/dry REJECTED_DRY_RUN/ d", "/rdry /PASSED r", "/rdry /REJECTED_DRY_RUN r",
			"/ddry /PASSED dd", "/ddry /DELAYED_DRY_RUN dd", "/none / n",
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: got %q\nwant %q", s.Name, got, want)
		}
		var lines []string
		for _, m := range limitLogRe.FindAllStringSubmatch(s.ErrorLog(), -1) {
			lines = append(lines, m[1])
		}
		wantLog := []string{
			`limiting connections, dry run, by zone "c"`,
			`limiting requests, dry run, excess: 1.000 by zone "r"`,
			`delaying request, dry run, excess: 1.000, by zone "d"`,
		}
		if strings.Join(lines, "|") != strings.Join(wantLog, "|") {
			t.Errorf("%s: error log lines %q\nwant %q", s.Name, lines, wantLog)
		}
		var st []byte
		for i := 0; i < 50; i++ {
			st, _ = os.ReadFile(filepath.Join(s.Dir, "st.log"))
			if strings.Contains(string(st), "/none:") {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !strings.Contains(string(st), "/none:-:-\n") || !strings.Contains(string(st), "/dry:REJECTED_DRY_RUN:-\n") {
			t.Errorf("%s: access log %q", s.Name, st)
		}
	}
}
