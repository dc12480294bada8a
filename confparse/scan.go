package confparse

// scan.go mirrors the state machine of nginx's configuration tokenizer
// (ngx_conf_read_token) closely enough to answer two questions that
// gonginx cannot: on which line nginx considers each statement to be
// (the line of its terminating ";" or "{", which is what nginx prints in
// every error), and which structural mistakes nginx refuses (a stray "}",
// a ";" with no directive, a missing "}" at end of file, text glued to a
// closing quote). gonginx remains the parser that builds the tree; the
// scanner only checks and locates.

import "fmt"

// scanStmt is one statement as nginx's tokenizer sees it.
type scanStmt struct {
	name  string // the first word, unescaped
	nargs int    // number of words after the name
	line  int    // line of the terminating ";" or "{"
	block bool   // terminated by "{"
	end   int    // for blocks: line of the closing "}"
}

// scanResult is the pre-order list of statements of one file.
type scanResult struct {
	stmts []scanStmt
}

// syntaxError is a structural error found by the scanner, with nginx's
// wording and line.
type syntaxError struct {
	msg  string
	line int
}

// scanFile runs nginx's tokenizer over src. param is true for the text of
// "-g", which nginx parses without a file and reports differently.
func scanFile(src []byte, param bool) (*scanResult, *syntaxError) {
	s := &scanner{src: src, line: 1, param: param}
	res := &scanResult{}
	if err := s.block(res, false); err != nil {
		return nil, err
	}
	return res, nil
}

type scanner struct {
	src   []byte
	pos   int
	line  int
	param bool
}

const (
	tokStmt = iota
	tokBlockStart
	tokBlockDone
	tokEOF
)

// block reads statements until the end of the enclosing block (inBlock)
// or of the file.
func (s *scanner) block(res *scanResult, inBlock bool) *syntaxError {
	for {
		words, kind, err := s.token()
		if err != nil {
			return err
		}
		switch kind {
		case tokEOF:
			if inBlock {
				return &syntaxError{`unexpected end of file, expecting "}"`, s.line}
			}
			return nil
		case tokBlockDone:
			if !inBlock {
				return &syntaxError{`unexpected "}"`, s.line}
			}
			return nil
		case tokStmt:
			res.stmts = append(res.stmts, scanStmt{name: words[0], nargs: len(words) - 1, line: s.line})
		case tokBlockStart:
			i := len(res.stmts)
			res.stmts = append(res.stmts, scanStmt{name: words[0], nargs: len(words) - 1, line: s.line, block: true})
			if err := s.block(res, true); err != nil {
				return err
			}
			res.stmts[i].end = s.line
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
	)
	for {
		if s.pos >= len(s.src) {
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
			s.line++
			if sharp {
				sharp = false
			}
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
				lastSpace, needSpace = true, false
			default:
				return nil, 0, &syntaxError{fmt.Sprintf("unexpected %q", string(ch)), s.line}
			}
		}
		if lastSpace {
			start = s.pos - 1
			if isBlank(ch) {
				continue
			}
			switch ch {
			case ';', '{':
				if len(words) == 0 {
					return nil, 0, &syntaxError{fmt.Sprintf("unexpected %q", string(ch)), s.line}
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
				sharp = true
				continue
			case '\\':
				quoted, lastSpace = true, false
				continue
			case '"':
				start++
				dQuoted, lastSpace = true, false
				continue
			case '\'':
				start++
				sQuoted, lastSpace = true, false
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

// unquoteToken turns a raw gonginx token into the word nginx would see:
// a leading and trailing quote of the same kind are removed, then
// nginx's escape rules apply.
func unquoteToken(raw string) string {
	if n := len(raw); n >= 2 && (raw[0] == '"' || raw[0] == '\'') && raw[n-1] == raw[0] {
		return unescapeWord([]byte(raw[1 : n-1]))
	}
	return unescapeWord([]byte(raw))
}
