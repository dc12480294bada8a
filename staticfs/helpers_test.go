package staticfs_test

import (
	"testing"

	"goproxy/internal/nginxtest"
)

// compare sends each request to both servers and reports differences.
func compare(t *testing.T, p *nginxtest.Pair, reqs ...string) {
	t.Helper()
	for _, r := range reqs {
		p.Compare(t, r)
	}
}
