package conffmt

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"goproxy/confparse"
)

// TestGuard: a formatting that changed what a file means is refused,
// naming the file, even where the words still parse.
func TestGuard(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	inc := filepath.Join(dir, "inc.conf")
	os.WriteFile(main, []byte("events {}\nhttp { include inc.conf; }\n"), 0o644)
	os.WriteFile(inc, []byte("server { listen 127.0.0.1:8080; gzip on; }\n"), 0o644)
	defer func() { format = Format }()
	format = func(text []byte, file string) ([]byte, error) {
		out, err := Format(text, file)
		return bytes.ReplaceAll(out, []byte("gzip on"), []byte("gzip off")), err
	}
	_, err := Config(confparse.Options{Path: main})
	if err == nil || !strings.HasPrefix(err.Error(), inc+": formatting would change") {
		t.Fatalf("err = %v, want a refusal naming %s", err, inc)
	}
	format = Format
	if _, err := Config(confparse.Options{Path: main}); err != nil {
		t.Fatal(err)
	}
}

// TestWords: the words nginx reads are checked, whatever the model sees
// (a no-op directive's arguments are not in it).
func TestWords(t *testing.T) {
	lex, _ := confparse.Lex([]byte("a \"b c\"; # x\n"), "f")
	if err := sameWords(lex, []byte("a \"b\" c; # x\n"), "f"); err == nil {
		t.Fatal("a re-quoted word was accepted")
	}
	if err := sameWords(lex, []byte("a \"b c\";\n"), "f"); err == nil {
		t.Fatal("a lost comment was accepted")
	}
	if err := sameWords(lex, []byte("# x\na\n    \"b c\";\n"), "f"); err != nil {
		t.Fatal(err)
	}
}

// TestLuaRefused: goproxy has no Lua, so a *_by_lua_block, whose text
// nginx's tokenizer does not read, is refused rather than laid out.
func TestLuaRefused(t *testing.T) {
	main := filepath.Join(t.TempDir(), "nginx.conf")
	os.WriteFile(main, []byte("events {}\nhttp { server { location / { content_by_lua_block { ngx.say(\"x\") } } } }\n"), 0o644)
	if _, err := Config(confparse.Options{Path: main}); err == nil || !strings.Contains(err.Error(), "content_by_lua_block") {
		t.Fatalf("err = %v", err)
	}
}

// TestFormatSyntaxError: nginx's wording and position.
func TestFormatSyntaxError(t *testing.T) {
	_, err := Format([]byte("events {\n}\n}\n"), "/x.conf")
	if err == nil || err.Error() != `unexpected "}" in /x.conf:3` {
		t.Fatalf("err = %v", err)
	}
}
