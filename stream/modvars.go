package stream

// modvars.go evaluates the variables the configuration defines: map,
// geo and split_clients (the last two compiled by httpcore, whose
// blocks have the same syntax and meaning).

import (
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// compileVars builds the configuration's variable functions.
func (rt *Runtime) compileVars() {
	rt.funcs = map[string]func(*Session) string{}
	for _, m := range rt.cfg.Maps {
		rt.funcs[m.Var] = func(s *Session) string { return s.evalMap(m) }
	}
	for _, g := range rt.cfg.Geos {
		l := httpcore.CompileGeo(g)
		src := g.Source
		rt.funcs[g.Var] = func(s *Session) string {
			var v string
			if src == "" {
				v = s.remoteAddr
			} else {
				v, _ = s.Var(src)
			}
			ip, ok := confparse.ParseAddr(v)
			if !ok {
				return l.Lookup(nil)
			}
			return l.Lookup(ip)
		}
	}
	for _, sc := range rt.cfg.Splits {
		rt.funcs[sc.Var] = func(s *Session) string {
			h := httpcore.MurmurHash2(s.eval(sc.Source))
			for _, p := range sc.Parts {
				if p.Percent == 0 || h < p.Bound {
					return p.Value
				}
			}
			return ""
		}
	}
}

// evalMap is a map variable: exact key, wildcards (hostnames), regexes
// in order, default; the value is kept for the session unless the map
// is volatile.
func (s *Session) evalMap(m *confparse.Map) string {
	src := s.eval(m.Source)
	key := strings.ToLower(src)
	if m.Hostnames {
		key = strings.TrimSuffix(key, ".")
	}
	val, ok := m.Exact[key]
	if !ok && m.Hostnames {
		val = wildcard(m, key)
	}
	if val == nil {
		for _, r := range m.Regexes {
			if ok, _ := r.Regex.Match(src); ok { // the match limit: no match
				val = r.Value
				break
			}
		}
	}
	if val == nil {
		val = m.Default
	}
	out := ""
	if val != nil {
		out = s.eval(val)
	}
	if !m.Volatile {
		s.mu.Lock()
		if s.setVars == nil {
			s.setVars = map[string]string{}
		}
		s.setVars[m.Var] = out
		s.mu.Unlock()
	}
	return out
}

// wildcard finds the longest "*.name" / ".name" key, then "name.*".
func wildcard(m *confparse.Map, host string) *confparse.Template {
	var best *confparse.Template
	n := -1
	for _, w := range m.Prefix {
		if (strings.HasSuffix(host, "."+w.Name) || host == w.Name) && len(w.Name) > n {
			best, n = w.Value, len(w.Name)
		}
	}
	if best != nil {
		return best
	}
	for _, w := range m.Suffix {
		if strings.HasPrefix(host, w.Name+".") && len(w.Name) > n {
			best, n = w.Value, len(w.Name)
		}
	}
	return best
}
