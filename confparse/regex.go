package confparse

// regex.go compiles nginx's regexes. nginx's are PCRE2 without UTF mode;
// goproxy runs each on Go's RE2 engine where RE2 reads it (and the
// subject at hand) as PCRE does — linear time, no allocation beyond the
// captures — and otherwise on regexp2, a backtracking engine, bounded by
// MatchLimit as PCRE is by its match limit. regex_read.go decides which.

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// MatchLimit bounds one backtracking match. PCRE2 stops at 10,000,000
// steps (a tenth of a second for nginx here); a pattern such as
// "^(a+)+$" would otherwise stall the request for ever.
const MatchLimit = 100 * time.Millisecond

// Regexp is a compiled nginx regex, kept with its source.
type Regexp struct {
	Source   string
	Caseless bool `json:",omitempty"`
	// Names lists the named captures, which nginx turns into variables.
	Names []string `json:",omitempty"`

	re2   *regexp.Regexp  // nil when RE2 cannot read the pattern as PCRE does
	bt    *regexp2.Regexp // the backtracking engine, when some subject needs it
	names []string        // SubexpNames
	// Which subjects RE2 hands to bt (see pcreRead).
	nlSensitive, byteSensitive bool
	why                        string // what made the pattern backtracking-only
}

// CompileRegex compiles an nginx regex; caseless is "~*".
func CompileRegex(src string, caseless bool) (*Regexp, error) {
	rd, err := readPCRE(src)
	if err != nil {
		return nil, fmt.Errorf("pcre2_compile() failed: %s in \"%s\"", err, src)
	}
	r := &Regexp{Source: src, Caseless: caseless, why: rd.needBT}
	var re2Err error
	if rd.needBT == "" {
		expr := rd.re2
		if caseless {
			expr = "(?i)" + expr
		}
		if r.re2, re2Err = regexp.Compile(expr); re2Err != nil {
			r.why = "what RE2 refuses"
		}
	}
	if r.re2 != nil {
		tree, _ := syntax.Parse(r.re2.String(), syntax.Perl)
		rd.byteSensitive = rd.byteSensitive || readsNonASCII(tree)
		if emptyLoopCapture(tree) {
			r.re2, r.why = nil, "a repeated group that can capture nothing"
		}
	}
	if r.re2 == nil && rd.ungreedy {
		return nil, fmt.Errorf("regex \"%s\" uses the (?U) option with %s, which goproxy's regex engines do not support together", src, r.why)
	}
	if !rd.ungreedy && (r.re2 == nil || rd.nlSensitive || rd.byteSensitive) {
		opts := regexp2.None
		if caseless {
			opts = regexp2.IgnoreCase
		}
		bt, err := regexp2.Compile(rd.bt, opts, regexp2.OptionMaintainCaptureOrder(),
			regexp2.OptionMaxBacktrackingStackSize(-1))
		switch {
		case err == nil:
			bt.MatchTimeout = MatchLimit
			r.bt = bt
		case r.re2 != nil:
			// RE2 alone then: only rare subjects are read as RE2 reads them.
		case re2Err != nil:
			return nil, fmt.Errorf("pcre2_compile() failed: %s in \"%s\"", pcreWording(re2Err), src)
		default:
			return nil, fmt.Errorf("regex \"%s\" uses %s, which goproxy's regex engines do not support", src, rd.needBT)
		}
	}
	r.nlSensitive = rd.nlSensitive && r.re2 != nil && r.bt != nil
	r.byteSensitive = rd.byteSensitive && r.re2 != nil && r.bt != nil
	if r.re2 != nil {
		r.names = r.re2.SubexpNames()
	} else {
		n := len(r.bt.GetGroupNumbers())
		r.names = make([]string, n)
		for i := 1; i < n; i++ {
			if name := r.bt.GroupNameFromNumber(i); name != strconv.Itoa(i) {
				r.names[i] = name
			}
		}
	}
	for _, n := range r.names {
		if n != "" {
			r.Names = append(r.Names, n)
		}
	}
	return r, nil
}

// readsNonASCII says whether some part of an RE2 pattern can match a
// non-ASCII character: ".", a negated or Unicode class, a caseless "k"
// or "s" (which fold to U+212A and U+017F). Where none can, RE2 sees a
// non-ASCII subject as PCRE sees its bytes.
func readsNonASCII(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return true
	case syntax.OpCharClass:
		return len(re.Rune) > 0 && re.Rune[len(re.Rune)-1] >= utf8.RuneSelf
	case syntax.OpLiteral:
		for _, c := range re.Rune {
			for f := c; ; {
				if f >= utf8.RuneSelf {
					return true
				}
				if f = unicode.SimpleFold(f); f == c || re.Flags&syntax.FoldCase == 0 {
					break
				}
			}
		}
	}
	for _, s := range re.Sub {
		if readsNonASCII(s) {
			return true
		}
	}
	return false
}

// emptyLoopCapture finds a repeated group that captures and can match
// nothing, as in "(a*)+": PCRE's last iteration then captures "", RE2
// keeps the last non-empty one.
func emptyLoopCapture(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpStar, syntax.OpPlus:
		if captures(re.Sub[0]) && canBeEmpty(re.Sub[0]) {
			return true
		}
	case syntax.OpRepeat:
		if re.Max != 1 && captures(re.Sub[0]) && canBeEmpty(re.Sub[0]) {
			return true
		}
	}
	for _, s := range re.Sub {
		if emptyLoopCapture(s) {
			return true
		}
	}
	return false
}

func captures(re *syntax.Regexp) bool {
	if re.Op == syntax.OpCapture {
		return true
	}
	for _, s := range re.Sub {
		if captures(s) {
			return true
		}
	}
	return false
}

func canBeEmpty(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune) == 0
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpNoMatch:
		return false
	case syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpRepeat:
		return re.Min == 0 || canBeEmpty(re.Sub[0])
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if canBeEmpty(s) {
				return true
			}
		}
		return false
	}
	for _, s := range re.Sub { // concatenation, capture, plus
		if !canBeEmpty(s) {
			return false
		}
	}
	return true
}

// Engine says which engine matches the regex, for "goproxy -T".
func (r *Regexp) Engine() string {
	if r.re2 == nil {
		return "backtracking (" + r.why + ")"
	}
	var for_ []string
	if r.byteSensitive {
		for_ = append(for_, "non-ASCII subjects")
	}
	if r.nlSensitive {
		for_ = append(for_, `subjects ending in "\n"`)
	}
	if len(for_) == 0 {
		return "RE2"
	}
	return "RE2; backtracking for " + strings.Join(for_, " and ")
}

// NumSubexp is the number of capture groups.
func (r *Regexp) NumSubexp() int { return len(r.names) - 1 }

// SubexpNames names the groups by number ("" for an unnamed one), as
// regexp.Regexp.SubexpNames does.
func (r *Regexp) SubexpNames() []string { return r.names }

// MatchError is a match that hit MatchLimit; nginx logs PCRE2's
// PCRE2_ERROR_MATCHLIMIT (-47) in these words, at "alert".
type MatchError struct {
	Subject, Source string
}

func (e *MatchError) Error() string {
	return fmt.Sprintf("pcre2_match() failed: -47 on \"%s\" using \"%s\"", e.Subject, e.Source)
}

// FindIndex matches s and returns the capture offsets as
// regexp.Regexp.FindStringSubmatchIndex does, nil for no match.
func (r *Regexp) FindIndex(s string) ([]int, error) {
	if r.re2 != nil && !r.handOff(s) {
		return r.re2.FindStringSubmatchIndex(s), nil
	}
	return r.btFind(s, true)
}

// Match reports whether s matches.
func (r *Regexp) Match(s string) (bool, error) {
	if r.re2 != nil && !r.handOff(s) {
		return r.re2.MatchString(s), nil
	}
	m, err := r.btFind(s, false)
	return m != nil, err
}

// handOff says whether RE2 would read s differently from PCRE.
func (r *Regexp) handOff(s string) bool {
	if r.bt == nil {
		return false
	}
	if r.nlSensitive && strings.HasSuffix(s, "\n") {
		return true
	}
	if r.byteSensitive {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return true
			}
		}
	}
	return false
}

var runePool = sync.Pool{New: func() any { return new([]rune) }}

// btFind runs the backtracking engine on s's bytes (see btByteBase); a
// rune index is then a byte offset.
func (r *Regexp) btFind(s string, caps bool) ([]int, error) {
	buf := runePool.Get().(*[]rune)
	defer runePool.Put(buf)
	in := (*buf)[:0]
	for i := 0; i < len(s); i++ {
		c := rune(s[i])
		if c >= 0x80 {
			c += btByteBase
		}
		in = append(in, c)
	}
	*buf = in
	var m []int
	err := r.bt.FindRunesMatches(in, 0, func(v regexp2.MatchView) bool {
		n := 1
		if caps {
			n = len(r.names)
		}
		m = make([]int, 2*n)
		for g := 0; g < n; g++ {
			m[2*g], m[2*g+1] = -1, -1
			if at, l, ok := v.GroupRange(g); ok {
				m[2*g], m[2*g+1] = at, at+l
			}
		}
		return false
	})
	if err != nil {
		return nil, &MatchError{Subject: s, Source: r.Source}
	}
	return m, nil
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
	r, err := b.compileRegex(s, src, caseless)
	if err != nil {
		return nil, err
	}
	b.defineCaptures(r)
	return r, nil
}

// compileRegex compiles a regex argument and records where it is written,
// for "goproxy -T".
func (b *builder) compileRegex(s *Stmt, src string, caseless bool) (*Regexp, error) {
	r, err := CompileRegex(src, caseless)
	if err != nil {
		return nil, errf(s, "%s", err.Error())
	}
	dir := s.Name
	if strings.HasPrefix(dir, "~") {
		dir = "map" // a map's entries are statements named by their key
	}
	b.cfg.Regexes = append(b.cfg.Regexes, RegexSite{File: s.File, Line: s.Line, Directive: dir, Regexp: r})
	return r, nil
}

// RegexSite is a regex where the configuration writes it.
type RegexSite struct {
	File      string
	Line      int
	Directive string
	*Regexp
}
