package httpcore

// uri.go is the one place for URI rules: nginx's normalisation of the
// request path (ngx_http_parse_complex_uri), its escaping
// (ngx_escape_uri), and the mapping of a URI to a file (root, alias).

import (
	"errors"
	"path/filepath"
	"strings"

	"goproxy/confparse"
)

// ErrBadURI is a URI nginx answers with 400.
var ErrBadURI = errors.New("invalid URI")

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// NormalizeURI decodes %XX, merges slashes (when merge) and resolves "."
// and ".." segments. A bad escape, a decoded NUL, or ".." above the root
// is ErrBadURI.
func NormalizeURI(raw string, merge bool) (string, error) {
	if !needsNormalizing(raw, merge) {
		return raw, nil
	}
	dec := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			if i+2 >= len(raw) {
				return "", ErrBadURI
			}
			h, ok1 := unhex(raw[i+1])
			l, ok2 := unhex(raw[i+2])
			if !ok1 || !ok2 {
				return "", ErrBadURI
			}
			c = h<<4 | l
			if c == 0 {
				return "", ErrBadURI
			}
			i += 2
		}
		dec = append(dec, c)
	}
	out := make([]byte, 0, len(dec))
	for i := 0; i < len(dec); {
		if dec[i] != '/' {
			out = append(out, dec[i])
			i++
			continue
		}
		// At a slash: look at the segment that follows.
		j := i + 1
		if merge {
			for j < len(dec) && dec[j] == '/' {
				j++
			}
		}
		seg := j
		for seg < len(dec) && dec[seg] != '/' {
			seg++
		}
		switch string(dec[j:seg]) {
		case ".":
			if seg == len(dec) {
				out = append(out, '/')
			}
			i = seg
			continue
		case "..":
			k := len(out) - 1
			for k >= 0 && out[k] != '/' {
				k--
			}
			if k < 0 {
				return "", ErrBadURI
			}
			out = out[:k]
			if seg == len(dec) {
				out = append(out, '/')
			}
			i = seg
			continue
		}
		out = append(out, '/')
		i = j
	}
	if len(out) == 0 {
		out = append(out, '/')
	}
	return string(out), nil
}

func needsNormalizing(s string, merge bool) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%':
			return true
		case '/':
			if i+1 < len(s) {
				n := s[i+1]
				if n == '.' || (merge && n == '/') {
					return true
				}
			}
		}
	}
	return false
}

// escapeURIByte is the set of bytes ngx_escape_uri(NGX_ESCAPE_URI)
// escapes: "#", "%", "?", and what RFC 3986 does not allow in a URI
// (controls, space, \" < > \\ ^ ` { | }, DEL, non-ASCII).
func escapeURIByte(c byte) bool {
	switch c {
	case '#', '%', '?', '"', '<', '>', '\\', '^', '`', '{', '|', '}':
		return true
	}
	return c <= ' ' || c >= 0x7f
}

// escapeArgsByte is NGX_ESCAPE_ARGS: the URI set plus the argument
// separators "&", "+" and ";".
func escapeArgsByte(c byte) bool {
	return c == '&' || c == '+' || c == ';' || escapeURIByte(c)
}

// AppendEscapedArgs appends s escaped as nginx escapes a regex capture
// placed in a rewrite's arguments or redirect (NGX_ESCAPE_ARGS).
func AppendEscapedArgs(b []byte, s string) []byte { return appendEscaped(b, s, escapeArgsByte) }

// escapeHTMLURIByte is NGX_ESCAPE_HTML, the table SSI's echo
// encoding=url uses: controls, space, DEL and above, and "#%'<>\^`{|}.
func escapeHTMLURIByte(c byte) bool {
	return c <= ' ' || c >= 0x7f || strings.IndexByte("\"#%'<>\\^`{|}", c) >= 0
}

// EscapeHTMLURI escapes s with NGX_ESCAPE_HTML.
func EscapeHTMLURI(s string) string { return string(appendEscaped(nil, s, escapeHTMLURIByte)) }

// escapeComponentByte is NGX_ESCAPE_URI_COMPONENT: everything but
// letters, digits and "-._~".
func escapeComponentByte(c byte) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~')
}

// AppendEscapedComponent appends s escaped with NGX_ESCAPE_URI_COMPONENT
// (autoindex's links).
func AppendEscapedComponent(b []byte, s string) []byte {
	return appendEscaped(b, s, escapeComponentByte)
}

// appendEscaped appends s with each byte esc selects as %XX.
func appendEscaped(b []byte, s string, esc func(byte) bool) []byte {
	const hexd = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if esc(c) {
			b = append(b, '%', hexd[c>>4], hexd[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}

// EscapeHTML is ngx_escape_html: <, >, & and " become entities.
func EscapeHTML(s string) string {
	if !strings.ContainsAny(s, `<>&"`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// UnescapeRedirect is ngx_unescape_uri(NGX_UNESCAPE_REDIRECT), which
// nginx applies to a rewrite's redirect target: up to the first "?"
// (literal or decoded), escapes of printable characters above "%" are
// decoded, the others kept, and a broken escape is dropped.
func UnescapeRedirect(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c == '?' {
			break
		}
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+1 >= len(s) {
			i++
			break
		}
		h, ok := unhex(s[i+1])
		if !ok {
			// "%" and the invalid character after it: the character stays.
			b = append(b, s[i+1])
			i++
			continue
		}
		if i+2 >= len(s) {
			i += 2
			break
		}
		l, ok := unhex(s[i+2])
		i += 2
		if !ok {
			continue
		}
		if v := h<<4 | l; v == '?' {
			// A decoded "?" ends the decoding, as a literal one does.
			b = append(b, v)
			i++
			break
		} else if v > '%' && v < 0x7f {
			b = append(b, v)
		} else {
			b = append(b, s[i-2:i+1]...)
		}
	}
	return string(append(b, s[min(i, len(s)):]...))
}

// EscapeURI escapes a decoded URI for sending on, as nginx does.
func EscapeURI(s string) string {
	for i := 0; i < len(s); i++ {
		if escapeURIByte(s[i]) {
			return string(appendEscaped(make([]byte, 0, len(s)+8), s, escapeURIByte))
		}
	}
	return s
}

// MapURIToPath computes $document_root and $request_filename for the
// current URI (ngx_http_map_uri_to_path). For alias it refuses paths
// that leave the alias directory, which nginx does not: the
// "location /static { alias /code/static/; }" traversal. Filename is ""
// for a refused path.
func (rq *Request) MapURIToPath() {
	r := rq.Loc.Core.Root
	if r == nil {
		rq.DocRoot, rq.Filename = "", ""
		return
	}
	root := rq.rootPath(r)
	rq.DocRoot = root
	if !r.Alias {
		rq.Filename = root + rq.URI
		return
	}
	rq.Filename = rq.aliasPath(root, rq.URI)
}

// aliasPath maps a URI under an alias as nginx does: the location's
// prefix is replaced by the alias, and in a regex location the alias is
// the whole path. A path that leaves the alias directory is refused
// (""), goproxy's guard against nginx's off-by-slash traversal.
func (rq *Request) aliasPath(root, uri string) string {
	r := rq.Loc.Core.Root
	switch {
	case rq.Location == nil:
		return root + uri
	case r.AliasRegex && rq.AddURIToAlias:
		return root + uri
	case r.AliasRegex:
		return root
	}
	path := root
	if len(uri) >= len(r.AliasPrefix) {
		path = root + uri[len(r.AliasPrefix):]
	}
	if !withinDir(path, root) {
		return ""
	}
	return path
}

// rootPath is root's or alias' path for this request: a path with
// variables is evaluated, and a relative one is under the prefix.
func (rq *Request) rootPath(r *confparse.DocRoot) string {
	root := rq.Eval(r.Path)
	if !r.Path.IsConst() && !strings.HasPrefix(root, "/") {
		root = rq.Cfg.Prefix + root
	}
	return root
}

// TryFilesPath is the file a try_files entry names, and the URI the
// request takes if it exists (ngx_http_try_files_handler): under root,
// root and the entry; under an alias, the alias and what follows the
// alias' prefix when the entry starts with the URI's prefix, else the
// alias and the whole entry (the URI is then the prefix and the entry,
// so that the static handler maps it back to the same file); in a regex
// location, the alias and the whole entry. "" is a path refused (see
// aliasPath).
func (rq *Request) TryFilesPath(name string) (path, uri string) {
	r := rq.Loc.Core.Root
	if r == nil || !r.Alias || rq.Location == nil {
		saved := rq.URI
		rq.URI = name
		rq.MapURIToPath()
		rq.URI = saved
		return rq.Filename, name
	}
	root := rq.rootPath(r)
	if r.AliasRegex {
		return root + name, name
	}
	n := len(r.AliasPrefix)
	if len(name) < n || len(rq.URI) < n || name[:n] != rq.URI[:n] {
		path := root + name
		if !withinDir(path, root) {
			return "", name
		}
		return path, r.AliasPrefix + name
	}
	return rq.aliasPath(root, name), name
}

// withinDir reports whether path, once cleaned, is dir itself or below it.
func withinDir(path, dir string) bool {
	d := filepath.Clean(dir)
	p := filepath.Clean(path)
	if p == d {
		return true
	}
	if d == "/" {
		return strings.HasPrefix(p, "/")
	}
	return strings.HasPrefix(p, d+"/")
}

// AppendJSONEscaped is ngx_escape_json, the one JSON escaper for the
// access log's escape=json and autoindex's JSON listing: quote,
// backslash and control bytes, the latter as \u00XX in upper-case hex
// as nginx prints them; other bytes (UTF-8 included) pass as they are.
func AppendJSONEscaped(b []byte, s string) []byte {
	const hexd = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
		default:
			b = append(b, c)
		}
	}
	return b
}

// AppendLogEscaped is log_format's escape= for a variable's value in an
// access log line (http's and stream's): "none" as it is, "json" as a
// JSON string's contents, "default" with \xHH for quotes, backslashes,
// control and non-ASCII bytes.
func AppendLogEscaped(b []byte, v, mode string) []byte {
	const hexd = "0123456789ABCDEF"
	switch mode {
	case "none":
		return append(b, v...)
	case "json":
		return AppendJSONEscaped(b, v)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '"' || c == '\\' || c < 0x20 || c > 0x7e {
			b = append(b, '\\', 'x', hexd[c>>4], hexd[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}
