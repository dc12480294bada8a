package confparse_test

import (
	"regexp"
	"testing"

	"goproxy/confparse"
)

// BenchmarkRegexLocation compares a location match through Regexp with
// the RE2 call it replaced (direct), for patterns RE2 keeps and one the
// backtracking engine takes.
func BenchmarkRegexLocation(b *testing.B) {
	for _, c := range []struct{ name, pattern, uri string }{
		{"php", `\.php(?:$|/)`, "/apps/files/ajax/upload.php"},
		{"captures", `^/re7/([a-z]+)/(.*)$`, "/re7/images/2024/photo.jpg"},
		{"nomatch", `^/re7/[a-z]+$`, "/app777/some/path"},
	} {
		re, err := confparse.CompileRegex(c.pattern, false)
		if err != nil {
			b.Fatal(err)
		}
		direct := regexp.MustCompile(c.pattern)
		b.Run(c.name+"/direct", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				direct.FindStringSubmatchIndex(c.uri)
			}
		})
		b.Run(c.name+"/Regexp", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				re.FindIndex(c.uri)
			}
		})
	}
	re, err := confparse.CompileRegex(`^/(?!index|remote|public|cron|core\/ajax\/update|status|ocs\/v[12]|updater\/.+|oc[ms]-provider\/.+)`, false)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("lookahead/backtracking", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			re.FindIndex("/apps/files/ajax/upload.php")
		}
	})
}
