package confparse

// regex.go compiles nginx's PCRE regexes with Go's RE2 engine. The common
// PCRE spellings are translated; what RE2 cannot do (look-around,
// back-references, possessive quantifiers) is refused by name rather
// than matched differently.

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// CompileRegex compiles an nginx regex; caseless is "~*".
func CompileRegex(src string, caseless bool) (*Regexp, error) {
	if feat := pcreOnly(src); feat != "" {
		return nil, fmt.Errorf("regex \"%s\" uses %s, which goproxy's regex engine (RE2) does not support", src, feat)
	}
	expr := translatePCRE(src)
	if caseless {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("pcre2_compile() failed: %s in \"%s\"", pcreWording(err), src)
	}
	r := &Regexp{Source: src, Caseless: caseless, Re: re}
	for _, n := range re.SubexpNames() {
		if n != "" {
			r.Names = append(r.Names, n)
		}
	}
	return r, nil
}

// pcreOnly names a PCRE feature RE2 lacks, or returns "".
func pcreOnly(src string) string {
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '\\':
			if i+1 < len(src) && src[i+1] >= '1' && src[i+1] <= '9' {
				return "a back-reference"
			}
			i++
		case '(':
			rest := src[i+1:]
			switch {
			case strings.HasPrefix(rest, "?="), strings.HasPrefix(rest, "?!"):
				return "a look-ahead"
			case strings.HasPrefix(rest, "?<="), strings.HasPrefix(rest, "?<!"):
				return "a look-behind"
			case strings.HasPrefix(rest, "?>"):
				return "an atomic group"
			}
		case '+':
			if i > 0 && strings.ContainsRune("*+?}", rune(src[i-1])) && (i < 2 || src[i-2] != '\\') {
				return "a possessive quantifier"
			}
		}
	}
	return ""
}

// translatePCRE rewrites PCRE escapes RE2 spells differently: "\ " and
// other escaped non-punctuation become literals, "\Z" becomes "\z".
func translatePCRE(src string) string {
	var b strings.Builder
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '\\' || i+1 >= len(src) {
			b.WriteByte(c)
			continue
		}
		n := src[i+1]
		i++
		switch {
		case n == 'Z':
			b.WriteString(`\z`)
		case n == '/' || n == ' ' || n == '"' || n == '\'' || n >= 0x80:
			b.WriteString(regexp.QuoteMeta(string(n)))
		default:
			b.WriteByte('\\')
			b.WriteByte(n)
		}
	}
	return b.String()
}

// pcreWording maps Go's regex errors to PCRE's messages where they exist.
func pcreWording(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		switch se.Code {
		case syntax.ErrMissingParen:
			return "missing closing parenthesis"
		case syntax.ErrUnexpectedParen:
			return "unmatched closing parenthesis"
		case syntax.ErrMissingBracket:
			return "missing terminating ] for character class"
		case syntax.ErrMissingRepeatArgument:
			return "quantifier does not follow a repeatable item"
		case syntax.ErrInvalidEscape:
			return "unrecognized character follows \\"
		}
		return string(se.Code)
	}
	return err.Error()
}

// regex compiles a statement's regex argument; its named captures become
// variables, as in nginx.
func (b *builder) regex(s *Stmt, src string, caseless bool) (*Regexp, error) {
	r, err := CompileRegex(src, caseless)
	if err != nil {
		return nil, errf(s, "%s", err.Error())
	}
	b.defineCaptures(r)
	return r, nil
}
