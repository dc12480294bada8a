package httpcore

// useragent.go is nginx's reading of the User-Agent header
// (ngx_http_user_agent): which browser family sent the request, for
// msie_refresh, gzip_disable msie6, keepalive_disable and the browser
// module's $msie. Matching is case-sensitive substrings, as nginx's.

import "strings"

// Browser is what nginx notes of a User-Agent.
type Browser struct {
	MSIE, MSIE6                        bool
	Opera, Gecko, Chrome, Safari, Konq bool
}

// ParseBrowser classifies a User-Agent value.
func ParseBrowser(ua string) Browser {
	var b Browser
	if i := strings.Index(ua, "MSIE "); i >= 0 && i+7 < len(ua) {
		b.MSIE = true
		if ua[i+6] == '.' {
			switch ua[i+5] {
			case '4', '5':
				b.MSIE6 = true
			case '6':
				b.MSIE6 = !strings.Contains(ua[i+8:], "SV1")
			}
		}
	}
	if strings.Contains(ua, "Opera") {
		b.Opera, b.MSIE, b.MSIE6 = true, false, false
	}
	if !b.MSIE && !b.Opera {
		switch {
		case strings.Contains(ua, "Gecko/"):
			b.Gecko = true
		case strings.Contains(ua, "Chrome/"):
			b.Chrome = true
		case strings.Contains(ua, "Safari/") && strings.Contains(ua, "Mac OS X"):
			b.Safari = true
		case strings.Contains(ua, "Konqueror"):
			b.Konq = true
		}
	}
	return b
}

// Browser classifies the client's User-Agent.
func (rq *Request) Browser() Browser {
	return ParseBrowser(rq.mainR().Header.Get("User-Agent"))
}
