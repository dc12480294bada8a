package ssi

// parse.go is the SSI parser: a state machine over the body as it
// arrives, nginx's states and limits (a 32-byte command or parameter
// name, ssi_value_length for a value, 16 parameters) and its error
// handling: a malformed command is skipped up to "-->" and replaced by
// the errmsg text unless ssi_silent_errors.

import (
	"io"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// The parser's states, nginx's.
const (
	stStart = iota
	stTag
	stComment0
	stComment1
	stSharp
	stPrecommand
	stCommand
	stPreparam
	stParam
	stPreequal
	stPrevalue
	stDoubleQuoted
	stQuoted
	stQuotedSymbol
	stPostparam
	stCommentEnd0
	stCommentEnd1
	stError
	stErrorEnd0
	stErrorEnd1
)

const (
	commandLen = 32 // NGX_HTTP_SSI_COMMAND_LEN
	paramLen   = 32 // NGX_HTTP_SSI_PARAM_LEN
	maxParams  = 16 // NGX_HTTP_SSI_MAX_PARAMS
)

// The echo encodings.
const (
	encNone = iota
	encURL
	encEntity
)

// The conditional states: inside if/elif, inside else.
const (
	condIf   = 1
	condElse = 2
)

// prefix is the start of a command, "<!--" then "#".
const prefix = "<!--"

type param struct {
	key   string
	value []byte
}

// state is one request's SSI filter: the parser and the request's own
// settings (timefmt, errmsg, echo encoding, if/else).
type state struct {
	rq   *httpcore.Request
	conf *confparse.SSILoc
	next io.Writer
	sh   *shared // on a main request: what its includes share

	pstate int
	looked int // bytes of prefix matched, part of them maybe in an earlier write
	saved  int // the state a backslash in a value returns to
	cmd    []byte
	params []param
	cur    *param

	output       bool // text is sent (not in a false branch or a block)
	outputChosen bool // a branch of the current if was taken
	conditional  int
	inBlock      bool
	encoding     int
	timefmt      string
	errmsg       string
	err          error // the first error writing on
	// out gathers what one write makes, sent in one piece (one chunk)
	// at its end, or queued behind an include still running.
	out []byte
	// queue is the output waiting for an include still running, in
	// document order (postpone.go).
	queue []*slot
}

// Write parses p under the main request's lock (the includes running
// beside share its variables and blocks), then sends on what is ready.
func (s *state) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	sh := s.main()
	sh.mu.Lock()
	s.parse(p)
	sh.mu.Unlock()
	s.drain(false)
	return len(p), s.err
}

func (s *state) parse(p []byte) {
	text := 0    // where the text not yet passed on starts
	tag := -1    // where the "<!--" being matched started in p
	carried := 0 // bytes of it matched in earlier writes
	if s.pstate >= stTag && s.pstate <= stSharp {
		carried = s.looked
	}
	// fail ends a prefix that turned out to be text: bytes carried
	// from an earlier write go out first.
	fail := func() {
		if tag < 0 && carried > 0 {
			s.text([]byte(prefix[:carried]))
		}
		carried, tag = 0, -1
	}
	for i := 0; i < len(p); i++ {
		ch := p[i]
		switch s.pstate {
		case stStart:
			j := indexByte(p[i:], '<')
			if j < 0 {
				i = len(p)
				continue
			}
			i += j
			tag, s.looked, s.pstate = i, 1, stTag
		case stTag, stComment0, stComment1:
			want := prefix[s.looked]
			switch {
			case ch == want:
				s.looked++
				s.pstate++
			case ch == '<':
				fail()
				tag, s.looked, s.pstate = i, 1, stTag
			default:
				fail()
				s.looked, s.pstate = 0, stStart
			}
		case stSharp:
			switch ch {
			case '#':
				// A command: the text before it goes out first, its
				// own bytes do not.
				if tag >= 0 {
					s.text(p[text:tag])
				}
				carried, tag = 0, -1
				s.looked, s.pstate = 0, stPrecommand
			case '<':
				fail()
				tag, s.looked, s.pstate = i, 1, stTag
			default:
				fail()
				s.looked, s.pstate = 0, stStart
			}
		default:
			if s.command(ch) {
				// "-->" ended a command or an error: run it, then the
				// text goes on after it.
				text = i + 1
				if s.err != nil {
					s.out = s.out[:0]
					return
				}
			}
		}
	}
	switch {
	case s.pstate == stStart:
		s.text(p[text:])
	case s.pstate >= stTag && s.pstate <= stSharp:
		if tag >= 0 {
			s.text(p[text:tag])
		}
	}
}

// Flush passes on an http.Flusher's flush: what is ready goes now.
func (s *state) Flush() error {
	s.drain(false)
	return s.err
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func isSpace(ch byte) bool { return ch == ' ' || ch == '\r' || ch == '\n' || ch == '\t' }

// command advances the parser inside a command by one byte; it returns
// true when the command (or a malformed one) ended.
func (s *state) command(ch byte) bool {
	switch s.pstate {
	case stPrecommand:
		if !isSpace(ch) {
			s.cmd = append(s.cmd[:0], ch)
			s.params = s.params[:0]
			s.pstate = stCommand
		}
	case stCommand:
		switch {
		case isSpace(ch):
			s.pstate = stPreparam
		case ch == '-':
			s.pstate = stCommentEnd0
		case len(s.cmd) == commandLen:
			s.logf(confparse.LevelError, "the \""+string(s.cmd)+string(ch)+"...\" SSI command is too long")
			s.pstate = stError
		default:
			s.cmd = append(s.cmd, ch)
		}
	case stPreparam:
		switch {
		case isSpace(ch):
		case ch == '-':
			s.pstate = stCommentEnd0
		default:
			s.params = append(s.params, param{key: string(ch)})
			s.cur = &s.params[len(s.params)-1]
			s.pstate = stParam
		}
	case stParam:
		switch {
		case isSpace(ch):
			s.pstate = stPreequal
		case ch == '=':
			s.pstate = stPrevalue
		case ch == '-':
			s.cur.key += "-"
			s.logf(confparse.LevelError, "invalid \""+s.cur.key+"\" parameter in \""+string(s.cmd)+"\" SSI command")
			s.pstate = stErrorEnd0
		case len(s.cur.key) == paramLen:
			s.logf(confparse.LevelError, "too long \""+s.cur.key+string(ch)+"...\" parameter in \""+string(s.cmd)+"\" SSI command")
			s.pstate = stError
		default:
			s.cur.key += string(ch)
		}
	case stPreequal:
		switch {
		case isSpace(ch):
		case ch == '=':
			s.pstate = stPrevalue
		default:
			s.logf(confparse.LevelError, "unexpected \""+string(ch)+"\" symbol after \""+s.cur.key+"\" parameter in \""+string(s.cmd)+"\" SSI command")
			s.pstate = errAfter(ch)
		}
	case stPrevalue:
		switch {
		case isSpace(ch):
		case ch == '"':
			s.pstate = stDoubleQuoted
		case ch == '\'':
			s.pstate = stQuoted
		default:
			s.logf(confparse.LevelError, "unexpected \""+string(ch)+"\" symbol before value of \""+s.cur.key+"\" parameter in \""+string(s.cmd)+"\" SSI command")
			s.pstate = errAfter(ch)
		}
	case stDoubleQuoted, stQuoted:
		quote := byte('"')
		if s.pstate == stQuoted {
			quote = '\''
		}
		if ch == quote {
			s.pstate = stPostparam
			break
		}
		if ch == '\\' {
			// The backslash is kept: evaluating the value reads it.
			s.saved, s.pstate = s.pstate, stQuotedSymbol
		}
		s.addValue(ch)
	case stQuotedSymbol:
		s.pstate = s.saved
		s.addValue(ch)
	case stPostparam:
		switch {
		case isSpace(ch):
			s.pstate = stPreparam
		case ch == '-':
			s.pstate = stCommentEnd0
		default:
			s.logf(confparse.LevelError, "unexpected \""+string(ch)+"\" symbol after \""+string(s.cur.value)+"\" value of \""+s.cur.key+"\" parameter in \""+string(s.cmd)+"\" SSI command")
			s.pstate = stError
		}
	case stCommentEnd0, stCommentEnd1:
		want := byte('-')
		if s.pstate == stCommentEnd1 {
			want = '>'
		}
		if ch != want {
			s.logf(confparse.LevelError, "unexpected \""+string(ch)+"\" symbol in \""+string(s.cmd)+"\" SSI command")
			s.pstate = stError
			break
		}
		if s.pstate == stCommentEnd0 {
			s.pstate = stCommentEnd1
			break
		}
		s.pstate = stStart
		s.run()
		return true
	case stError:
		if ch == '-' {
			s.pstate = stErrorEnd0
		}
	case stErrorEnd0:
		if ch == '-' {
			s.pstate = stErrorEnd1
		} else {
			s.pstate = stError
		}
	case stErrorEnd1:
		if ch != '>' {
			s.pstate = stError
			break
		}
		s.pstate = stStart
		s.fail()
		return true
	}
	return false
}

// errAfter is the state after an unexpected byte: a "-" may already
// start the command's end.
func errAfter(ch byte) int {
	if ch == '-' {
		return stErrorEnd0
	}
	return stError
}

func (s *state) addValue(ch byte) {
	if int64(len(s.cur.value)) == *s.conf.ValueLength {
		s.logf(confparse.LevelError, "too long \""+string(s.cur.value)+string(ch)+"...\" value of \""+s.cur.key+"\" parameter in \""+string(s.cmd)+"\" SSI command")
		s.pstate = stError
		return
	}
	s.cur.value = append(s.cur.value, ch)
}

// text passes on text between commands: sent, kept in the block being
// defined, or dropped in a branch not taken.
func (s *state) text(b []byte) {
	if len(b) == 0 {
		return
	}
	if s.output {
		s.send(b)
		return
	}
	if s.inBlock {
		if bl := s.main().blocks; len(bl) > 0 {
			last := bl[len(bl)-1]
			last.text = append(last.text, b...)
		}
	}
}

// send passes b on to the filter after this one, gathered with the
// rest of the write.
func (s *state) send(b []byte) {
	if s.err != nil {
		return
	}
	s.out = append(s.out, b...)
}

// fail writes errmsg in place of a command that failed.
func (s *state) fail() {
	if !*s.conf.SilentErrors {
		s.send([]byte(s.errmsg))
	}
}
