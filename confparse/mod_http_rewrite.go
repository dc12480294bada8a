package confparse

// mod_http_rewrite.go: ngx_http_rewrite_module — rewrite, return, set,
// if and break, kept as an ordered script per server, location and if
// block, exactly as nginx runs them.

import (
	"strconv"
	"strings"
)

// RewriteLoc is ngx_http_rewrite_module's location-level configuration.
type RewriteLoc struct {
	Script     []*Op `json:",omitempty" merge:"-"`
	Log        *bool `json:",omitempty"`
	UninitWarn *bool `json:",omitempty"`
}

// Op is one statement of a rewrite script.
type Op struct {
	Kind string // "rewrite", "return", "set", "if", "break"
	File string `json:"-"`
	Line int

	Regex       *Regexp   `json:",omitempty"` // rewrite
	Replacement *Template `json:",omitempty"` // rewrite
	Flag        string    `json:",omitempty"` // rewrite: last, break, redirect, permanent

	Code int       `json:",omitempty"` // return
	Text *Template `json:",omitempty"` // return: body or URL

	Var   string    `json:",omitempty"` // set
	Value *Template `json:",omitempty"` // set

	Cond *Cond `json:",omitempty"` // if
	Conf *Loc  `json:",omitempty"` // if: the block's own settings
	Body []*Op `json:",omitempty"` // if
}

// Cond is an if condition.
type Cond struct {
	Op    string    // "" (variable is true), "=", "!=", "~", "~*", "!~", "!~*", "-f", "!-f", "-d", "!-d", "-e", "!-e", "-x", "!-x"
	Left  *Template // the variable, or the path of a file test
	Right *Template `json:",omitempty"` // for = and !=
	Regex *Regexp   `json:",omitempty"`
}

func rewriteLoc[T any](get func(*RewriteLoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.Rewrite) })
}

func init() {
	ctx := CtxServer | CtxLocation | CtxIfServer | CtxIfLocation
	register("ngx_http_rewrite_module",
		&Directive{Name: "rewrite", Ctx: ctx, Args: Args23, set: setRewrite},
		&Directive{Name: "return", Ctx: ctx, Args: Args12, set: setReturn},
		&Directive{Name: "set", Ctx: ctx, Args: Args2, set: setSet},
		&Directive{Name: "break", Ctx: ctx, Args: Args0, set: func(b *builder, f *frame, s *Stmt) error {
			*f.script = append(*f.script, &Op{Kind: "break", File: s.File, Line: s.Line})
			return nil
		}},
		&Directive{Name: "if", Ctx: CtxServer | CtxLocation, Args: Args1More, Block: true, set: setIf},
		&Directive{Name: "rewrite_log", Ctx: httpMSL | CtxIfServer | CtxIfLocation, Args: ArgsFlag, set: slot(rewriteLoc(func(r *RewriteLoc) **bool { return &r.Log }), flagArg)},
		&Directive{Name: "uninitialized_variable_warn", Ctx: httpMSL | CtxIfServer | CtxIfLocation, Args: ArgsFlag, set: slot(rewriteLoc(func(r *RewriteLoc) **bool { return &r.UninitWarn }), flagArg)},
	)
}

func setRewrite(b *builder, f *frame, s *Stmt) error {
	r, err := b.regex(s, s.Args[0], false)
	if err != nil {
		return err
	}
	op := &Op{Kind: "rewrite", File: s.File, Line: s.Line, Regex: r}
	if op.Replacement, err = b.tmpl(s, s.Args[1]); err != nil {
		return err
	}
	if len(s.Args) == 3 {
		switch s.Args[2] {
		case "last", "break", "redirect", "permanent":
			op.Flag = s.Args[2]
		default:
			return errf(s, "invalid parameter %q", s.Args[2])
		}
	}
	*f.script = append(*f.script, op)
	return nil
}

// IsRedirectURL reports whether a rewrite replacement or return text
// makes nginx answer with a redirect.
func IsRedirectURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "$scheme")
}

func setReturn(b *builder, f *frame, s *Stmt) error {
	op := &Op{Kind: "return", File: s.File, Line: s.Line}
	code, err := strconv.Atoi(s.Args[0])
	text := ""
	switch {
	case err != nil || code < 0:
		if len(s.Args) != 1 || !IsRedirectURL(s.Args[0]) {
			return errf(s, "invalid return code %q", s.Args[0])
		}
		op.Code, text = 302, s.Args[0]
	case code > 999:
		return errf(s, "invalid return code %q", s.Args[0])
	default:
		op.Code = code
		if len(s.Args) == 2 {
			text = s.Args[1]
		}
	}
	if len(s.Args) == 2 || op.Code == 302 && text != "" {
		if op.Text, err = b.tmpl(s, text); err != nil {
			return err
		}
	}
	*f.script = append(*f.script, op)
	return nil
}

func setSet(b *builder, f *frame, s *Stmt) error {
	name := s.Args[0]
	if len(name) < 2 || name[0] != '$' {
		return errf(s, "invalid variable name %q", name)
	}
	name = lower(name[1:]) // nginx takes any name here, "$a-b" too
	if !changeable(name) {
		// nginx lets "set" change only its changeable variables.
		return errf(s, "the duplicate %q variable", name)
	}
	f.http.Vars[name] = true
	v, err := b.tmpl(s, s.Args[1])
	if err != nil {
		return err
	}
	*f.script = append(*f.script, &Op{Kind: "set", File: s.File, Line: s.Line, Var: name, Value: v})
	return nil
}

func setIf(b *builder, f *frame, s *Stmt) error {
	cond, err := b.ifCondition(s)
	if err != nil {
		return err
	}
	op := &Op{Kind: "if", File: s.File, Line: s.Line, Cond: cond, Conf: &Loc{}}
	*f.script = append(*f.script, op)
	nf := *f
	nf.loc = op.Conf
	nf.script = &op.Body
	if f.ctx == CtxServer {
		nf.ctx = CtxIfServer
	} else {
		nf.ctx = CtxIfLocation
	}
	return b.walk(&nf, s.Block)
}

// ifCondition parses "(...)" the way ngx_http_rewrite_if_condition does,
// including its error messages.
func (b *builder) ifCondition(s *Stmt) (*Cond, error) {
	args := append([]string(nil), s.Args...)
	invalid := func(v string) error { return errf(s, "invalid condition %q", v) }
	if !strings.HasPrefix(args[0], "(") {
		return nil, invalid(args[0])
	}
	if args[0] == "(" {
		args = args[1:]
	} else {
		args[0] = args[0][1:]
	}
	if len(args) == 0 {
		return nil, invalid(s.Args[0])
	}
	last := len(args) - 1
	if !strings.HasSuffix(args[last], ")") {
		return nil, invalid(args[last])
	}
	if args[last] == ")" {
		args = args[:last]
	} else {
		args[last] = args[last][:len(args[last])-1]
	}
	if len(args) == 0 {
		return nil, invalid(")")
	}
	first := args[0]
	switch {
	case len(first) > 1 && first[0] == '$':
		if len(args) != 1 && len(args) != 3 {
			return nil, invalid(first)
		}
		left, err := b.tmpl(s, first)
		if err != nil {
			return nil, err
		}
		if len(left.Parts) != 1 || left.Parts[0].Var == "" {
			return nil, invalid(first)
		}
		c := &Cond{Left: left}
		if len(args) == 1 {
			return c, nil
		}
		switch args[1] {
		case "=", "!=":
			c.Op = args[1]
			if c.Right, err = b.tmpl(s, args[2]); err != nil {
				return nil, err
			}
		case "~", "~*", "!~", "!~*":
			c.Op = args[1]
			if c.Regex, err = b.regex(s, args[2], strings.HasSuffix(args[1], "*")); err != nil {
				return nil, err
			}
		default:
			return nil, errf(s, "unexpected %q in condition", args[1])
		}
		return c, nil
	case first == "-f" || first == "-d" || first == "-e" || first == "-x" ||
		first == "!-f" || first == "!-d" || first == "!-e" || first == "!-x":
		if len(args) != 2 {
			return nil, invalid(first)
		}
		path, err := b.tmpl(s, args[1])
		if err != nil {
			return nil, err
		}
		return &Cond{Op: first, Left: path}, nil
	}
	return nil, invalid(first)
}

// defineCaptures makes a regex's named captures known variables.
func (b *builder) defineCaptures(r *Regexp) {
	if b.cfg.HTTP == nil {
		return
	}
	for _, n := range r.Names {
		b.cfg.HTTP.Vars[lower(n)] = true
	}
}
