package staticfs_test

import (
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

// TestLargeFilesSendfile compares files too large for the in-memory
// cache, whole and in ranges, with sendfile off (nginx's default: read
// through a buffer), on, and switched in an if block.
func TestLargeFilesSendfile(t *testing.T) {
	// Letters only: the harness masks each server's port number in
	// bodies, so the file must not contain it.
	var sb strings.Builder
	for x := uint32(1); sb.Len() < 3<<20; {
		x = x*1664525 + 1013904223
		sb.WriteByte('a' + byte(x>>24)%26)
		if x%61 == 0 {
			sb.WriteByte('\n')
		}
	}
	big := sb.String()
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    root {{ROOT}};
    server {
        listen 127.0.0.1:{{PORT}};
        location /off/ { sendfile off; }
        location /on/ { sendfile on; }
        location /if/ { if ($arg_k) { sendfile on; } }
    }
}
`, nginxtest.Options{Files: map[string]string{"off/big.txt": big, "on/big.txt": big, "if/big.txt": big}})
	for _, path := range []string{"/off/big.txt", "/on/big.txt", "/if/big.txt", "/if/big.txt?k=1"} {
		compare(t, p,
			nginxtest.Get(path),
			nginxtest.Req("HEAD", path),
			nginxtest.Get(path, "Range: bytes=100000-2500000"),
			nginxtest.Get(path, "Range: bytes=-70000"),
			nginxtest.Get(path, "Range: bytes=0-1,3000000-3000010"),
		)
	}
}
