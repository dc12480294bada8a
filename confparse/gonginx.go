package confparse

// gonginx.go builds the statement tree with gonginx, the parser the
// project chose, and checks it against the scanner (scan.go), which reads
// words exactly as nginx's tokenizer does. For a well-formed file the
// two agree and gonginx's tree is used, with the scanner's line numbers
// (gonginx reports a block's closing "}" line, nginx its opening one).
// Where gonginx reads nginx's syntax differently — backslash escapes
// outside quotes such as "a\;b", a "}" inside a word, a backtick — or the
// file has a syntax error (which gonginx reports without nginx's wording
// and position), the scanner's tree is used instead, so what goproxy
// executes is always what nginx would.

import (
	"github.com/tufanbarisyildirim/gonginx/config"
	"github.com/tufanbarisyildirim/gonginx/parser"
)

func init() {
	// gonginx wraps some directives (server, location, upstream,
	// include, ...) into typed structs that reorder or drop words and
	// apply their own arity rules; goproxy applies nginx's rules itself,
	// so every statement must stay a plain directive. The Lua-block
	// wrapper stays: the parser calls it unconditionally.
	for k := range config.BlockWrappers {
		if k != "_by_lua_block" {
			delete(config.BlockWrappers, k)
		}
	}
	clear(config.DirectiveWrappers)
	clear(config.IncludeWrappers)
}

// gonginxTree parses text with gonginx and returns it as statements laid
// over the scanner's tree, or nil when the two disagree anywhere.
func gonginxTree(text []byte, scanned []*Stmt) []*Stmt {
	p := parser.NewStringParser(string(text), parser.WithSkipValidDirectivesErr(), parser.WithSkipComments())
	cfg, err := p.Parse()
	if err != nil {
		return nil
	}
	out, ok := overlay(cfg.Block, scanned)
	if !ok {
		return nil
	}
	return out
}

// overlay converts a gonginx block, requiring each statement to match
// the scanner's statement at the same place, word for word.
func overlay(b config.IBlock, scanned []*Stmt) ([]*Stmt, bool) {
	ds := b.GetDirectives()
	if len(ds) != len(scanned) {
		return nil, false
	}
	out := make([]*Stmt, len(ds))
	for i, d := range ds {
		sc := scanned[i]
		s := &Stmt{Name: unquoteToken(d.GetName()), File: sc.File, Line: sc.Line, EndLine: sc.EndLine, IsBlock: sc.IsBlock}
		if s.Name != sc.Name || sc.err != nil {
			return nil, false
		}
		params := d.GetParameters()
		if len(params) != len(sc.Args) {
			return nil, false
		}
		for j, prm := range params {
			w := unquoteToken(prm.Value)
			if w != sc.Args[j] {
				return nil, false
			}
			s.Args = append(s.Args, w)
		}
		blk := d.GetBlock()
		if (blk != nil) != sc.IsBlock {
			return nil, false
		}
		if blk != nil {
			inner, ok := overlay(blk, sc.Block)
			if !ok {
				return nil, false
			}
			if inner == nil {
				inner = []*Stmt{}
			}
			s.Block = inner
		}
		out[i] = s
	}
	return out, true
}

// unquoteToken turns a raw gonginx token into the word nginx would see:
// a leading and trailing quote of the same kind are removed, then
// nginx's escape rules apply.
func unquoteToken(raw string) string {
	if n := len(raw); n >= 2 && (raw[0] == '"' || raw[0] == '\'') && raw[n-1] == raw[0] {
		return unescapeWord([]byte(raw[1 : n-1]))
	}
	return unescapeWord([]byte(raw))
}
