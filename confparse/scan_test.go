package confparse

import (
	"strings"
	"testing"
)

// TestScanEscapedSemicolon: an escaped ";" outside quotes is part of the
// word for nginx, not the end of a statement.
func TestScanEscapedSemicolon(t *testing.T) {
	stmts, _ := parseText([]byte("events {}\nhttp { add_header X a\\;b; }\n"), "x.conf", false)
	if got := strings.Join(stmts[1].Block[0].Args, "|"); got != `X|a\;b` {
		t.Fatalf("add_header words = %q", got)
	}
}
