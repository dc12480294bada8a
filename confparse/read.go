package confparse

// read.go turns configuration text into a tree of statements: gonginx
// parses, the scanner (scan.go) checks the structure and supplies nginx's
// line numbers, and words are unquoted as nginx does. "include" is not
// expanded here: nginx expands it where it stands, in the context of the
// block around it, so the builder does that (see include.go).

import (
	"fmt"
	"os"

	"github.com/tufanbarisyildirim/gonginx/config"
	"github.com/tufanbarisyildirim/gonginx/parser"
)

// Stmt is one directive as written: its unquoted words, where it is, and
// its block if it has one.
type Stmt struct {
	Name    string
	Args    []string
	File    string
	Line    int     // nginx's line: the line of the ";" or "{" ending it
	IsBlock bool    // written with a block
	Block   []*Stmt // the block's statements (nil for a leaf)
	EndLine int     // line of the closing "}"
}

// SourceFile is a configuration file as read, kept for "-T".
type SourceFile struct {
	Path string
	Text []byte
}

func init() {
	// gonginx wraps some directives (server, location, upstream, include,
	// ...) into typed structs that reorder or drop words and apply their
	// own arity rules. goproxy applies nginx's rules itself, so every
	// statement must stay a plain directive. The Lua-block wrapper stays:
	// the parser calls it unconditionally for *_by_lua_block names.
	for k := range config.BlockWrappers {
		if k != "_by_lua_block" {
			delete(config.BlockWrappers, k)
		}
	}
	clear(config.DirectiveWrappers)
	clear(config.IncludeWrappers)
}

// readFile reads and parses one file.
func readFile(path string) ([]*Stmt, []byte, *Diag) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, &Diag{Level: LevelEmerg, Msg: fmt.Sprintf("open() %q failed (%s)", path, errnoText(err))}
	}
	stmts, d := parseText(text, path, false)
	return stmts, text, d
}

// parseText parses configuration text; file names it in diagnostics.
// param is set for "-g" text.
func parseText(text []byte, file string, param bool) ([]*Stmt, *Diag) {
	sc, serr := scanFile(text, param)
	if serr != nil {
		d := &Diag{Level: LevelEmerg, Msg: serr.msg, File: file, Line: serr.line}
		if param {
			d.File = ""
			d.Msg += " in command line"
		}
		return nil, d
	}
	p := parser.NewStringParser(string(text), parser.WithSkipValidDirectivesErr(), parser.WithSkipComments())
	cfg, err := p.Parse()
	if err != nil {
		return nil, &Diag{Level: LevelEmerg, Msg: err.Error(), File: file, Line: 1}
	}
	c := &converter{file: file, scan: sc.stmts, aligned: true}
	return c.block(cfg.Block), nil
}

// converter walks gonginx's tree in document order, pairing each
// statement with the scanner's statement at the same position. Should the
// two tokenizers ever disagree (an nginx corner gonginx reads
// differently), the statements from there on keep gonginx's lines.
type converter struct {
	file    string
	scan    []scanStmt
	next    int
	aligned bool
}

func (c *converter) block(b config.IBlock) []*Stmt {
	var out []*Stmt
	for _, d := range b.GetDirectives() {
		s := &Stmt{Name: unquoteToken(d.GetName()), File: c.file, Line: d.GetLine()}
		for _, p := range d.GetParameters() {
			s.Args = append(s.Args, unquoteToken(p.Value))
		}
		var sc *scanStmt
		if c.next < len(c.scan) {
			sc = &c.scan[c.next]
			c.next++
			if sc.name != s.Name || sc.nargs != len(s.Args) {
				c.aligned = false
			}
		} else {
			c.aligned = false
		}
		if c.aligned && sc != nil {
			s.Line = sc.line
			s.EndLine = sc.end
		}
		if blk := d.GetBlock(); blk != nil {
			s.IsBlock = true
			s.Block = c.block(blk)
			if s.Block == nil {
				s.Block = []*Stmt{}
			}
			if s.EndLine == 0 {
				s.EndLine = d.GetLine()
			}
		}
		out = append(out, s)
	}
	return out
}
