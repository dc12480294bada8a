package confparse

// read.go turns configuration text into a tree of statements with the
// scanner (scan.go), which reads words, quotes, escapes and lines as
// nginx's tokenizer does; each file is parsed once. (gonginx, the
// project's chosen nginx-config library, formats files for "goproxy fmt";
// see package conffmt.) "include" is not expanded here: nginx expands it
// where it stands, in the context of the block around it, so the builder
// does that (see build.go).

import (
	"fmt"
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
	// err marks where a file's syntax error is: walking stops here with
	// it (see scan.go).
	err *Diag
}

// SourceFile is a configuration file as read, kept for "-T".
type SourceFile struct {
	Path string
	Text []byte
}

// readFile reads and parses one file. The only error returned is the
// failure to open it (a Diag without a position); a syntax error is part
// of the tree.
func readFile(path string, read func(string) ([]byte, error)) ([]*Stmt, []byte, *Diag) {
	text, err := read(path)
	if err != nil {
		return nil, nil, &Diag{Level: LevelEmerg, Msg: fmt.Sprintf("open() \"%s\" failed (%s)", path, ErrnoText(err))}
	}
	stmts, d := parseText(text, path, false)
	return stmts, text, d
}

// parseText parses configuration text; file names it in diagnostics.
// param is set for "-g" text, whose syntax errors nginx reports at once
// and without a position.
func parseText(text []byte, file string, param bool) ([]*Stmt, *Diag) {
	sc, serr := scanFile(text, param)
	if serr != nil && param {
		return nil, &Diag{Level: LevelEmerg, Msg: serr.msg + " in command line"}
	}
	setFile(sc.tree, file)
	return sc.tree, nil
}

// setFile names the file of a tree the scanner built.
func setFile(stmts []*Stmt, file string) {
	for _, s := range stmts {
		s.File = file
		if s.err != nil {
			s.err.File = file
		}
		setFile(s.Block, file)
	}
}
