package logging_test

import (
	"strings"
	"testing"

	"goproxy/confparse"
	"goproxy/internal/benchkit"
	"goproxy/logging"
)

// BenchmarkAccessLogLine formats one line of nginx's "combined" format
// and of a JSON format with escape=json, as the log phase does for every
// request.
func BenchmarkAccessLogLine(b *testing.B) {
	cfg := benchkit.Load(b, `events {}
http {
    log_format js escape=json '{"time":"$time_iso8601","addr":"$remote_addr","req":"$request",'
                              '"status":$status,"bytes":$body_bytes_sent,"ua":"$http_user_agent","rt":$request_time}';
    server { listen 127.0.0.1:80; location / { return 200; } }
}
`, nil)
	rq := benchkit.Request(b, cfg, "GET /app/items?page=2 HTTP/1.1\r\nHost: shop.example.com\r\n"+
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) \"quoted\"\r\nReferer: https://shop.example.com/\r\n\r\n")
	t, err := confparse.ParseTemplate(confparse.CombinedFormat)
	if err != nil {
		b.Fatal(err)
	}
	formats := []*confparse.LogFormat{{Name: "combined", Escape: "default", Format: t}, cfg.HTTP.LogFormats["js"]}
	quoted := []string{`\x22quoted\x22`, `\"quoted\"`} // nginx's two escapes of '"'
	for i, f := range formats {
		b.Run(f.Name, func(b *testing.B) {
			line := string(logging.FormatLine(rq, f))
			if !strings.Contains(line, "GET /app/items?page=2 HTTP/1.1") || !strings.Contains(line, quoted[i]) {
				b.Fatalf("line %q", line)
			}
			b.ReportAllocs()
			for range b.N {
				logging.FormatLine(rq, f)
			}
		})
	}
}
