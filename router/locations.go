package router

// locations.go finds the location for a URI with nginx's algorithm
// (ngx_http_core_find_location): "=" exact first, then the longest prefix,
// whose nested locations are searched; unless that prefix is "^~", the
// regexes of each level are tried in order, innermost first.

import (
	"slices"

	"goproxy/confparse"
)

// locLevel is one level of the location tree: a server's locations or a
// location's nested ones.
type locLevel struct {
	exact   map[string]*loc
	prefix  map[string]*loc
	lengths []int // distinct prefix lengths, longest first
	regex   []*loc
	// redirect maps "/x" to the location "/x/" when that location
	// redirects a URI without its trailing slash (proxy_pass and such).
	redirect map[string]*loc
}

// loc is a compiled location.
type loc struct {
	conf   *confparse.Location
	nested *locLevel
	// handler is the content handler chosen at load time.
	handler contentKind
}

func buildLevel(ls []*confparse.Location, named map[string]*loc) *locLevel {
	lv := &locLevel{exact: map[string]*loc{}, prefix: map[string]*loc{}, redirect: map[string]*loc{}}
	for _, l := range ls {
		c := &loc{conf: l}
		c.handler = contentFor(l.Conf)
		if len(l.Locations) > 0 {
			nested := l.Locations
			if l.Regex != nil {
				// nginx builds no prefix tree inside a regex location:
				// its nested "=" and prefix locations never match.
				nested = regexOnly(nested)
			}
			c.nested = buildLevel(nested, named)
		}
		switch l.Modifier {
		case "=":
			lv.exact[l.Pattern] = c
		case "", "^~":
			lv.prefix[l.Pattern] = c
			if !slices.Contains(lv.lengths, len(l.Pattern)) {
				lv.lengths = append(lv.lengths, len(l.Pattern))
			}
			if n := len(l.Pattern); n > 1 && l.Pattern[n-1] == '/' && c.handler.autoRedirect() {
				lv.redirect[l.Pattern[:n-1]] = c
			}
		case "~", "~*":
			lv.regex = append(lv.regex, c)
		case "@":
			named[l.Pattern] = c
		}
	}
	slices.SortFunc(lv.lengths, func(a, b int) int { return b - a })
	return lv
}

func regexOnly(ls []*confparse.Location) []*confparse.Location {
	var out []*confparse.Location
	for _, l := range ls {
		if l.Regex != nil {
			out = append(out, l)
		}
	}
	return out
}

// findResult says how the search ended.
type findResult int

const (
	found        findResult = iota // a location was chosen
	notFound                       // no location matches
	autoRedirect                   // 301 to the URI with a trailing slash
	matchFailed                    // the location's regex hit the match limit: 500
)

// find returns the location for uri. match records regex captures.
func (lv *locLevel) find(uri string, match func(*confparse.Regexp, string, []int)) (*loc, findResult) {
	if c, ok := lv.exact[uri]; ok {
		return c, found
	}
	var best *loc
	for _, n := range lv.lengths {
		if n <= len(uri) {
			if c, ok := lv.prefix[uri[:n]]; ok {
				best = c
				break
			}
		}
	}
	if _, ok := lv.prefix[uri]; !ok {
		if c, ok := lv.redirect[uri]; ok {
			return c, autoRedirect
		}
	}
	noregex := false
	if best != nil {
		noregex = best.conf.Modifier == "^~"
		if best.nested != nil {
			if c, res := best.nested.find(uri, match); c != nil {
				if res == autoRedirect || c.conf.Modifier == "=" || c.conf.Regex != nil {
					return c, res
				}
				// A nested prefix match still yields to this level's
				// regexes, unless this level's match was "^~".
				best = c
			}
		}
	}
	if !noregex {
		for _, c := range lv.regex {
			m, err := c.conf.Regex.FindIndex(uri)
			if err != nil {
				return c, matchFailed
			}
			if m != nil {
				match(c.conf.Regex, uri, m)
				if c.nested != nil {
					if n, res := c.nested.find(uri, match); n != nil {
						return n, res
					}
				}
				return c, found
			}
		}
	}
	if best != nil {
		return best, found
	}
	return nil, notFound
}
