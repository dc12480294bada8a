package confparse

// mod_http_browser.go: ngx_http_browser_module — $modern_browser and
// $ancient_browser from the User-Agent, by the browsers and versions a
// level names, and $msie.

import (
	"slices"
	"strings"
)

// BrowserLoc is the module's configuration. A level that writes none
// of a kind's directives takes the kind whole from the level around it.
type BrowserLoc struct {
	Modern  *ModernBrowsers  `json:",omitempty"`
	Ancient *AncientBrowsers `json:",omitempty"`
	// ModernValue and AncientValue are the variables' values ("1").
	ModernValue  *string `json:",omitempty"`
	AncientValue *string `json:",omitempty"`
}

// ModernBrowsers are a level's modern_browser lines.
type ModernBrowsers struct {
	// List is in the order nginx checks it: by browser (Opera, MSIE,
	// Gecko, Safari, Konqueror), with an Opera entry no version reaches
	// when none is written, so an Opera that names itself MSIE is not
	// taken for MSIE.
	List     []*ModernBrowser `json:",omitempty"`
	Unlisted bool             `json:",omitempty"` // modern_browser unlisted
}

// AncientBrowsers are a level's ancient_browser substrings, and
// "netscape4".
type AncientBrowsers struct {
	List      []string `json:",omitempty"`
	Netscape4 bool     `json:",omitempty"`
}

// ModernBrowser is one modern_browser: the browser's place in nginx's
// table and the version, scaled as nginx reads "X.X.X.X" (each part
// after the first two digits wide).
type ModernBrowser struct {
	Browser int
	Version uint64
}

// BrowserMasks is nginx's table of the browsers modern_browser knows:
// where to start looking in the User-Agent, the text that names the
// browser, and how far past its start the version begins.
var BrowserMasks = []BrowserMask{
	{"opera", 0, "Opera", len("Opera ")},
	{"msie", len("Mozilla/4.0 (compatible; "), "MSIE ", len("MSIE ")},
	{"gecko", len("Mozilla/5.0 ("), "rv:", len("rv:")},
	{"safari", len("Mozilla/5.0 ("), "Safari/", len("Safari/")},
	{"konqueror", len("Mozilla/5.0 (compatible; "), "Konqueror/", len("Konqueror/")},
}

// BrowserMask is one row of BrowserMasks.
type BrowserMask struct {
	Name       string
	Skip       int
	Find       string
	VersionOff int
}

// unreachableVersion is the version of the Opera entry nginx adds.
const unreachableVersion = 4001000000

func init() {
	register("ngx_http_browser_module",
		&Directive{Name: "modern_browser", Ctx: httpMSL, Args: Args12, set: setModernBrowser,
			Note: "a list written at http level applies as written (nginx 1.22 leaves one there unprepared, and its levels match almost nothing)"},
		&Directive{Name: "ancient_browser", Ctx: httpMSL, Args: Args1More, set: func(b *builder, f *frame, s *Stmt) error {
			a := f.loc.Browser.Ancient
			if a == nil {
				a = &AncientBrowsers{}
				f.loc.Browser.Ancient = a
			}
			for _, v := range s.Args {
				if v == "netscape4" {
					a.Netscape4 = true
					continue
				}
				a.List = append(a.List, v)
			}
			return nil
		}},
		&Directive{Name: "modern_browser_value", Ctx: httpMSL, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			f.loc.Browser.ModernValue = &s.Args[0]
			return nil
		}},
		&Directive{Name: "ancient_browser_value", Ctx: httpMSL, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			f.loc.Browser.AncientValue = &s.Args[0]
			return nil
		}},
	)
}

func setModernBrowser(b *builder, f *frame, s *Stmt) error {
	bl := f.loc.Browser.Modern
	if bl == nil {
		bl = &ModernBrowsers{}
		f.loc.Browser.Modern = bl
	}
	if len(s.Args) == 1 {
		if s.Args[0] == "unlisted" {
			bl.Unlisted = true
			return nil
		}
		// nginx fails here without a message.
		return &Diag{Level: LevelEmerg}
	}
	n := slices.IndexFunc(BrowserMasks, func(m BrowserMask) bool { return strings.EqualFold(m.Name, s.Args[0]) })
	if n < 0 {
		return errf(s, "unknown browser name %q", s.Args[0])
	}
	var version, ver, scale uint64 = 0, 0, 1000000
	for _, c := range []byte(s.Args[1]) {
		switch {
		case c >= '0' && c <= '9':
			ver = ver*10 + uint64(c-'0')
		case c == '.':
			version += ver * scale
			ver, scale = 0, scale/100
		default:
			return errf(s, "invalid browser version %q", s.Args[1])
		}
	}
	// A stable sort keeps each browser's lines in the order written;
	// the Opera entry nginx adds goes once an Opera line is written.
	e := &ModernBrowser{Browser: n, Version: version + ver*scale}
	list := slices.DeleteFunc(append(bl.List, e), func(m *ModernBrowser) bool {
		return n == 0 && m != e && m.Browser == 0 && m.Version == unreachableVersion
	})
	if !slices.ContainsFunc(list, func(m *ModernBrowser) bool { return m.Browser == 0 }) {
		list = append(list, &ModernBrowser{Browser: 0, Version: unreachableVersion})
	}
	slices.SortStableFunc(list, func(a, b *ModernBrowser) int { return a.Browser - b.Browser })
	bl.List = list
	return nil
}
