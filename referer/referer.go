// Package referer is ngx_http_referer_module's run time: $invalid_referer
// says whether the request's Referer is one valid_referers accepts.
package referer

import (
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
)

var variables = []httpcore.Variable{
	// "" for a valid Referer (or a level without valid_referers), "1"
	// otherwise.
	{Name: "invalid_referer", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		if rq.Loc == nil || rq.Loc.Referer.Valid == nil {
			return "", true
		}
		vals, present := rq.R.Header["Referer"]
		ref := ""
		if present && len(vals) > 0 {
			ref = vals[0]
		}
		if Valid(rq.Loc.Referer.Valid, ref, present) {
			return "", true
		}
		return "1", true
	}},
}

func init() { httpcore.RegisterVariables(variables) }

// maxHost is the longest host name nginx reads from a Referer (its
// buffer); a longer one is invalid whatever the configuration says.
const maxHost = 256

// Valid says whether a Referer (present false: the request had none)
// passes v, in nginx's order: none; the scheme (http:// or https://,
// and at least as long as "http://i.ru", else only "blocked" accepts
// it); the host names, whose URI prefix then decides; the regexes
// against the Referer without its scheme; the server's regex names
// against the host.
func Valid(v *confparse.ValidReferers, ref string, present bool) bool {
	if !present {
		return v.None
	}
	var rest string
	switch {
	case len(ref) >= len("http://i.ru") && strings.EqualFold(ref[:7], "http://"):
		rest = ref[7:]
	case len(ref) >= len("http://i.ru") && len(ref) >= 8 && strings.EqualFold(ref[:8], "https://"):
		rest = ref[8:]
	default:
		return v.Blocked
	}
	end := strings.IndexAny(rest, "/:")
	if end < 0 {
		end = len(rest)
	}
	if end > maxHost {
		return false
	}
	host := strings.ToLower(rest[:end])
	if n := findName(v, host); n != nil {
		if !n.HasURI {
			return true
		}
		path := rest[end:]
		if i := strings.IndexByte(path, '/'); i >= 0 {
			path = path[i:]
		} else {
			path = ""
		}
		return strings.HasPrefix(path, n.URI)
	}
	for _, re := range v.Regexes {
		if matches(re, rest) {
			return true
		}
	}
	if v.ServerNames && v.Server != nil {
		for _, sn := range v.Server.Names {
			if sn.Kind == confparse.NameRegex && matches(sn.Regex, host) {
				return true
			}
		}
	}
	return false
}

// findName is nginx's combined hash lookup: an exact name, else the
// longest "*.x" wildcard, else the longest "x.*". The server's names
// (server_names) are looked up with the directive's own.
func findName(v *confparse.ValidReferers, host string) *confparse.RefererName {
	names := v.Names
	if v.ServerNames && v.Server != nil {
		names = append(names[:len(names):len(names)], serverNames(v.Server)...)
	}
	for _, n := range names {
		if n.Kind == confparse.NameExact && n.Name == host || n.Dot && n.Name == host {
			return n
		}
	}
	var best *confparse.RefererName
	for _, kind := range []confparse.NameKind{confparse.NameWildcardPrefix, confparse.NameWildcardSuffix} {
		for _, n := range names {
			if n.Kind != kind || best != nil && len(n.Name) <= len(best.Name) {
				continue
			}
			if kind == confparse.NameWildcardPrefix && strings.HasSuffix(host, "."+n.Name) ||
				kind == confparse.NameWildcardSuffix && strings.HasPrefix(host, n.Name+".") {
				best = n
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

// serverNames are a server's exact and wildcard names as valid_referers
// entries without a URI part.
func serverNames(s *confparse.Server) []*confparse.RefererName {
	var out []*confparse.RefererName
	for _, sn := range s.Names {
		if sn.Kind != confparse.NameRegex && sn.Name != "" {
			out = append(out, &confparse.RefererName{Name: sn.Name, Kind: sn.Kind, Dot: sn.Dot})
		}
	}
	return out
}

// matches is a regex test where a match that hits the match limit is no
// match (nginx fails the variable; the referer is then not valid either).
func matches(re *confparse.Regexp, s string) bool {
	ok, _ := re.Match(s)
	return ok
}
