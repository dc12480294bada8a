package confparse

// regex_read.go reads a pattern as PCRE2 reads it in nginx (no UTF mode:
// a pattern and its subject are bytes, \d \w \s and caseless matching are
// ASCII) and writes it twice: for Go's RE2 engine, where RE2 means the
// same, and for the backtracking engine (regexp2), whose input is the
// subject with every byte above 0x7f moved to a private-use rune, so that
// "." and classes see bytes and nothing folds or counts as a letter.

import (
	"fmt"
	"strconv"
	"strings"
)

// btByteBase is where a byte above 0x7f lands in the backtracking
// engine's input: U+E080..U+E0FF are private-use runes, which no case
// folding, \w, \d or \s touches (PCRE's C-locale tables treat those bytes
// the same way).
const btByteBase = 0xE000

// pcreRead is the outcome of reading one pattern.
type pcreRead struct {
	re2, bt string
	// needBT names the first thing RE2 cannot do as PCRE does; "" when
	// the RE2 translation means the same for the subjects below.
	needBT string
	// nlSensitive: "$", "\Z" (or "^" under (?m)) read a final "\n" as
	// PCRE does only in the backtracking engine.
	nlSensitive bool
	// byteSensitive: \h, \v, \B read a non-ASCII byte differently
	// from RE2 reading it as part of a UTF-8 character (readsNonASCII
	// finds the rest), so a non-ASCII subject goes to the backtracking
	// engine.
	byteSensitive bool
	// ungreedy: (?U), which RE2 reads as PCRE does and regexp2 ignores.
	ungreedy bool
}

type pcreReader struct {
	src      string
	i        int
	re2, bt  strings.Builder
	out      pcreRead
	quantEnd int // index just past the last quantifier, for "a++"
	multi    bool
}

// readPCRE translates src; an error is in PCRE's words.
func readPCRE(src string) (pcreRead, error) {
	r := &pcreReader{src: src, quantEnd: -1}
	for r.i < len(src) {
		if err := r.item(); err != nil {
			return r.out, err
		}
	}
	if r.multi {
		r.out.nlSensitive = true
	}
	r.out.re2, r.out.bt = r.re2.String(), r.bt.String()
	return r.out, nil
}

func (r *pcreReader) need(what string) {
	if r.out.needBT == "" {
		r.out.needBT = what
	}
}

// emit writes the same text to both engines.
func (r *pcreReader) emit(s string) {
	r.re2.WriteString(s)
	r.bt.WriteString(s)
}

// byteLit writes one literal byte for both engines.
func (r *pcreReader) byteLit(b byte) {
	if b >= 0x80 {
		r.need("a non-ASCII byte")
		fmt.Fprintf(&r.bt, `\u%04X`, btByteBase+int(b))
		return
	}
	var s string
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '_':
		s = string(rune(b))
	case b > ' ' && b < 0x7f:
		s = `\` + string(rune(b))
	default:
		s = fmt.Sprintf(`\x%02X`, b)
	}
	r.emit(s)
}

// item reads one element outside a class.
func (r *pcreReader) item() error {
	src, i := r.src, r.i
	c := src[i]
	switch {
	case c == '\\':
		return r.escape(false)
	case c == '[':
		return r.class()
	case c == '(':
		return r.group()
	case c == '*' || c == '+' || c == '?':
		if c == '+' && i == r.quantEnd {
			r.need("a possessive quantifier")
			r.bt.WriteByte('+')
			r.i++
			return nil
		}
		if c == '?' && i == r.quantEnd {
			r.emit("?") // lazy
			r.i++
			return nil
		}
		r.emit(string(c))
		r.i++
		r.quantEnd = r.i
		return nil
	case c == '{':
		if n := quantLen(src[i:]); n > 0 {
			r.emit(src[i : i+n])
			r.i += n
			r.quantEnd = r.i
			return nil
		}
		r.emit(`\{`)
		r.i++
		return nil
	case c == '$':
		r.out.nlSensitive = true
	case c >= 0x80:
		r.byteLit(c)
		r.i++
		return nil
	}
	r.emit(string(c))
	r.i++
	return nil
}

// escape reads a backslash sequence, outside a class or in one.
func (r *pcreReader) escape(inClass bool) error {
	src := r.src
	if r.i+1 >= len(src) {
		return fmt.Errorf(`\ at end of pattern`)
	}
	n := src[r.i+1]
	r.i += 2
	switch n {
	case 'd', 'w':
		if inClass {
			r.re2.WriteString(map[byte]string{'d': `0-9`, 'w': `0-9A-Za-z_`}[n])
			r.bt.WriteString(`\` + string(n))
			return nil
		}
		r.emit(`\` + string(n))
	case 'D', 'W':
		r.emit(`\` + string(n))
	case 's':
		// PCRE's \s has VT, RE2's has not.
		if inClass {
			r.re2.WriteString(`\t\n\v\f\r `)
		} else {
			r.re2.WriteString(`[\t\n\v\f\r ]`)
		}
		r.bt.WriteString(`\s`)
	case 'S':
		if inClass {
			r.need(`\S in a class`)
		} else {
			r.re2.WriteString(`[^\t\n\v\f\r ]`)
		}
		r.bt.WriteString(`\S`)
	case 'h', 'v', 'H', 'V', 'N':
		set := map[byte]string{'h': `\t `, 'H': `\t `, 'v': `\n\v\f\r`, 'V': `\n\v\f\r`, 'N': `\n`}[n]
		high := map[byte]string{'h': `\uE0A0`, 'H': `\uE0A0`, 'v': `\uE085`, 'V': `\uE085`}[n]
		neg := n != 'h' && n != 'v'
		r.out.byteSensitive = true
		switch {
		case inClass && neg:
			r.need(`\` + string(n) + ` in a class`)
			r.bt.WriteString(`\` + string(n))
		case inClass:
			r.re2.WriteString(set)
			r.bt.WriteString(set + high)
		case neg:
			r.re2.WriteString(`[^` + set + `]`)
			r.bt.WriteString(`[^` + set + high + `]`)
		default:
			r.re2.WriteString(`[` + set + `]`)
			r.bt.WriteString(`[` + set + high + `]`)
		}
	case 'R':
		r.need(`\R`)
		r.bt.WriteString(`(?>\r\n|[\n\v\f\r\uE085])`)
	case 'p', 'P':
		// Unicode properties of the bytes as Latin-1 code points in
		// PCRE; the same for ASCII subjects here.
		end := r.i + 1
		if r.i < len(src) && src[r.i] == '{' {
			k := strings.IndexByte(src[r.i:], '}')
			if k < 0 {
				return fmt.Errorf("malformed \\P or \\p sequence")
			}
			end = r.i + k + 1
		}
		if end > len(src) {
			return fmt.Errorf("malformed \\P or \\p sequence")
		}
		r.emit(`\` + string(n) + src[r.i:end])
		r.i = end
	case 'Q':
		end := strings.Index(src[r.i:], `\E`)
		lit := src[r.i:]
		if end >= 0 {
			lit = src[r.i : r.i+end]
			r.i += end + 2
		} else {
			r.i = len(src)
		}
		for k := 0; k < len(lit); k++ {
			r.byteLit(lit[k])
		}
	case 'E':
	case 'Z':
		r.out.nlSensitive = true
		r.re2.WriteString(`\z`)
		r.bt.WriteString(`\Z`)
	case 'z', 'A':
		r.emit(`\` + string(n))
	case 'b', 'B':
		if inClass && n == 'b' {
			r.emit(`\x08`)
			return nil
		}
		// \B holds inside a UTF-8 character, where RE2 never looks.
		r.out.byteSensitive = r.out.byteSensitive || n == 'B'
		r.emit(`\` + string(n))
	case 'G':
		r.need(`\G`)
		r.bt.WriteString(`\G`)
	case 'K', 'X', 'C':
		r.need(`\` + string(n))
		r.bt.WriteString(`\` + string(n))
	case 'g', 'k':
		r.need("a back-reference")
		return r.backref(n)
	case 'x':
		v, end := 0, r.i
		if end < len(src) && src[end] == '{' {
			k := strings.IndexByte(src[end:], '}')
			if k < 0 {
				return fmt.Errorf("missing terminating } in \\x{}")
			}
			u, err := strconv.ParseUint(src[end+1:end+k], 16, 32)
			if err != nil {
				return fmt.Errorf("non-hex character in \\x{} (closing brace missing?)")
			}
			v, end = int(u), end+k+1
		} else {
			for d := 0; d < 2 && end < len(src) && isHex(src[end]); d++ {
				u, _ := strconv.ParseUint(src[end:end+1], 16, 8)
				v, end = v*16+int(u), end+1
			}
		}
		r.i = end
		return r.code(v)
	case 'o':
		if r.i >= len(src) || src[r.i] != '{' {
			return fmt.Errorf("missing opening brace after \\o")
		}
		k := strings.IndexByte(src[r.i:], '}')
		if k < 0 {
			return fmt.Errorf("missing } after \\o{")
		}
		u, err := strconv.ParseUint(src[r.i+1:r.i+k], 8, 32)
		if err != nil {
			return fmt.Errorf("non-octal character in \\o{} (closing brace missing?)")
		}
		r.i += k + 1
		return r.code(int(u))
	case '0':
		v := 0
		for d := 0; d < 2 && r.i < len(src) && src[r.i] >= '0' && src[r.i] <= '7'; d++ {
			v, r.i = v*8+int(src[r.i]-'0'), r.i+1
		}
		return r.code(v)
	case 'e':
		return r.code(0x1b)
	case 'a':
		return r.code(0x07)
	case 'c':
		if r.i >= len(src) || src[r.i] >= 0x80 {
			return fmt.Errorf(`\c at end of pattern`)
		}
		v := int(src[r.i])
		if v >= 'a' && v <= 'z' {
			v -= 32
		}
		r.i++
		return r.code(v ^ 0x40)
	case 'f', 'n', 'r', 't':
		r.emit(`\` + string(n))
	default:
		switch {
		case n >= '1' && n <= '9':
			if inClass {
				// PCRE reads \1..\7 in a class as octal.
				v, end := 0, r.i-1
				for d := 0; d < 3 && end < len(src) && src[end] >= '0' && src[end] <= '7'; d++ {
					v, end = v*8+int(src[end]-'0'), end+1
				}
				if end == r.i-1 {
					r.byteLit(n) // \8, \9
					return nil
				}
				r.i = end
				return r.code(v)
			}
			r.need("a back-reference")
			r.i -= 2
			return r.backref(n)
		case n >= 0x80 || !isAlnum(n):
			r.byteLit(n)
		default:
			return fmt.Errorf("unrecognized character follows \\")
		}
	}
	return nil
}

// code writes the character with code v (a byte in non-UTF mode).
func (r *pcreReader) code(v int) error {
	if v > 0xff {
		return fmt.Errorf("character code point value in \\x{} or \\o{} is too large")
	}
	r.byteLit(byte(v))
	return nil
}

// backref writes \N, \gN, \g{N}, \g{name}, \k<name>, \k'name', \k{name}
// for the backtracking engine (.NET spells them \N and \k<name>).
func (r *pcreReader) backref(kind byte) error {
	src := r.src
	if kind >= '1' && kind <= '9' {
		r.i++ // the backslash
		r.numberRef()
		return nil
	}
	if r.i >= len(src) {
		return fmt.Errorf("a numbered reference must not be zero")
	}
	open := src[r.i]
	close := map[byte]byte{'{': '}', '<': '>', '\'': '\''}[open]
	if close == 0 {
		if kind == 'g' {
			r.numberRef()
			return nil
		}
		return fmt.Errorf("\\k is not followed by a braced, angle-bracketed, or quoted name")
	}
	k := strings.IndexByte(src[r.i+1:], close)
	if k < 0 {
		return fmt.Errorf("syntax error in subpattern name (missing terminator?)")
	}
	name := src[r.i+1 : r.i+1+k]
	r.i += k + 2
	if _, err := strconv.Atoi(name); err == nil {
		r.bt.WriteString(`\` + name)
	} else {
		r.bt.WriteString(`\k<` + name + `>`)
	}
	return nil
}

// numberRef writes the back-reference whose digits start at r.i.
func (r *pcreReader) numberRef() {
	end := r.i
	for end < len(r.src) && r.src[end] >= '0' && r.src[end] <= '9' {
		end++
	}
	r.bt.WriteString(`\` + r.src[r.i:end])
	r.i = end
}

// class reads [...]; PCRE's POSIX classes become ASCII sets.
func (r *pcreReader) class() error {
	src := r.src
	r.i++
	r.emit("[")
	if r.i < len(src) && src[r.i] == '^' {
		r.emit("^")
		r.i++
	}
	if r.i < len(src) && src[r.i] == ']' {
		r.emit(`\]`)
		r.i++
	}
	for r.i < len(src) {
		c := src[r.i]
		switch {
		case c == ']':
			r.emit("]")
			r.i++
			return nil
		case c == '\\':
			if err := r.escape(true); err != nil {
				return err
			}
		case c == '[' && r.i+1 < len(src) && src[r.i+1] == ':':
			end := strings.Index(src[r.i:], ":]")
			if end < 0 {
				r.emit(`\[`)
				r.i++
				continue
			}
			name := src[r.i+2 : r.i+end]
			neg := strings.HasPrefix(name, "^")
			set, ok := posixClasses[strings.TrimPrefix(name, "^")]
			if !ok {
				return fmt.Errorf("unknown POSIX class name")
			}
			r.re2.WriteString(src[r.i : r.i+end+2])
			if neg {
				r.need("a negated POSIX class")
				set = complementASCII(set) + fmt.Sprintf(`\u%04X-\u%04X`, btByteBase+0x80, btByteBase+0xff)
			}
			r.bt.WriteString(set)
			r.i += end + 2
		case c == '[':
			r.emit(`\[`) // .NET would read "-[" as class subtraction
			r.i++
		case c >= 0x80:
			r.byteLit(c)
			r.i++
		default:
			r.emit(string(c))
			r.i++
		}
	}
	return fmt.Errorf("missing terminating ] for character class")
}

// group reads "(" and what follows it up to the group's body.
func (r *pcreReader) group() error {
	src := r.src
	rest := src[r.i+1:]
	take := func(n int, re2, bt string) {
		r.re2.WriteString(re2)
		r.bt.WriteString(bt)
		r.i += 1 + n
	}
	switch {
	case strings.HasPrefix(rest, "*"):
		r.need("a (*VERB)")
		take(0, "(", "(")
	case !strings.HasPrefix(rest, "?"):
		take(0, "(", "(")
	case strings.HasPrefix(rest, "?#"):
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return fmt.Errorf("missing ) after (?# comment")
		}
		r.i += 1 + end + 1
	case strings.HasPrefix(rest, "?="), strings.HasPrefix(rest, "?!"):
		r.need("a look-ahead")
		take(2, "", "("+rest[:2])
	case strings.HasPrefix(rest, "?<="), strings.HasPrefix(rest, "?<!"):
		r.need("a look-behind")
		take(3, "", "("+rest[:3])
	case strings.HasPrefix(rest, "?>"):
		r.need("an atomic group")
		take(2, "", "(?>")
	case strings.HasPrefix(rest, "?P="):
		r.need("a back-reference")
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return fmt.Errorf("syntax error in subpattern name (missing terminator?)")
		}
		r.bt.WriteString(`(?:\k<` + rest[3:end] + `>)`)
		r.i += 1 + end + 1
	case strings.HasPrefix(rest, "?P<"), strings.HasPrefix(rest, "?<"), strings.HasPrefix(rest, "?'"):
		start := 2
		if rest[1] == 'P' {
			start = 3
		}
		close := byte('>')
		if rest[start-1] == '\'' {
			close = '\''
		}
		end := strings.IndexByte(rest[start:], close)
		if end < 0 {
			return fmt.Errorf("syntax error in subpattern name (missing terminator?)")
		}
		name := rest[start : start+end]
		take(start+end+1, "(?P<"+name+">", "(?<"+name+">")
	case strings.HasPrefix(rest, "?:"):
		take(2, "(?:", "(?:")
	default:
		// (?flags) or (?flags:...); anything else is PCRE-only
		// (recursion, conditionals, branch reset, callouts).
		k := 1
		for k < len(rest) && strings.IndexByte("imsxnUJ-^", rest[k]) >= 0 {
			k++
		}
		if k == len(rest) || (rest[k] != ')' && rest[k] != ':') {
			r.need(groupFeature(rest))
			take(1, "(?", "(?")
			return nil
		}
		flags := rest[1:k]
		if strings.ContainsAny(flags, "xnJ^") {
			r.need("the (?" + flags + ") option")
		}
		if strings.Contains(flags, "m") {
			r.multi = true
		}
		if strings.Contains(flags, "U") {
			r.out.ungreedy = true
		}
		take(k+1, "(?"+rest[1:k+1], "(?"+rest[1:k+1])
	}
	return nil
}

// groupFeature names a PCRE group construct neither (?:...) nor options.
func groupFeature(rest string) string {
	switch {
	case strings.HasPrefix(rest, "?("):
		return "a conditional group"
	case strings.HasPrefix(rest, "?|"):
		return "a branch reset group"
	case strings.HasPrefix(rest, "?C"):
		return "a callout"
	}
	return "a recursion"
}

var posixClasses = map[string]string{
	"alnum": `0-9A-Za-z`, "alpha": `A-Za-z`, "ascii": `\x00-\x7F`, "blank": `\t `,
	"cntrl": `\x00-\x1F\x7F`, "digit": `0-9`, "graph": `!-~`, "lower": `a-z`,
	"print": ` -~`, "punct": `!-/:-@\[-` + "`" + `{-~`, "space": `\t\n\v\f\r `,
	"upper": `A-Z`, "word": `0-9A-Za-z_`, "xdigit": `0-9A-Fa-f`,
}

// complementASCII writes the ASCII bytes a POSIX set leaves out.
func complementASCII(set string) string {
	in := [128]bool{}
	for _, c := range asciiSet(set) {
		in[c] = true
	}
	var b strings.Builder
	for c := 0; c < 128; c++ {
		if !in[c] {
			fmt.Fprintf(&b, `\x%02X`, c)
		}
	}
	return b.String()
}

// asciiSet expands a posixClasses body into its bytes.
func asciiSet(set string) []byte {
	var out []byte
	unesc := func(i int) (byte, int) {
		if set[i] != '\\' {
			return set[i], i + 1
		}
		switch set[i+1] {
		case 'x':
			v, _ := strconv.ParseUint(set[i+2:i+4], 16, 8)
			return byte(v), i + 4
		case 't':
			return '\t', i + 2
		case 'n':
			return '\n', i + 2
		case 'v':
			return '\v', i + 2
		case 'f':
			return '\f', i + 2
		case 'r':
			return '\r', i + 2
		}
		return set[i+1], i + 2
	}
	for i := 0; i < len(set); {
		lo, j := unesc(i)
		hi := lo
		if j+1 < len(set) && set[j] == '-' {
			hi, j = unesc(j + 1)
		}
		for c := int(lo); c <= int(hi); c++ {
			out = append(out, byte(c))
		}
		i = j
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
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
