package confparse

// mod_http_charset.go: ngx_http_charset_module — the "; charset=" of a
// response's Content-Type and recoding between charsets through the
// tables charset_map gives.

import (
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// CharsetLoc is the module's location-level configuration.
type CharsetLoc struct {
	// Charset is the charset responses are sent in; the literal "off"
	// (the default) adds nothing.
	Charset *Template `json:",omitempty"`
	// Source is the charset responses are written in (source_charset).
	Source   *Template `json:",omitempty"`
	Override *bool     `json:",omitempty"`
	Types    []string  `json:",omitempty"` // besides text/html; "*" means any type
}

// CharsetMap is a charset_map block: how bytes of From become To. When
// To is utf-8 a byte maps to a UTF-8 sequence, otherwise to a byte; the
// same table recodes the other way.
type CharsetMap struct {
	From, To string // lower-cased
	UTF8     bool
	// Forward recodes a From byte: itself below 0x80 and "?" above
	// unless the table says otherwise, as nginx fills its tables.
	Forward [256][]byte `json:"-"`
	// Back recodes a To byte of a single-byte table, filled the same
	// way; BackUTF8 a To character of a UTF-8 table to its From byte.
	Back     [256]byte       `json:"-"`
	BackUTF8 map[string]byte `json:"-"`
}

// IsOff says whether a charset setting means "none".
func (t *Template) IsOff() bool { return t == nil || t.IsConst() && t.Raw == "off" }

// defaultCharsetTypes is charset_types' default, besides text/html,
// which the module always takes.
var defaultCharsetTypes = []string{"text/xml", "text/plain", "text/vnd.wap.wml",
	"application/javascript", "application/rss+xml"}

func charsetLoc[T any](get func(*CharsetLoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.Charset) })
}

func init() {
	register("ngx_http_charset_module",
		&Directive{Name: "charset", Ctx: httpMSL | CtxIfLocation, Args: Args1, set: charsetName(func(c *CharsetLoc) **Template { return &c.Charset })},
		&Directive{Name: "source_charset", Ctx: httpMSL | CtxIfLocation, Args: Args1, set: charsetName(func(c *CharsetLoc) **Template { return &c.Source })},
		&Directive{Name: "override_charset", Ctx: httpMSL | CtxIfLocation, Args: ArgsFlag, set: slot(charsetLoc(func(c *CharsetLoc) **bool { return &c.Override }), flagArg)},
		&Directive{Name: "charset_types", Ctx: httpMSL, Args: Args1More, set: typesSlot(func(l *Loc) *[]string { return &l.Charset.Types })},
		&Directive{Name: "charset_map", Ctx: CtxHTTP, Args: Args2, Block: true, set: setCharsetMap},
	)
}

// charsetName sets charset or source_charset and, for a name without
// variables, records it: nginx knows a charset by the spelling it first
// read (case aside) and sends that spelling.
func charsetName(get func(*CharsetLoc) **Template) setFunc {
	set := slot(charsetLoc(get), tmplArg)
	return func(b *builder, f *frame, s *Stmt) error {
		if err := set(b, f, s); err != nil {
			return err
		}
		if t := *get(&f.loc.Charset); t.IsConst() && !t.IsOff() {
			f.http.addCharsetName(t.Raw)
		}
		return nil
	}
}

func (h *HTTPConf) addCharsetName(name string) {
	for _, n := range h.CharsetNames {
		if strings.EqualFold(n, name) {
			return
		}
	}
	h.CharsetNames = append(h.CharsetNames, name)
}

func setCharsetMap(b *builder, f *frame, s *Stmt) error {
	m := &CharsetMap{From: lower(s.Args[0]), To: lower(s.Args[1])}
	for _, o := range f.http.CharsetMaps {
		if o.From == m.From && o.To == m.To || o.From == m.To && o.To == m.From {
			return errf(s, "duplicate \"charset_map\" between %q and %q", s.Args[0], s.Args[1])
		}
	}
	m.UTF8 = m.To == "utf-8"
	m.clear()
	f.http.addCharsetName(s.Args[0])
	f.http.addCharsetName(s.Args[1])
	for _, t := range s.Block {
		if t.err != nil {
			return t.err
		}
		if t.IsBlock || len(t.Args) != 1 {
			return errf(t, "invalid parameters number")
		}
		from, ok := hexByte(t.Name)
		if !ok {
			return errf(t, "invalid value %q", t.Name)
		}
		to, err := hex.DecodeString(t.Args[0])
		if err != nil || len(to) == 0 || !m.UTF8 && len(to) != 1 || m.UTF8 && !utf8.FullRune(to) {
			return errf(t, "invalid value %q", t.Args[0])
		}
		m.set(from, to) // a later line wins, as in nginx
	}
	f.http.CharsetMaps = append(f.http.CharsetMaps, m)
	return nil
}

// clear fills the tables as nginx does before reading the lines: a
// byte below 0x80 is itself, any other "?".
func (m *CharsetMap) clear() {
	for i := range m.Forward {
		c := byte(i)
		if c >= 0x80 {
			c = '?'
		}
		m.Forward[i] = []byte{c}
		m.Back[i] = c
	}
	m.BackUTF8 = map[string]byte{}
}

func (m *CharsetMap) set(from byte, to []byte) {
	m.Forward[from] = to
	if m.UTF8 {
		m.BackUTF8[string(to)] = from
	} else {
		m.Back[to[0]] = from
	}
}

// hexByte is a table's source: two hex digits.
func hexByte(s string) (byte, bool) {
	if len(s) != 2 {
		return 0, false
	}
	v, err := hex.DecodeString(s)
	return v[0], err == nil
}

// checkCharsets refuses, as nginx does, a location whose charset and
// source_charset (both without variables) differ with no charset_map
// between them.
func (b *builder) checkCharsets() error {
	h := b.cfg.HTTP
	var err error
	b.cfg.EachLoc(func(l *Loc) {
		c := &l.Charset
		if err != nil || c.Charset.IsOff() || c.Source == nil || !c.Charset.IsConst() || !c.Source.IsConst() {
			return
		}
		if strings.EqualFold(c.Charset.Raw, c.Source.Raw) {
			return
		}
		if !h.hasCharsetMap(c.Source.Raw, c.Charset.Raw) {
			err = &Diag{Level: LevelEmerg, Msg: nginxf("no \"charset_map\" between the charsets %q and %q", c.Source.Raw, c.Charset.Raw)}
		}
	})
	return err
}

func (h *HTTPConf) hasCharsetMap(a, b string) bool {
	a, b = lower(a), lower(b)
	for _, m := range h.CharsetMaps {
		if m.From == a && m.To == b || m.From == b && m.To == a {
			return true
		}
	}
	return false
}
