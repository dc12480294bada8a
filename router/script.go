package router

// script.go runs ngx_http_rewrite_module's statements (rewrite, return,
// set, if, break) in the order written.

import (
	"os"
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
)

type scriptResult int

const (
	scriptNext  scriptResult = iota // ran to the end
	scriptBreak                     // "break", or rewrite ... break
	scriptLast                      // rewrite ... last: find the location again
	scriptDone                      // a response was sent (return, redirect)
)

func (rt *Router) runScript(rq *httpcore.Request, ops []*confparse.Op) scriptResult {
	for _, op := range ops {
		switch op.Kind {
		case "set":
			rq.SetVar(op.Var, rq.Eval(op.Value))
		case "break":
			return scriptBreak
		case "return":
			text := ""
			rq.SetStatus(op.Code)
			if op.Text != nil {
				text = rq.Eval(op.Text)
			}
			rq.Return(op.Code, text, op.Text != nil)
			return scriptDone
		case "rewrite":
			if r := rt.rewrite(rq, op); r != scriptNext {
				return r
			}
		case "if":
			ok, err := rt.condition(rq, op.Cond)
			if err != nil {
				rq.Error(500)
				return scriptDone
			}
			if !ok {
				continue
			}
			// Inside a matching if, its block's settings are in force.
			rq.Loc = op.Conf
			if op.Conf.Proxy.Pass != nil {
				rq.ProxyContent = true
			}
			if r := rt.runScript(rq, op.Body); r != scriptNext {
				return r
			}
		}
	}
	return scriptNext
}

// rewrite applies one rewrite statement.
func (rt *Router) rewrite(rq *httpcore.Request, op *confparse.Op) scriptResult {
	m, err := rq.FindRegex(op.Regex, rq.URI)
	if err != nil {
		rq.Error(500)
		return scriptDone
	}
	rt.rewriteLog(rq, op.Regex, rq.URI, m != nil)
	if m == nil {
		return scriptNext
	}
	rq.SetCaptures(op.Regex, rq.URI, m)
	redirect := op.Flag == "redirect" || op.Flag == "permanent" || confparse.IsRedirectURL(op.Replacement.Raw)
	newURI, newArgs, hasQ := replacement(rq, op.Replacement, redirect)
	// A "?" in the replacement sets new arguments, to which the old are
	// appended; a trailing "?" drops them.
	addArgs := !strings.HasSuffix(op.Replacement.Raw, "?")
	args := rq.Args
	switch {
	case !addArgs:
		args = ""
	case hasQ && args != "":
		args = newArgs + "&" + args
	case hasQ:
		args = newArgs
	}
	if redirect {
		code := 302
		if op.Flag == "permanent" {
			code = 301
		}
		target := newURI
		if hasQ && newArgs != "" {
			target += "?" + newArgs
		}
		target = httpcore.UnescapeRedirect(target)
		if addArgs && rq.Args != "" {
			sep := "?"
			if hasQ && newArgs != "" {
				sep = "&"
			}
			target += sep + rq.Args
		}
		if *rq.Loc.Rewrite.Log {
			rt.logf(rq, confparse.LevelNotice, "rewritten redirect: \""+target+"\"")
		}
		rq.Return(code, target, true)
		return scriptDone
	}
	rq.URI, rq.Args = newURI, args
	if *rq.Loc.Rewrite.Log {
		rt.logf(rq, confparse.LevelNotice, "rewritten data: \""+newURI+"\", args: \""+args+"\"")
	}
	// A rewritten request counts as internal: it may enter "internal"
	// locations, as in nginx.
	rq.URIChanged, rq.Rewritten, rq.Internal = true, true, true
	rq.Filename, rq.DocRoot = "", ""
	switch op.Flag {
	case "last":
		return scriptLast
	case "break":
		// URIChanged stays set: proxy_pass then sends the whole new URI
		// (nginx's valid_location = 0).
		return scriptBreak
	}
	return scriptNext
}

// replacement evaluates a rewrite's replacement, split at its first
// literal "?" into the new URI and arguments. As in nginx, $1..$9 are
// escaped (NGX_ESCAPE_ARGS) in the arguments, and in a redirect, when
// the client's URI had an escape or a "+".
func replacement(rq *httpcore.Request, t *confparse.Template, redirect bool) (uri, args string, hasQ bool) {
	quoted := strings.ContainsAny(rq.R.URL.Path, "%+")
	var b []byte
	split := -1
	for i := range t.Parts {
		p := &t.Parts[i]
		switch {
		case p.IsCap:
			if c := rq.Capture(p.Capture); quoted && (redirect || split >= 0) {
				b = httpcore.AppendEscapedArgs(b, c)
			} else {
				b = append(b, c...)
			}
		case p.Var != "":
			v, _ := rq.Var(p.Var)
			b = append(b, v...)
		default:
			lit := p.Lit
			if split < 0 {
				if q := strings.IndexByte(lit, '?'); q >= 0 {
					split = len(b) + q
				}
			}
			b = append(b, lit...)
		}
	}
	if strings.HasSuffix(t.Raw, "?") {
		// A trailing "?" only says to drop the client's arguments.
		b = b[:len(b)-1]
	}
	s := string(b)
	if split < 0 || split >= len(s) {
		return s, "", false
	}
	return s[:split], s[split+1:], true
}

// condition evaluates an if condition.
func (rt *Router) condition(rq *httpcore.Request, c *confparse.Cond) (bool, error) {
	left := rq.Eval(c.Left)
	switch c.Op {
	case "":
		return left != "" && left != "0", nil
	case "=":
		return left == rq.Eval(c.Right), nil
	case "!=":
		return left != rq.Eval(c.Right), nil
	case "~", "~*":
		m, err := rq.FindRegex(c.Regex, left)
		if err != nil {
			return false, err
		}
		rt.rewriteLog(rq, c.Regex, left, m != nil)
		if m != nil {
			rq.SetCaptures(c.Regex, left, m)
		}
		return m != nil, nil
	case "!~", "!~*":
		m, err := rq.MatchRegex(c.Regex, left)
		if err != nil {
			return false, err
		}
		rt.rewriteLog(rq, c.Regex, left, m)
		return !m, nil
	}
	neg := strings.HasPrefix(c.Op, "!")
	st, err := os.Stat(left)
	var ok bool
	switch strings.TrimPrefix(c.Op, "!") {
	case "-f":
		ok = err == nil && st.Mode().IsRegular()
	case "-d":
		ok = err == nil && st.IsDir()
	case "-e":
		ok = err == nil
	case "-x":
		ok = err == nil && st.Mode()&0111 != 0
	}
	return ok != neg, nil
}

// rewriteLog is rewrite_log: each regex of the rewrite module, matched
// or not, at notice level.
func (rt *Router) rewriteLog(rq *httpcore.Request, re *confparse.Regexp, s string, matched bool) {
	if !*rq.Loc.Rewrite.Log {
		return
	}
	if matched {
		rt.logf(rq, confparse.LevelNotice, "\""+re.Source+"\" matches \""+s+"\"")
	} else {
		rt.logf(rq, confparse.LevelNotice, "\""+re.Source+"\" does not match \""+s+"\"")
	}
}
