package confparse

// scan.go mirrors the state machine of nginx's configuration tokenizer
// (ngx_conf_read_token): how words, quotes, escapes and comments are
// read, on which line nginx considers each statement to be (the line of
// its terminating ";" or "{", which is what nginx prints in every error),
// and which structural mistakes nginx refuses (a stray "}", a ";" with no
// directive, a missing "}" at end of file, text glued to a closing
// quote).
//
// nginx handles each directive as soon as it has read it, so an error in
// a directive before a syntax error is the one it reports. The scanner
// therefore keeps the tree it read up to a syntax error and ends it with
// a statement that carries the error; the builder reports that error
// when its walk gets there.

import "fmt"

// scanResult is the statements of one file as a tree.
type scanResult struct {
	tree []*Stmt
}

// syntaxError is a structural error found by the scanner, with nginx's
// wording and line.
type syntaxError struct {
	msg  string
	line int
}

// scanFile runs nginx's tokenizer over src. param is true for the text of
// "-g", which nginx parses without a file and reports differently. On an
// error the result holds the tree read so far, whose last statement (at
// the depth of the mistake) has only err set.
func scanFile(src []byte, param bool) (*scanResult, *syntaxError) {
	s := &scanner{src: src, line: 1, param: param}
	res := &scanResult{}
	if err := s.block(&res.tree, false); err != nil {
		return res, err
	}
	return res, nil
}

type scanner struct {
	src   []byte
	pos   int
	line  int
	param bool
	// lex, when set, collects the text as written, for formatting (lex.go).
	lex *[]Lexeme
}

// emit records a lexeme when the scanner collects them.
func (s *scanner) emit(kind LexKind, text []byte, line int, glued bool) {
	if s.lex != nil {
		*s.lex = append(*s.lex, Lexeme{Kind: kind, Text: string(text), Line: line, Glued: glued})
	}
}

const (
	tokStmt = iota
	tokBlockStart
	tokBlockDone
	tokEOF
)

// block reads statements until the end of the enclosing block (inBlock)
// or of the file, adding them to dst.
func (s *scanner) block(dst *[]*Stmt, inBlock bool) *syntaxError {
	fail := func(err *syntaxError) *syntaxError {
		*dst = append(*dst, &Stmt{Line: err.line, err: &Diag{Level: LevelEmerg, Msg: err.msg, Line: err.line}})
		return err
	}
	for {
		words, kind, err := s.token()
		if err != nil {
			return fail(err)
		}
		switch kind {
		case tokEOF:
			if inBlock {
				return fail(&syntaxError{`unexpected end of file, expecting "}"`, s.line})
			}
			return nil
		case tokBlockDone:
			s.emit(LexClose, []byte("}"), s.line, false)
			if !inBlock {
				return fail(&syntaxError{`unexpected "}"`, s.line})
			}
			return nil
		case tokStmt:
			s.emit(LexSemi, []byte(";"), s.line, false)
			*dst = append(*dst, &Stmt{Name: words[0], Args: words[1:], Line: s.line})
		case tokBlockStart:
			s.emit(LexOpen, []byte("{"), s.line, false)
			if s.param {
				return fail(&syntaxError{"block directives are not supported in -g option", s.line})
			}
			st := &Stmt{Name: words[0], Args: words[1:], Line: s.line, IsBlock: true, Block: []*Stmt{}}
			*dst = append(*dst, st)
			if err := s.block(&st.Block, true); err != nil {
				return err
			}
			st.EndLine = s.line
		}
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// token reads one statement's words and says how it ended.
func (s *scanner) token() ([]string, int, *syntaxError) {
	var (
		words                    []string
		start                    int
		needSpace, sharp, quoted bool
		sQuoted, dQuoted         bool
		variable                 bool
		lastSpace                = true
		// for lex: where a word or comment starts, and a word glued
		// to the closing quote before it (`"a")`)
		startLine, sharpAt int
		glued, quotedWord  bool
	)
	for {
		if s.pos >= len(s.src) {
			if sharp {
				s.emit(LexComment, s.src[sharpAt:], s.line, false)
			}
			if len(words) > 0 || !lastSpace {
				if s.param {
					return nil, 0, &syntaxError{`unexpected end of parameter, expecting ";"`, s.line}
				}
				return nil, 0, &syntaxError{`unexpected end of file, expecting ";" or "}"`, s.line}
			}
			return nil, tokEOF, nil
		}
		ch := s.src[s.pos]
		s.pos++
		if ch == '\n' {
			if sharp {
				sharp = false
				s.emit(LexComment, s.src[sharpAt:s.pos-1], s.line, false)
			}
			s.line++
		}
		if sharp {
			continue
		}
		if quoted {
			quoted = false
			continue
		}
		if needSpace {
			switch {
			case isBlank(ch):
				lastSpace, needSpace = true, false
				continue
			case ch == ';':
				return words, tokStmt, nil
			case ch == '{':
				return words, tokBlockStart, nil
			case ch == ')':
				lastSpace, needSpace, glued = true, false, true
			default:
				return nil, 0, &syntaxError{fmt.Sprintf("unexpected \"%s\"", []byte{ch}), s.line}
			}
		}
		if lastSpace {
			start, startLine, quotedWord = s.pos-1, s.line, false
			if isBlank(ch) {
				glued = false
				continue
			}
			switch ch {
			case ';', '{':
				if len(words) == 0 {
					return nil, 0, &syntaxError{fmt.Sprintf("unexpected \"%s\"", []byte{ch}), s.line}
				}
				if ch == '{' {
					return words, tokBlockStart, nil
				}
				return words, tokStmt, nil
			case '}':
				if len(words) != 0 {
					return nil, 0, &syntaxError{`unexpected "}"`, s.line}
				}
				return nil, tokBlockDone, nil
			case '#':
				sharp, sharpAt = true, s.pos-1
				continue
			case '\\':
				quoted, lastSpace = true, false
				continue
			case '"':
				start++
				dQuoted, lastSpace, quotedWord = true, false, true
				continue
			case '\'':
				start++
				sQuoted, lastSpace, quotedWord = true, false, true
				continue
			case '$':
				variable, lastSpace = true, false
				continue
			default:
				lastSpace = false
			}
			continue
		}
		if ch == '{' && variable {
			continue
		}
		variable = false
		if ch == '\\' {
			quoted = true
			continue
		}
		if ch == '$' {
			variable = true
			continue
		}
		found := false
		switch {
		case dQuoted:
			if ch == '"' {
				dQuoted, needSpace, found = false, true, true
			}
		case sQuoted:
			if ch == '\'' {
				sQuoted, needSpace, found = false, true, true
			}
		case isBlank(ch) || ch == ';' || ch == '{':
			lastSpace, found = true, true
		}
		if found {
			words = append(words, unescapeWord(s.src[start:s.pos-1]))
			if quotedWord {
				s.emit(LexWord, s.src[start-1:s.pos], startLine, glued)
			} else {
				s.emit(LexWord, s.src[start:s.pos-1], startLine, glued)
			}
			glued = false
			if ch == ';' {
				return words, tokStmt, nil
			}
			if ch == '{' {
				return words, tokBlockStart, nil
			}
		}
	}
}

// unescapeWord applies nginx's copy rules to the bytes of one word (its
// quotes already removed): \" \' \\ lose the backslash, \t \r \n become
// control characters, and any other backslash stays, so regexes such as
// "\.php$" keep theirs.
func unescapeWord(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			switch b[i+1] {
			case '"', '\'', '\\':
				i++
			case 't':
				out = append(out, '\t')
				i++
				continue
			case 'r':
				out = append(out, '\r')
				i++
				continue
			case 'n':
				out = append(out, '\n')
				i++
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}
