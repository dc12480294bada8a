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

// pcreOnly names a PCRE feature RE2 lacks, or returns "". It reads the
// pattern's structure (escapes, \Q..\E, \p{..}, classes, quantifiers)
// so that "\p{N}+" or "[*+]" are not taken for possessive quantifiers.
func pcreOnly(src string) string {
	quantEnd := -1 // index just past the last quantifier
	inClass := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '+' && i == quantEnd && !inClass {
			return "a possessive quantifier"
		}
		switch {
		case c == '\\':
			if i+1 >= len(src) {
				return ""
			}
			n := src[i+1]
			switch {
			case !inClass && n >= '1' && n <= '9':
				return "a back-reference"
			case n == 'Q':
				end := strings.Index(src[i+2:], `\E`)
				if end < 0 {
					return ""
				}
				i += 2 + end + 1
				continue
			case (n == 'p' || n == 'P' || n == 'x') && i+2 < len(src) && src[i+2] == '{':
				end := strings.IndexByte(src[i+2:], '}')
				if end < 0 {
					return ""
				}
				i += 2 + end
				continue
			}
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			// A "]" first in the class is a literal.
			if strings.HasPrefix(src[i+1:], "^]") {
				i += 2
			} else if strings.HasPrefix(src[i+1:], "]") {
				i++
			}
		case c == '(':
			rest := src[i+1:]
			switch {
			case strings.HasPrefix(rest, "?="), strings.HasPrefix(rest, "?!"):
				return "a look-ahead"
			case strings.HasPrefix(rest, "?<="), strings.HasPrefix(rest, "?<!"):
				return "a look-behind"
			case strings.HasPrefix(rest, "?>"):
				return "an atomic group"
			}
			if strings.HasPrefix(rest, "?") {
				i++ // a group's "?" is no quantifier
			}
		case c == '*' || c == '+' || c == '?':
			quantEnd = i + 1
		case c == '{':
			if n := quantLen(src[i:]); n > 0 {
				i += n - 1
				quantEnd = i + 1
			}
		}
	}
	return ""
}

// quantLen is the length of a {n}, {n,} or {n,m} quantifier at the start
// of s, or 0 where the brace is a literal (as PCRE reads it).
func quantLen(s string) int {
	digits := func(j int) int {
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		return k
	}
	j := digits(1)
	if j == 1 {
		return 0
	}
	if j < len(s) && s[j] == ',' {
		j = digits(j + 1)
	}
	if j < len(s) && s[j] == '}' {
		return j + 1
	}
	return 0
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
