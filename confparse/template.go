package confparse

// template.go pre-splits strings with variables ("$scheme://$host$1")
// into literal, variable and capture parts once, at load time, as nginx's
// script compiler does, so that requests only concatenate.

import (
	"fmt"
	"strings"
)

// Part is one piece of a Template: a literal, a variable, or a regex
// capture ($1..$9).
type Part struct {
	Lit     string `json:",omitempty"`
	Var     string `json:",omitempty"` // variable name, without "$"
	Capture int    `json:",omitempty"` // capture number, when IsCap
	IsCap   bool   `json:",omitempty"`
}

// Template is a string with variables, as in nginx's complex values.
type Template struct {
	Raw   string
	Parts []Part `json:",omitempty"`
}

// IsConst reports whether the template has no variables.
func (t *Template) IsConst() bool {
	for _, p := range t.Parts {
		if p.Var != "" || p.IsCap {
			return false
		}
	}
	return true
}

// HasCaptures reports whether the template uses $1..$9.
func (t *Template) HasCaptures() bool {
	for _, p := range t.Parts {
		if p.IsCap {
			return true
		}
	}
	return false
}

func (t *Template) String() string { return t.Raw }

func isVarChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// ParseTemplate splits s into parts. The error text is nginx's.
func ParseTemplate(s string) (*Template, error) {
	t := &Template{Raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.Parts = append(t.Parts, Part{Lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		if s[i] != '$' {
			lit.WriteByte(s[i])
			i++
			continue
		}
		i++
		if i < len(s) && s[i] >= '1' && s[i] <= '9' {
			flush()
			t.Parts = append(t.Parts, Part{Capture: int(s[i] - '0'), IsCap: true})
			i++
			continue
		}
		var name string
		if i < len(s) && s[i] == '{' {
			j := i + 1
			for j < len(s) && isVarChar(s[j]) {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("invalid variable name")
			}
			if j == len(s) || s[j] != '}' {
				return nil, fmt.Errorf("the closing bracket in \"%s\" variable is missing", s[i+1:j])
			}
			name = s[i+1 : j]
			i = j + 1
		} else {
			j := i
			for j < len(s) && isVarChar(s[j]) {
				j++
			}
			name = s[i:j]
			i = j
		}
		if name == "" {
			return nil, fmt.Errorf("invalid variable name")
		}
		flush()
		t.Parts = append(t.Parts, Part{Var: lower(name)})
	}
	flush()
	return t, nil
}

// tmpl parses a statement argument as a template, recording its
// variables for the end-of-load check of unknown variables.
func (b *builder) tmpl(s *Stmt, v string) (*Template, error) {
	t, err := ParseTemplate(v)
	if err != nil {
		return nil, errf(s, "%s", err.Error())
	}
	for _, p := range t.Parts {
		if p.Var != "" {
			b.useVar(p.Var, s)
		}
	}
	return t, nil
}
