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
			if !rt.condition(rq, op.Cond) {
				continue
			}
			// Inside a matching if, its block's settings are in force.
			rq.Loc = op.Conf
			if r := rt.runScript(rq, op.Body); r != scriptNext {
				return r
			}
		}
	}
	return scriptNext
}

// rewrite applies one rewrite statement.
func (rt *Router) rewrite(rq *httpcore.Request, op *confparse.Op) scriptResult {
	m := op.Regex.Re.FindStringSubmatchIndex(rq.URI)
	if m == nil {
		return scriptNext
	}
	rq.SetCaptures(op.Regex, rq.URI, m)
	repl := rq.Eval(op.Replacement)
	redirect := op.Flag == "redirect" || op.Flag == "permanent" || confparse.IsRedirectURL(op.Replacement.Raw)
	// Arguments: a "?" in the replacement sets new ones, to which the old
	// are appended; a trailing "?" drops them.
	newURI, newArgs, hasQ := strings.Cut(repl, "?")
	args := rq.Args
	switch {
	case hasQ && newArgs == "":
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
		if args != "" {
			target += "?" + args
		}
		rq.Return(code, target, true)
		return scriptDone
	}
	rq.URI, rq.Args = newURI, args
	rq.URIChanged, rq.Rewritten = true, true
	rq.Filename, rq.DocRoot = "", ""
	switch op.Flag {
	case "last":
		return scriptLast
	case "break":
		rq.URIChanged = false
		return scriptBreak
	}
	return scriptNext
}

// condition evaluates an if condition.
func (rt *Router) condition(rq *httpcore.Request, c *confparse.Cond) bool {
	left := rq.Eval(c.Left)
	switch c.Op {
	case "":
		return left != "" && left != "0"
	case "=":
		return left == rq.Eval(c.Right)
	case "!=":
		return left != rq.Eval(c.Right)
	case "~", "~*":
		m := c.Regex.Re.FindStringSubmatchIndex(left)
		if m != nil {
			rq.SetCaptures(c.Regex, left, m)
		}
		return m != nil
	case "!~", "!~*":
		return !c.Regex.Re.MatchString(left)
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
	return ok != neg
}
