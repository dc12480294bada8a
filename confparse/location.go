package confparse

// location.go reads location blocks with nginx's rules for modifiers and
// nesting.

import "strings"

func setLocation(b *builder, f *frame, s *Stmt) error {
	l := &Location{File: s.File, Line: s.Line, Conf: &Loc{}, Parent: f.location}
	if len(s.Args) == 2 {
		l.Modifier, l.Pattern = s.Args[0], s.Args[1]
		switch l.Modifier {
		case "=", "^~", "~", "~*":
		default:
			return errf(s, "invalid location modifier %q", l.Modifier)
		}
	} else {
		// nginx also accepts a modifier glued to the pattern: "=/x", "~*\.png".
		p := s.Args[0]
		switch {
		case strings.HasPrefix(p, "=") && len(p) > 1:
			l.Modifier, l.Pattern = "=", p[1:]
		case strings.HasPrefix(p, "^~") && len(p) > 2:
			l.Modifier, l.Pattern = "^~", p[2:]
		case strings.HasPrefix(p, "~*") && len(p) > 2:
			l.Modifier, l.Pattern = "~*", p[2:]
		case strings.HasPrefix(p, "~") && len(p) > 1:
			l.Modifier, l.Pattern = "~", p[1:]
		case strings.HasPrefix(p, "@"):
			l.Modifier, l.Pattern = "@", p[1:]
		default:
			l.Pattern = p
		}
	}
	if l.Modifier == "~" || l.Modifier == "~*" {
		r, err := b.regex(s, l.Pattern, l.Modifier == "~*")
		if err != nil {
			return err
		}
		l.Regex = r
	}
	if p := f.location; p != nil {
		// nginx names the inner location by its pattern, "@" included.
		inner := l.Pattern
		if l.Modifier == "@" {
			inner = "@" + inner
		}
		switch {
		case p.Modifier == "=":
			return errf(s, "location %q cannot be inside the exact location %q", inner, p.Pattern)
		case p.Modifier == "@":
			return errf(s, "location %q cannot be inside the named location %q", inner, "@"+p.Pattern)
		case l.Modifier == "@":
			return errf(s, "named location %q can be on the server level only", "@"+l.Pattern)
		case l.Regex == nil && !strings.HasPrefix(l.Pattern, p.Pattern):
			// nginx compares even against a regex parent's source text.
			return errf(s, "location %q is outside location %q", l.Pattern, p.Pattern)
		}
	}
	siblings := &f.server.Locations
	if f.location != nil {
		siblings = &f.location.Locations
	}
	dup := false
	for _, o := range *siblings {
		if sameLocation(o, l) {
			if l.Modifier != "@" {
				return errf(s, "duplicate location %q", l.Pattern)
			}
			// nginx accepts a second named location of the same name,
			// checks it, and uses the first.
			dup = true
		}
	}
	if !dup {
		*siblings = append(*siblings, l)
	}
	nf := &frame{ctx: CtxLocation, main: f.main, http: f.http, srvConf: f.srvConf, server: f.server,
		loc: l.Conf, location: l}
	nf.script = &l.Conf.Rewrite.Script
	return b.walk(nf, s.Block)
}

// sameLocation reports whether nginx would call two locations duplicates:
// the same pattern, both exact or both prefix (with or without ^~).
// Regex locations may repeat.
func sameLocation(a, b *Location) bool {
	if a.Pattern != b.Pattern || a.Regex != nil || b.Regex != nil {
		return false
	}
	kind := func(l *Location) string {
		switch l.Modifier {
		case "", "^~":
			return "prefix"
		}
		return l.Modifier
	}
	return kind(a) == kind(b)
}
