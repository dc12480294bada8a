package ssi

// commands.go runs the SSI commands as nginx does: the command table
// (parameters, mandatory ones, the if/else context a command needs,
// the ones that still run inside a block), then each command.

import (
	"bytes"
	"strconv"
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
)

type command struct {
	params    []string
	mandatory []string
	cond      int  // condIf: needs an if; condElse: an if or else
	block     bool // runs while a block is being defined
	run       func(s *state, p map[string][]byte) bool
}

var commands map[string]*command

func init() {
	commands = map[string]*command{
		"include":  {params: []string{"virtual", "file", "wait", "set", "stub"}, run: (*state).include},
		"echo":     {params: []string{"var", "default", "encoding"}, mandatory: []string{"var"}, run: (*state).echo},
		"config":   {params: []string{"errmsg", "timefmt"}, run: (*state).config},
		"set":      {params: []string{"var", "value"}, mandatory: []string{"var", "value"}, run: (*state).set},
		"if":       {params: []string{"expr"}, mandatory: []string{"expr"}, run: (*state).ifCmd},
		"elif":     {params: []string{"expr"}, mandatory: []string{"expr"}, cond: condIf, run: (*state).ifCmd},
		"else":     {cond: condIf, run: (*state).elseCmd},
		"endif":    {cond: condElse, run: (*state).endif},
		"block":    {params: []string{"name"}, mandatory: []string{"name"}, run: (*state).blockCmd},
		"endblock": {block: true, run: (*state).endblock},
	}
}

// maxSubrequests is how deep subrequests nest (nginx's
// NGX_HTTP_MAX_SUBREQUESTS + 1).
const maxSubrequests = 51

// run executes the command just parsed; a failure is replaced by errmsg.
func (s *state) run() {
	name := string(s.cmd)
	c := commands[name]
	if c == nil {
		if s.output {
			s.logf(confparse.LevelError, "invalid SSI command: \""+name+"\"")
			s.fail()
		}
		return
	}
	if !s.output && !c.block {
		if s.inBlock {
			// The command is kept in the block as text, to run when
			// the block is output as a stub.
			var b bytes.Buffer
			b.WriteString("<!--#")
			b.WriteString(name)
			for _, p := range s.params {
				b.WriteString(" " + p.key + "=\"")
				b.Write(p.value)
				b.WriteByte('"')
			}
			b.WriteString(" -->")
			if bl := s.main().blocks; len(bl) > 0 {
				last := bl[len(bl)-1]
				last.text = append(last.text, b.Bytes()...)
			}
			return
		}
		if c.cond == 0 {
			return
		}
	}
	if c.cond != 0 && (s.conditional == 0 || s.conditional > c.cond) {
		s.logf(confparse.LevelError, "invalid context of SSI command: \""+name+"\"")
		s.fail()
		return
	}
	if len(s.params) > maxParams {
		s.logf(confparse.LevelError, "too many SSI command parameters: \""+name+"\"")
		s.fail()
		return
	}
	params := make(map[string][]byte, len(s.params))
	for _, p := range s.params {
		known := false
		for _, n := range c.params {
			if n == p.key {
				known = true
			}
		}
		if !known {
			s.logf(confparse.LevelError, "invalid parameter name: \""+p.key+"\" in \""+name+"\" SSI command")
			s.fail()
			return
		}
		if _, dup := params[p.key]; dup {
			s.logf(confparse.LevelError, "duplicate \""+p.key+"\" parameter in \""+name+"\" SSI command")
			s.fail()
			return
		}
		params[p.key] = p.value
	}
	for _, m := range c.mandatory {
		if _, ok := params[m]; !ok {
			s.logf(confparse.LevelError, "mandatory \""+m+"\" parameter is absent in \""+name+"\" SSI command")
			s.fail()
			return
		}
	}
	if !c.run(s, params) {
		s.fail()
	}
}

// lookup finds a variable as SSI commands see it: a capture of the last
// regex match ($0..$9), an SSI variable, then the request's variables.
func (s *state) lookup(name string) (string, bool) {
	sh := s.main()
	if len(name) == 1 && name[0] >= '0' && name[0] <= '9' {
		if i := int(name[0] - '0'); i < len(sh.caps) {
			return sh.caps[i], true
		}
	}
	if v, ok := sh.vars[name]; ok {
		return v, true
	}
	return s.rq.Var(name)
}

// unquote drops the backslash before \, ', " and $; others stay.
func unquote(b []byte, out *bytes.Buffer) {
	quoted := false
	for _, ch := range b {
		if !quoted {
			if ch == '\\' {
				quoted = true
				continue
			}
		} else {
			quoted = false
			if ch != '\\' && ch != '\'' && ch != '"' && ch != '$' {
				out.WriteByte('\\')
			}
		}
		out.WriteByte(ch)
	}
}

func isVarChar(ch byte) bool {
	return ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_'
}

// dirPrefix is the request's URI up to its last "/", which a relative
// include is resolved against.
func (s *state) dirPrefix() string {
	if i := strings.LastIndexByte(s.rq.URI, '/'); i >= 0 {
		return s.rq.URI[:i+1]
	}
	return ""
}

// evaluate expands the variables of a parameter's value; addPrefix
// resolves a relative URI. ok is false for a malformed variable.
func (s *state) evaluate(text []byte, addPrefix bool) (string, bool) {
	if bytes.IndexByte(text, '$') < 0 {
		var b bytes.Buffer
		if addPrefix && (len(text) == 0 || text[0] != '/') {
			b.WriteString(s.dirPrefix())
		}
		unquote(text, &b)
		return b.String(), true
	}
	var parts []string
	for i := 0; i < len(text); {
		if text[i] != '$' {
			var b bytes.Buffer
			quoted := false
			j := i
			for ; j < len(text); j++ {
				ch := text[j]
				if !quoted {
					if ch == '\\' {
						quoted = true
						continue
					}
					if ch == '$' {
						break
					}
				} else {
					quoted = false
					if ch != '\\' && ch != '\'' && ch != '"' && ch != '$' {
						b.WriteByte('\\')
					}
				}
				b.WriteByte(ch)
			}
			i = j
			parts = append(parts, b.String())
			continue
		}
		i++
		if i == len(text) {
			s.logf(confparse.LevelError, "invalid variable name in \""+string(text)+"\"")
			return "", false
		}
		bracket := false
		if text[i] == '{' {
			bracket = true
			i++
			if i == len(text) {
				s.logf(confparse.LevelError, "invalid variable name in \""+string(text)+"\"")
				return "", false
			}
		}
		start := i
		end := i
		for ; i < len(text); i++ {
			ch := text[i]
			if ch == '}' && bracket {
				end = i
				i++
				bracket = false
				break
			}
			if !isVarChar(ch) {
				break
			}
			end = i + 1
		}
		if bracket {
			s.logf(confparse.LevelError, "the closing bracket in \""+string(text[start:end])+"\" variable is missing")
			return "", false
		}
		if end == start {
			s.logf(confparse.LevelError, "invalid variable name in \""+string(text)+"\"")
			return "", false
		}
		v, _ := s.lookup(strings.ToLower(string(text[start:end])))
		parts = append(parts, v)
	}
	var b strings.Builder
	if addPrefix {
		for _, p := range parts {
			if p != "" {
				if p[0] != '/' {
					b.WriteString(s.dirPrefix())
				}
				break
			}
		}
	}
	for _, p := range parts {
		b.WriteString(p)
	}
	return b.String(), true
}

func (s *state) include(p map[string][]byte) bool {
	uri, hasURI := p["virtual"]
	file, hasFile := p["file"]
	wait, hasWait := p["wait"]
	set, hasSet := p["set"]
	stub, hasStub := p["stub"]
	if hasURI && hasFile {
		s.logf(confparse.LevelError, "inlcusion may be either virtual=\""+string(uri)+"\" or file=\""+string(file)+"\"")
		return false
	}
	if !hasURI && !hasFile {
		s.logf(confparse.LevelError, "no parameter in \"include\" SSI command")
		return false
	}
	if hasSet && hasStub {
		s.logf(confparse.LevelError, "\"set\" and \"stub\" cannot be used together in \"include\" SSI command")
		return false
	}
	if hasWait {
		if !hasURI {
			s.logf(confparse.LevelError, "\"wait\" cannot be used with file=\""+string(file)+"\"")
			return false
		}
		if !strings.EqualFold(string(wait), "no") && !strings.EqualFold(string(wait), "yes") {
			s.logf(confparse.LevelError, "invalid value \""+string(wait)+"\" in the \"wait\" parameter")
			return false
		}
	}
	if !hasURI {
		uri = file
	}
	target, ok := s.evaluate(uri, true)
	if !ok {
		return false
	}
	path, args, ok := parseUnsafeURI(target)
	if !ok {
		s.logf(confparse.LevelError, "unsafe URI \""+path+"\" was detected")
		return false
	}
	sh := s.main()
	var stubText []byte
	if hasStub {
		var found *block
		for _, b := range sh.blocks {
			if b.name == string(stub) {
				found = b
				break
			}
		}
		if found == nil {
			s.logf(confparse.LevelError, "\"stub\"=\""+string(stub)+"\" for \"include\" not found")
			return false
		}
		stubText = found.text
	}
	sr, ok := s.rq.Eng.(httpcore.Subrequester)
	if !ok {
		return false
	}
	depth := 0
	for r := s.rq; r.Parent != nil; r = r.Parent {
		depth++
	}
	if depth+1 >= maxSubrequests {
		s.logf(confparse.LevelError, "subrequests cycle while processing \""+path+"\"")
		return false
	}
	o := &httpcore.SubOptions{URI: path, Args: args}
	if hasStub {
		ct := s.rq.Header().Get("Content-Type")
		stubText = bytes.Clone(stubText)
		o.Stub = func(sub *httpcore.Request) {
			if !sub.WroteHeader() {
				sub.Header().Set("Content-Type", ct)
			}
			sub.Write(stubText)
		}
	}
	// file= waits as wait="yes" does, in nginx.
	waits := hasWait && strings.EqualFold(string(wait), "yes") || !hasURI
	if !waits && !hasSet && s.start(sr, o) {
		return true
	}
	// In place: nginx's wait (and set=, which waits) holds the page
	// until the includes before it are sent and this one has ended.
	var buf bytes.Buffer
	status := 0
	o.Body = s.next
	name := strings.ToLower(string(set))
	if hasSet {
		sh.vars[name] = ""
		o.Body, o.InMemory = &buf, true
		o.Done = func(sub *httpcore.Request) { status = sub.Status() }
	}
	sh.mu.Unlock()
	s.drain(true)
	if s.err == nil {
		sr.SubrequestWith(s.rq, o)
	}
	sh.mu.Lock()
	if hasSet && status < 300 && status != 0 {
		sh.vars[name] = buf.String()
	}
	return true
}

// parseUnsafeURI splits an include's URI at "?" and decodes %XX in its
// path, refusing what would leave the root ("..", a NUL), as nginx's
// ngx_http_parse_unsafe_uri.
func parseUnsafeURI(uri string) (path, args string, ok bool) {
	if uri == "" || uri[0] == '?' {
		return uri, "", false
	}
	path = uri
	quoted := false
	for i := 0; i < len(uri); i++ {
		switch uri[i] {
		case '%':
			quoted = true
		case '?':
			path, args = uri[:i], uri[i+1:]
			i = len(uri)
		}
	}
	if quoted {
		path = unescape(path)
	}
	if hasDotDot(path) || strings.IndexByte(path, 0) >= 0 {
		return path, "", false
	}
	return path, args, true
}

// hasDotDot finds a ".." segment.
func hasDotDot(p string) bool {
	if p == ".." || strings.HasPrefix(p, "../") {
		return true
	}
	return strings.Contains(p, "/../") || strings.HasSuffix(p, "/..")
}

// unescape decodes %XX; a malformed escape is kept as it is.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(h))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (s *state) echo(p map[string][]byte) bool {
	name := strings.ToLower(string(p["var"]))
	v, found := s.lookup(name)
	if !found {
		if d, ok := p["default"]; ok {
			v = string(d)
		} else {
			v = "(none)"
		}
	}
	if enc, ok := p["encoding"]; ok {
		switch string(enc) {
		case "none":
			s.encoding = encNone
		case "url":
			s.encoding = encURL
		case "entity":
			s.encoding = encEntity
		default:
			s.logf(confparse.LevelError, "unknown encoding \""+string(enc)+"\" in the \"echo\" command")
		}
	}
	if v == "" {
		return true
	}
	switch s.encoding {
	case encURL:
		v = httpcore.EscapeHTMLURI(v)
	case encEntity:
		v = httpcore.EscapeHTML(v)
	}
	s.send([]byte(v))
	return true
}

func (s *state) config(p map[string][]byte) bool {
	if v, ok := p["timefmt"]; ok {
		s.timefmt = string(v)
	}
	if v, ok := p["errmsg"]; ok {
		s.errmsg = string(v)
	}
	return true
}

func (s *state) set(p map[string][]byte) bool {
	v, ok := s.evaluate(p["value"], false)
	if !ok {
		return false
	}
	s.main().vars[strings.ToLower(string(p["var"]))] = v
	return true
}

// ifCmd is "if" and "elif": the expression is a string (true when not
// empty), or a comparison with = or != to a string or a /regex/. The
// left side runs to the first byte outside [a-z0-9${}_"'] and is
// lowercased, as nginx reads it.
func (s *state) ifCmd(p map[string][]byte) bool {
	if len(s.cmd) == 2 && s.conditional != 0 {
		s.logf(confparse.LevelError, "the \"if\" command inside the \"if\" command")
		return false
	}
	if s.outputChosen {
		s.output = false
		return true
	}
	expr := append([]byte(nil), p["expr"]...)
	i := 0
	for ; i < len(expr); i++ {
		ch := expr[i]
		if ch >= 'A' && ch <= 'Z' {
			expr[i] = ch | 0x20
			continue
		}
		if ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || strings.IndexByte("${}_\"'", ch) >= 0 {
			continue
		}
		break
	}
	left := expr[:i]
	for i < len(expr) && expr[i] == ' ' {
		i++
	}
	lv, ok := s.evaluate(left, false)
	if !ok {
		return false
	}
	if i == len(expr) {
		s.choose(lv != "")
		return true
	}
	negative := false
	switch {
	case expr[i] == '=':
		i++
	case i+1 < len(expr) && expr[i] == '!' && expr[i+1] == '=':
		negative = true
		i += 2
	default:
		s.logf(confparse.LevelError, "invalid expression in \""+string(expr)+"\"")
		return false
	}
	for i < len(expr) && expr[i] == ' ' {
		i++
	}
	last := len(expr)
	regex := false
	if i < last-1 && expr[i] == '/' {
		if expr[last-1] != '/' {
			s.logf(confparse.LevelError, "invalid expression in \""+string(expr)+"\"")
			return false
		}
		regex = true
		i++
		last--
	} else if i < last-1 && expr[i] == '\\' && expr[i+1] == '/' {
		i++
	}
	rv, ok := s.evaluate(expr[i:last], false)
	if !ok {
		return false
	}
	var match bool
	if !regex {
		match = lv == rv
	} else {
		re, err := confparse.CompileRegex(rv, false)
		if err != nil {
			s.logf(confparse.LevelError, err.Error())
			return false
		}
		m, err := re.FindIndex(lv)
		if err != nil {
			s.logf(confparse.LevelAlert, err.Error())
		}
		if m != nil {
			s.setCaptures(re, lv, m)
			match = true
		}
	}
	s.choose(match != negative)
	return true
}

// setCaptures records a match for $0..$9 and its named captures as SSI
// variables.
func (s *state) setCaptures(re *confparse.Regexp, src string, m []int) {
	sh := s.main()
	n := 0
	for g := 0; 2*g < len(m); g++ {
		if m[2*g] >= 0 {
			n = g + 1
		}
	}
	sh.caps = sh.caps[:0]
	for g := 0; g < n; g++ {
		if m[2*g] >= 0 {
			sh.caps = append(sh.caps, src[m[2*g]:m[2*g+1]])
		} else {
			sh.caps = append(sh.caps, "")
		}
	}
	for g, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		v := ""
		if m[2*g] >= 0 {
			v = src[m[2*g]:m[2*g+1]]
		}
		sh.vars[strings.ToLower(name)] = v
	}
}

// choose ends an if or elif whose expression was evaluated.
func (s *state) choose(yes bool) {
	s.conditional = condIf
	s.output = yes
	if yes {
		s.outputChosen = true
	}
}

func (s *state) elseCmd(map[string][]byte) bool {
	s.output = !s.outputChosen
	s.conditional = condElse
	return true
}

func (s *state) endif(map[string][]byte) bool {
	s.output, s.outputChosen, s.conditional = true, false, 0
	return true
}

func (s *state) blockCmd(p map[string][]byte) bool {
	sh := s.main()
	sh.blocks = append(sh.blocks, &block{name: string(p["name"])})
	s.output, s.inBlock = false, true
	return true
}

func (s *state) endblock(map[string][]byte) bool {
	s.output, s.inBlock = true, false
	return true
}
