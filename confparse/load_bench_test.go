package confparse_test

import (
	"path/filepath"
	"testing"

	"goproxy/confparse"
)

// BenchmarkLoad measures a whole configuration load (read, parse, build,
// checks) of two samples: one small file, and Debian's layout with its
// includes and mime.types.
func BenchmarkLoad(b *testing.B) {
	for _, name := range []string{"behind-balancer", "debian-default"} {
		b.Run(name, func(b *testing.B) {
			path, _ := filepath.Abs("../testdata/configs/" + name + "/nginx.conf")
			o := confparse.Options{Path: path}
			if _, err := confparse.Load(o); err != nil {
				b.Skip(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := confparse.Load(o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
