package router_test

import (
	"os"
	"testing"
)

func chmodX(t *testing.T, path string) {
	t.Helper()
	if err := os.Chmod(path, 0755); err != nil {
		t.Fatal(err)
	}
}
