package proxy

// cookieflags.go is proxy_cookie_flags: the Secure, HttpOnly and
// SameSite attributes of an upstream's Set-Cookie, added, replaced or
// removed for the cookies a rule names.

import (
	"strings"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// The flags a rule may give, each a set of bits: which attribute it
// concerns and what to do with it. A flag may be written in any case.
const (
	flagSecureOn = 1 << iota
	flagSecureOff
	flagHTTPOnlyOn
	flagHTTPOnlyOff
	flagSameSiteStrict
	flagSameSiteLax
	flagSameSiteNone
	flagSameSiteOff
)

var cookieFlagNames = map[string]int{
	"secure": flagSecureOn, "nosecure": flagSecureOff,
	"httponly": flagHTTPOnlyOn, "nohttponly": flagHTTPOnlyOff,
	"samesite=strict": flagSameSiteStrict, "samesite=lax": flagSameSiteLax,
	"samesite=none": flagSameSiteNone, "nosamesite": flagSameSiteOff,
}

// sameSiteValues are the SameSite values the flags set, strongest first:
// when a rule gives several, nginx applies the first of this order.
var sameSiteValues = []struct {
	bit   int
	value string
}{{flagSameSiteStrict, "Strict"}, {flagSameSiteLax, "Lax"}, {flagSameSiteNone, "None"}}

// editCookieFlags applies the first rule whose name (caseless) or regex
// matches the cookie's name, and says whether one did with at least one
// known flag: then the value is written back even when no attribute
// changed, as nginx does. An empty or unknown flag is skipped, as nginx
// skips it at run time.
func editCookieFlags(rq *httpcore.Request, attrs []cookieAttr, rules []*confparse.CookieFlags) ([]cookieAttr, bool) {
	name := attrs[0].name
	var rule *confparse.CookieFlags
	for _, r := range rules {
		if r.Regex != nil {
			if m, _ := rq.FindRegex(r.Regex, name); m != nil {
				rq.SetCaptures(r.Regex, name, m)
				rule = r
				break
			}
			continue
		}
		if strings.EqualFold(rq.Eval(r.Name), name) {
			rule = r
			break
		}
	}
	if rule == nil {
		return attrs, false
	}
	flags := 0
	for _, t := range rule.Flags {
		flags |= cookieFlagNames[strings.ToLower(rq.Eval(t))]
	}
	if flags == 0 {
		return attrs, false
	}
	// Secure and HttpOnly already there satisfy an "on" flag (the first
	// of them does; the others stay) or all go for an "off"; the first
	// SameSite takes the value asked for, unless it has it in some case.
	for i := 1; i < len(attrs); i++ {
		a := &attrs[i]
		switch {
		case strings.EqualFold(a.name, "secure"):
			flags = onOff(a, flags, flagSecureOn, flagSecureOff)
		case strings.EqualFold(a.name, "httponly"):
			flags = onOff(a, flags, flagHTTPOnlyOn, flagHTTPOnlyOff)
		case strings.EqualFold(a.name, "samesite"):
			if v, bit := sameSite(flags); bit != 0 {
				flags &^= bit
				if !strings.EqualFold(a.value, v) || !a.eq {
					a.name, a.value, a.eq = "SameSite", v, true
				}
			} else if flags&flagSameSiteOff != 0 {
				a.gone = true
			}
		}
	}
	if flags&flagSecureOn != 0 {
		attrs = append(attrs, cookieAttr{name: "Secure"})
	}
	if flags&flagHTTPOnlyOn != 0 {
		attrs = append(attrs, cookieAttr{name: "HttpOnly"})
	}
	if v, bit := sameSite(flags); bit != 0 {
		attrs = append(attrs, cookieAttr{name: "SameSite", value: v, eq: true})
	}
	return attrs, true
}

// onOff handles one Secure or HttpOnly attribute: the first satisfies
// on (which then adds none), every one goes for off (unless on is also
// given: on wins).
func onOff(a *cookieAttr, flags, on, off int) int {
	switch {
	case flags&on != 0:
		return flags &^ on
	case flags&off != 0:
		a.gone = true
	}
	return flags
}

// sameSite is the SameSite value still to set and its bit, or 0.
func sameSite(flags int) (string, int) {
	for _, s := range sameSiteValues {
		if flags&s.bit != 0 {
			return s.value, s.bit
		}
	}
	return "", 0
}
