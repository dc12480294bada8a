package proxy_test

// helpers_test.go starts nginx and goproxy on one configuration that
// proxies to the test upstreams, and compares their answers.

import (
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"goproxy/internal/nginxtest"
)

// pair is the two servers and the upstreams their configuration names.
type pair struct {
	*nginxtest.Pair
	ups []*upstream
}

// conf wraps server-level directives (and http-level ones, before the
// server block) in a minimal nginx.conf.
func conf(httpLevel, serverLevel string) string {
	return `events {}
http {
    access_log off;
    default_type text/plain;
` + httpLevel + `
    server {
        listen 127.0.0.1:{{PORT}};
` + serverLevel + `
    }
}
`
}

// start renders {{UP}} (the first upstream) and {{UPn}} (the n-th,
// 0-based) to addresses, {{UPPORT}} to the first one's port, then starts
// both servers.
func start(t *testing.T, c string, ups ...*upstream) *pair {
	t.Helper()
	for i := len(ups) - 1; i >= 0; i-- {
		c = strings.ReplaceAll(c, "{{UP"+strconv.Itoa(i)+"}}", ups[i].Addr())
	}
	if len(ups) > 0 {
		c = strings.ReplaceAll(c, "{{UP}}", ups[0].Addr())
		c = strings.ReplaceAll(c, "{{UPPORT}}", strconv.Itoa(ups[0].Port))
	}
	return &pair{Pair: nginxtest.Start(t, c, nginxtest.Options{}), ups: ups}
}

// hide replaces upstream ports by placeholders before the harness
// normalises the servers' own ports, so that a server port that happens
// to be a substring of an upstream port cannot make a false difference.
func (p *pair) hide(r *nginxtest.Response) {
	fix := func(s string) string {
		for i, u := range p.ups {
			s = strings.ReplaceAll(s, strconv.Itoa(u.Port), "UP"+strconv.Itoa(i))
		}
		return s
	}
	r.Body = []byte(fix(string(r.Body)))
	for k, vs := range r.Header {
		for i := range vs {
			vs[i] = fix(vs[i])
		}
		r.Header[k] = vs
	}
	r.Raw = []byte(fix(string(r.Raw)))
}

// cmp sends raw to both servers and reports any difference.
func (p *pair) cmp(t *testing.T, raw string) (ng, gp *nginxtest.Response) {
	t.Helper()
	ng, gp = p.Both(t, raw)
	p.hide(ng)
	p.hide(gp)
	if d := p.Diff(ng, gp); d != "" {
		line, _, _ := strings.Cut(raw, "\r\n")
		t.Errorf("request %q:\n%s\n--- nginx:\n%s\n--- goproxy:\n%s", line, d, clip(ng.Raw), clip(gp.Raw))
	}
	return ng, gp
}

func clip(b []byte) string {
	if len(b) > 1500 {
		return string(b[:1500]) + "…"
	}
	return string(b)
}

// errorLines returns the [error]/[warn]/[crit] lines of a server's log
// with the timestamp, pid and connection number cut off.
func errorLines(s *nginxtest.Server) []string {
	var out []string
	for _, l := range strings.Split(s.ErrorLog(), "\n") {
		i := strings.Index(l, "] ")
		if i < 0 || !levelRe.MatchString(l) {
			continue
		}
		msg := l[i+2:]
		msg = connRe.ReplaceAllString(msg, "")
		out = append(out, l[strings.Index(l, "["):i+1]+" "+msg)
	}
	return out
}

var (
	levelRe = regexp.MustCompile(`\[(error|warn|crit|alert|emerg)\]`)
	connRe  = regexp.MustCompile(`^\d+#\d+: (\*\d+ )?`)
)

// doAsync sends raw while reading the answer, so that a server that
// answers before the request is complete (413) is heard, and a write
// error does not end the test.
func doAsync(t *testing.T, addr, raw string) *nginxtest.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go io.WriteString(c, raw)
	data, _ := io.ReadAll(c)
	return nginxtest.Parse(data, "POST")
}

// hideString replaces upstream ports in s by placeholders.
func (p *pair) hideString(s string) string {
	for i, u := range p.ups {
		s = strings.ReplaceAll(s, strconv.Itoa(u.Port), "UP"+strconv.Itoa(i))
	}
	return s
}

// serveConns serves each connection to a new loopback port with serve,
// which closes it, and returns the port's address.
func serveConns(t *testing.T, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln.Addr().String()
}
