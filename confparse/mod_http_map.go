package confparse

// mod_http_map.go: ngx_http_map_module.

import (
	"slices"
	"strings"
)

// Map is a map block: Var takes the value of the first entry matching
// Source (exact names first, then wildcards when Hostnames, then regexes
// in order), or Default.
type Map struct {
	Source    *Template
	Var       string
	Default   *Template            `json:",omitempty"`
	Hostnames bool                 `json:",omitempty"`
	Volatile  bool                 `json:",omitempty"`
	Exact     map[string]*Template `json:",omitempty"` // keys lower-cased
	Prefix    []MapWildcard        `json:",omitempty"` // "*.example.com" / ".example.com"
	Suffix    []MapWildcard        `json:",omitempty"` // "www.example.*"
	Regexes   []MapRegex           `json:",omitempty"`
}

// MapWildcard is a hostnames wildcard key.
type MapWildcard struct {
	Name  string
	Value *Template
}

// MapRegex is a regex key.
type MapRegex struct {
	Regex *Regexp
	Value *Template
}

func init() {
	register("ngx_http_map_module",
		&Directive{Name: "map", Ctx: CtxHTTP, Args: Args2, Block: true, set: setMap},
		&Directive{Name: "map_hash_max_size", Ctx: CtxHTTP, Args: Args1, Status: NoOp, Note: "nginx hash-table tuning", set: validateNum},
		&Directive{Name: "map_hash_bucket_size", Ctx: CtxHTTP, Args: Args1, Status: NoOp, Note: "nginx hash-table tuning", set: validateNum},
	)
}

func setMap(b *builder, f *frame, s *Stmt) error {
	m, err := parseMap(b, s)
	if err != nil {
		return err
	}
	f.http.Vars[m.Var] = true
	f.http.Maps = append(f.http.Maps, m)
	return nil
}

// parseMap reads a map block, in http or stream.
func parseMap(b *builder, s *Stmt) (*Map, error) {
	src, err := b.tmpl(s, s.Args[0])
	if err != nil {
		return nil, err
	}
	name := s.Args[1]
	if len(name) < 2 || name[0] != '$' {
		return nil, errf(s, "invalid variable name %q", name)
	}
	m := &Map{Source: src, Var: lower(name[1:]), Exact: map[string]*Template{}}
	if !changeable(m.Var) {
		// like "set", map may only define variables nginx lets change.
		return nil, errf(s, "the duplicate %q variable", m.Var)
	}
	if err := b.walkMap(m, s.Block); err != nil {
		return nil, err
	}
	return m, nil
}

func (b *builder) walkMap(m *Map, stmts []*Stmt) error {
	for _, t := range stmts {
		if t.err != nil {
			return t.err
		}
		if t.IsBlock {
			return errf(t, "unexpected \"{\"")
		}
		switch {
		case t.Name == "include" && len(t.Args) == 1:
			if err := b.includeInto(t, func(in []*Stmt) error { return b.walkMap(m, in) }); err != nil {
				return err
			}
			continue
		case t.Name == "hostnames" && len(t.Args) == 0:
			m.Hostnames = true
			continue
		case t.Name == "volatile" && len(t.Args) == 0:
			m.Volatile = true
			continue
		case len(t.Args) != 1:
			return errf(t, "invalid number of the map parameters")
		}
		key := t.Name
		val, err := b.tmpl(t, t.Args[0])
		if err != nil {
			return err
		}
		if key == "default" {
			if m.Default != nil {
				return errf(t, "duplicate default map parameter")
			}
			m.Default = val
			continue
		}
		if strings.HasPrefix(key, "\\") {
			key = key[1:] // "\default" is the literal key "default"
		}
		switch {
		case strings.HasPrefix(t.Name, "~"):
			caseless := strings.HasPrefix(key, "~*")
			src := strings.TrimPrefix(strings.TrimPrefix(key, "~*"), "~")
			r, err := b.regex(t, src, caseless)
			if err != nil {
				return err
			}
			m.Regexes = append(m.Regexes, MapRegex{Regex: r, Value: val})
		case m.Hostnames && (strings.HasPrefix(key, "*.") || strings.HasPrefix(key, ".")):
			n := lower(strings.TrimPrefix(strings.TrimPrefix(key, "*"), "."))
			if slices.ContainsFunc(m.Prefix, func(w MapWildcard) bool { return w.Name == n }) {
				return errf(t, "conflicting parameter %q", key)
			}
			if strings.HasPrefix(key, ".") {
				m.Exact[n] = val
			}
			m.Prefix = append(m.Prefix, MapWildcard{Name: n, Value: val})
		case m.Hostnames && strings.HasSuffix(key, ".*"):
			n := lower(key[:len(key)-2])
			if slices.ContainsFunc(m.Suffix, func(w MapWildcard) bool { return w.Name == n }) {
				return errf(t, "conflicting parameter %q", key)
			}
			m.Suffix = append(m.Suffix, MapWildcard{Name: n, Value: val})
		default:
			k := lower(key)
			if m.Hostnames {
				k = strings.TrimSuffix(k, ".")
			}
			if _, dup := m.Exact[k]; dup {
				return errf(t, "conflicting parameter %q", key)
			}
			m.Exact[k] = val
		}
	}
	return nil
}
