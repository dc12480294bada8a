// Package conffmt is "goproxy fmt": it lays nginx configuration files out
// anew with gonginx's dumper, keeping every word exactly as written and
// every comment.
//
// The tree handed to the dumper is built from confparse.Lex, the words
// as nginx's tokenizer reads them, raw (quotes, escapes and all), rather
// than from gonginx's own parser: that one reads some of nginx's syntax
// differently (an escaped ";" outside quotes, "}" inside a word) and
// drops blank lines and the comments that end a block or a file. Words
// are never re-quoted or re-escaped, so what nginx reads cannot change;
// Format checks that anyway, and Config checks that the typed model is
// the same before and after.
package conffmt

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/tufanbarisyildirim/gonginx/config"
	"github.com/tufanbarisyildirim/gonginx/dumper"

	"goproxy/confparse"
)

// Indent is the indentation of one block level, as in nginx's own
// sample configurations.
const Indent = 4

// The dumper has no notion of blank lines or of comments with no
// directive after them; these markers, which no configuration holds (a
// NUL byte), stand for them in its tree and are resolved in its output.
const (
	blankMark = "\x00blank"     // a comment line: becomes an empty line
	dropMark  = "\x00drop\x00"  // a directive name: its line is removed
	dropLine  = dropMark + ";"  // ... as the dumper writes it
	emptyMark = "\x00empty\x00" // the one statement of an empty block: "{}"
	emptyLine = emptyMark + ";"
	markByte  = "\x00"            // refused in input, so markers are unambiguous
	errPrefix = "goproxy fmt: %s" // for errors without a position
)

// Format returns text laid out anew. A syntax error is nginx's, at its
// position in file.
func Format(text []byte, file string) ([]byte, error) {
	lex, err := confparse.Lex(text, file)
	if err != nil {
		return nil, err
	}
	if bytes.Contains(text, []byte(markByte)) {
		return nil, fmt.Errorf(errPrefix, file+": a NUL byte in the text; not formatted")
	}
	root := build(lex)
	style := &dumper.Style{Indent: Indent, DisableLuaFormatting: true}
	out := resolveMarks(dumper.DumpBlock(root, style))
	if err := sameWords(lex, out, file); err != nil {
		return nil, err
	}
	return out, nil
}

// resolveMarks turns the markers back into what they stand for and ends
// the text with one newline.
func resolveMarks(s string) []byte {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for i := 0; i < len(lines); i++ {
		switch strings.TrimLeft(lines[i], " ") {
		case blankMark:
			out = append(out, "")
		case dropLine:
		case emptyLine:
			// "name {", this line, then "}": one line.
			out[len(out)-1] += "}"
			i++
		default:
			out = append(out, lines[i])
		}
	}
	text := strings.TrimRight(strings.Join(out, "\n"), "\n")
	if text == "" {
		return nil
	}
	return []byte(text + "\n")
}

// sameWords checks that nginx reads the formatted text word for word as
// the original, and that every comment is still there.
func sameWords(before []confparse.Lexeme, after []byte, file string) error {
	lex, err := confparse.Lex(after, file)
	if err != nil {
		return fmt.Errorf(errPrefix, fmt.Sprintf("%s: the formatted text does not parse (%v); not formatted", file, err))
	}
	w1, c1 := split(before)
	w2, c2 := split(lex)
	if !slices.Equal(w1, w2) || !slices.Equal(c1, c2) {
		return fmt.Errorf(errPrefix, file+": formatting would change the words nginx reads; not formatted")
	}
	return nil
}

// split separates what nginx reads (words, with their gluing, and
// punctuation) from the comments, sorted: a comment may move to a line
// of its own, before or after a word.
func split(lex []confparse.Lexeme) (words, comments []string) {
	for _, l := range lex {
		switch {
		case l.Kind == confparse.LexComment:
			comments = append(comments, commentText(l.Text))
		case l.Glued:
			words = append(words, ")"+l.Text)
		default:
			words = append(words, l.Text)
		}
	}
	slices.Sort(comments)
	return words, comments
}

// commentText is a comment without the blanks that end its line.
func commentText(s string) string { return strings.TrimRight(s, " \t\r") }

// builder turns lexemes into the dumper's tree.
type builder struct {
	prevEnd  int // line the previous lexeme ends on
	prev     confparse.LexKind
	stack    []*block // open blocks, innermost last
	cur      *stmt    // the statement being read
	lastLeaf *stmt    // the last statement ended by ";"
	all      []*stmt  // every statement, finished at the end
}

// block is a block being filled: its statements, and the comments read
// since the last one.
type block struct {
	b       *config.Block
	pending []string
}

// stmt is a statement being read.
type stmt struct {
	d        *config.Directive
	line     int            // relative index of the line of its last word
	comments map[int]string // comments at the end of a line of words, by index
	leaf     bool           // ended by ";"
}

func build(lex []confparse.Lexeme) *config.Block {
	b := &builder{prev: -1}
	b.stack = []*block{{b: &config.Block{}}}
	for _, l := range lex {
		b.add(l)
		b.prevEnd = l.Line + strings.Count(l.Text, "\n")
		b.prev = l.Kind
	}
	top := b.stack[0]
	b.closeBlock(top, true)
	for _, s := range b.all {
		s.finish()
	}
	layout(top.b)
	return top.b
}

func (b *builder) top() *block { return b.stack[len(b.stack)-1] }

func (b *builder) add(l confparse.Lexeme) {
	blank := b.prev >= 0 && l.Line > b.prevEnd+1
	sameLine := b.prev >= 0 && l.Line == b.prevEnd
	switch l.Kind {
	case confparse.LexComment:
		text := commentText(l.Text)
		switch {
		case b.cur != nil && sameLine:
			b.cur.addComment(b.cur.line, text)
		case b.cur != nil:
			// A comment line inside a statement goes before it.
			b.cur.d.Comment = append(b.cur.d.Comment, text)
		case sameLine && b.prev == confparse.LexSemi:
			b.lastLeaf.addComment(b.lastLeaf.line, text)
		default:
			b.top().comment(text, blank && !sameLine)
		}
	case confparse.LexWord:
		if b.cur == nil {
			t := b.top()
			if blank {
				t.blank()
			}
			b.cur = &stmt{d: &config.Directive{Name: l.Text, Comment: t.pending}}
			t.pending = nil
			return
		}
		d := b.cur.d
		if l.Glued {
			if n := len(d.Parameters); n > 0 {
				d.Parameters[n-1].Value += l.Text
			} else {
				d.Name += l.Text
			}
			return
		}
		if !sameLine {
			b.cur.line++
		}
		d.Parameters = append(d.Parameters, config.Parameter{Value: l.Text, RelativeLineIndex: b.cur.line})
	case confparse.LexSemi:
		b.cur.leaf = true
		b.all = append(b.all, b.cur)
		b.top().b.Directives = append(b.top().b.Directives, b.cur.d)
		b.lastLeaf, b.cur = b.cur, nil
	case confparse.LexOpen:
		inner := &block{b: &config.Block{}}
		// The dumper writes no comment after a block's "{": one that
		// ended its last line goes first in the block.
		if c, ok := b.cur.comments[b.cur.line]; ok {
			inner.pending = append(inner.pending, c)
			delete(b.cur.comments, b.cur.line)
		}
		b.all = append(b.all, b.cur)
		b.cur.d.Block = inner.b
		b.top().b.Directives = append(b.top().b.Directives, b.cur.d)
		b.stack = append(b.stack, inner)
		b.cur = nil
	case confparse.LexClose:
		b.closeBlock(b.top(), false)
		b.stack = b.stack[:len(b.stack)-1]
	}
}

// comment adds a comment on a line of its own to the block.
func (t *block) comment(text string, blank bool) {
	if blank {
		t.blank()
	}
	t.pending = append(t.pending, text)
}

// blank marks an empty line before what comes next, except at the start
// of a block.
func (t *block) blank() {
	if len(t.b.Directives) > 0 || len(t.pending) > 0 {
		t.pending = append(t.pending, blankMark)
	}
}

// closeBlock keeps the comments that end a block with a statement the
// output loses; an empty block is written "{}".
func (b *builder) closeBlock(t *block, top bool) {
	switch {
	case len(t.pending) > 0 || top && len(t.b.Directives) == 0:
		t.b.Directives = append(t.b.Directives, &config.Directive{Name: dropMark, Comment: t.pending})
		t.pending = nil
	case len(t.b.Directives) == 0:
		t.b.Directives = append(t.b.Directives, &config.Directive{Name: emptyMark})
	}
}

func (s *stmt) addComment(line int, text string) {
	if s.comments == nil {
		s.comments = map[int]string{}
	}
	if _, ok := s.comments[line]; ok {
		// One comment ends a line: a second goes before the statement.
		s.d.Comment = append(s.d.Comment, text)
		return
	}
	s.comments[line] = text
}

// finish hands the statement's end-of-line comments to the dumper, which
// writes the last one right after the ";" of a leaf and the others after
// a space.
func (s *stmt) finish() {
	for line, c := range s.comments {
		if line == s.line && s.leaf {
			c = " " + c
		}
		s.d.SetInlineComment(config.InlineComment{Value: c, RelativeLineIndex: line})
	}
}

// tables are the blocks of "key value" entries, whose values line up.
var tables = map[string]bool{"types": true, "map": true, "geo": true, "split_clients": true, "charset_map": true}

// layout lines up the values of table blocks, and the continuation lines
// of a statement under its first parameter (log_format's style in
// nginx's documentation). Only blanks between words change.
func layout(b *config.Block) {
	for _, d := range b.Directives {
		d := d.(*config.Directive)
		if d.Block != nil {
			inner := d.Block.(*config.Block)
			if tables[d.Name] {
				alignKeys(inner)
			}
			layout(inner)
		}
		if len(d.Parameters) == 0 || d.Parameters[0].RelativeLineIndex != 0 || strings.Contains(d.Name, "\n") {
			continue
		}
		pad := strings.Repeat(" ", max(len(d.Name)+1-Indent, 0))
		line := 0
		for i, p := range d.Parameters {
			if p.RelativeLineIndex != line {
				line = p.RelativeLineIndex
				d.Parameters[i].Value = pad + p.Value
			}
		}
	}
}

// alignKeys pads the keys of one-line entries to a common width.
func alignKeys(b *config.Block) {
	width := 0
	var entries []*config.Directive
	for _, d := range b.Directives {
		d := d.(*config.Directive)
		ps := d.Parameters
		if d.Block != nil || len(ps) == 0 || ps[len(ps)-1].RelativeLineIndex != 0 || strings.Contains(d.Name, "\n") {
			continue
		}
		entries = append(entries, d)
		width = max(width, len(d.Name))
	}
	for _, d := range entries {
		d.Name += strings.Repeat(" ", width-len(d.Name))
	}
}
