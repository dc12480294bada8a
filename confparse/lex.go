package confparse

// lex.go exposes the scanner's reading of a file as the text was written
// — each word with its quotes and escapes, each comment, each ";", "{"
// and "}" with its line — so that "goproxy fmt" can lay a file out anew
// from exactly the words nginx reads, and compare two texts word for word.

// LexKind is what a lexeme is.
type LexKind int

// Lexeme kinds.
const (
	LexWord    LexKind = iota // a word, as written: `"a b"`, `\.php$`
	LexSemi                   // ";" ending a statement
	LexOpen                   // "{" opening a block
	LexClose                  // "}" closing a block
	LexComment                // "#" to the end of the line, without the newline
)

// Lexeme is one piece of configuration text.
type Lexeme struct {
	Kind LexKind
	Text string
	Line int // line it starts on
	// Glued marks a word written right after the previous one, which
	// nginx allows only for ")" after a closing quote: `("a")`.
	Glued bool
}

// Lex reads text as nginx's tokenizer does. A syntax error is returned
// as nginx words it, at its position in file.
func Lex(text []byte, file string) ([]Lexeme, error) {
	var out []Lexeme
	s := &scanner{src: text, line: 1, lex: &out}
	var tree []*Stmt
	if err := s.block(&tree, false); err != nil {
		return nil, &Diag{Level: LevelEmerg, Msg: err.msg, File: file, Line: err.line}
	}
	return out, nil
}
