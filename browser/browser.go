// Package browser is ngx_http_browser_module's run time: $modern_browser
// and $ancient_browser judge the User-Agent by the location's
// modern_browser and ancient_browser lists, and $msie says MSIE sent the
// request.
package browser

import (
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
)

var variables = []httpcore.Variable{
	{Name: "msie", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		if rq.Browser().MSIE {
			return "1", true
		}
		return "", true
	}},
	{Name: "modern_browser", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		if rq.Loc != nil && !Ancient(&rq.Loc.Browser, rq.R.Header) {
			return *rq.Loc.Browser.ModernValue, true
		}
		return "", true
	}},
	{Name: "ancient_browser", Get: func(rq *httpcore.Request, _ string) (string, bool) {
		if rq.Loc != nil && Ancient(&rq.Loc.Browser, rq.R.Header) {
			return *rq.Loc.Browser.AncientValue, true
		}
		return "", true
	}},
}

func init() { httpcore.RegisterVariables(variables) }

// Ancient says whether b takes the request's browser for an ancient one,
// in nginx's order: no User-Agent; the modern_browser list, whose first
// entry that finds its browser's version decides, and without
// "unlisted" one that finds none makes it ancient; netscape4; the
// ancient_browser substrings; then "unlisted" decides.
func Ancient(b *confparse.BrowserLoc, h map[string][]string) bool {
	unlisted := b.Modern != nil && b.Modern.Unlisted
	uas, ok := h["User-Agent"]
	if !ok || len(uas) == 0 {
		return !unlisted
	}
	ua := uas[0]
	if m := b.Modern; m != nil && len(m.List) > 0 {
		for _, e := range m.List {
			if v, found := version(ua, e.Browser); found {
				return v < e.Version
			}
		}
		if !unlisted {
			return true
		}
	}
	if a := b.Ancient; a != nil {
		if a.Netscape4 && len(ua) > len("Mozilla/4.72 ") && strings.HasPrefix(ua, "Mozilla/") && ua[8] > '0' && ua[8] < '5' {
			return true
		}
		for _, s := range a.List {
			if strings.Contains(ua, s) {
				return true
			}
		}
	}
	return !unlisted
}

// version reads the version after the browser's name in ua, as nginx
// does: digits and dots, each dot scaling the next part down by 100;
// found is false when ua does not name the browser.
func version(ua string, browser int) (v uint64, found bool) {
	mask := confparse.BrowserMasks[browser]
	if mask.Skip >= len(ua) {
		return 0, false
	}
	i := strings.Index(ua[mask.Skip:], mask.Find)
	if i < 0 {
		return 0, false
	}
	p := mask.Skip + i + mask.VersionOff
	if p >= len(ua) {
		return 0, false
	}
	var ver, scale uint64 = 0, 1000000
	for ; p < len(ua); p++ {
		c := ua[p]
		if c >= '0' && c <= '9' {
			ver = ver*10 + uint64(c-'0')
			continue
		}
		if c != '.' {
			break
		}
		v += ver * scale
		ver, scale = 0, scale/100
	}
	return v + ver*scale, true
}
