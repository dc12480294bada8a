package confparse

// slots.go holds the generic setters most directives use, like nginx's
// ngx_conf_set_*_slot family: one value per level, "is duplicate" when
// written twice at the same level, nginx's error for a bad value.

import (
	"slices"
	"time"
)

// slot stores one parsed value into the field get picks out of the frame.
func slot[T any](get func(*frame) **T, parse func(*builder, *Stmt) (T, error)) setFunc {
	return func(b *builder, f *frame, s *Stmt) error {
		p := get(f)
		if *p != nil {
			return dupErr(s)
		}
		v, err := parse(b, s)
		if err != nil {
			return err
		}
		*p = &v
		return nil
	}
}

// loc picks a field of the frame's location-level settings.
func loc[T any](get func(*Loc) **T) func(*frame) **T {
	return func(f *frame) **T { return get(f.loc) }
}

// srv picks a field of the frame's server-level settings.
func srv[T any](get func(*SrvConf) **T) func(*frame) **T {
	return func(f *frame) **T { return get(f.srvConf) }
}

func flagArg(b *builder, s *Stmt) (bool, error) { return parseFlag(s, s.Args[0]) }

func sizeArg(b *builder, s *Stmt) (int64, error) {
	n, ok := ParseSize(s.Args[0])
	if !ok {
		return 0, invalidValue(s)
	}
	return n, nil
}

// sizeTmplArg is a size that may hold variables
// (ngx_http_set_complex_value_size_slot): without variables it must be a
// size now.
func sizeTmplArg(b *builder, s *Stmt) (Template, error) {
	t, err := tmplArg(b, s)
	if err != nil {
		return t, err
	}
	if t.IsConst() {
		if _, ok := ParseSize(s.Args[0]); !ok {
			return t, invalidValue(s)
		}
	}
	return t, nil
}

// msecArg is a time nginx keeps in milliseconds (ngx_conf_set_msec_slot).
func msecArg(b *builder, s *Stmt) (time.Duration, error) {
	d, ok := ParseTime(s.Args[0], true)
	if !ok {
		return 0, invalidValue(s)
	}
	return d, nil
}

// secArg is a time nginx keeps in seconds (ngx_conf_set_sec_slot).
func secArg(b *builder, s *Stmt) (time.Duration, error) {
	d, ok := ParseTime(s.Args[0], false)
	if !ok {
		return 0, invalidValue(s)
	}
	return d, nil
}

func numArg(b *builder, s *Stmt) (int, error) {
	n, ok := parseDecimal(s.Args[0])
	if !ok {
		return 0, errf(s, "%q directive invalid number", s.Name)
	}
	return int(n), nil
}

func strArg(b *builder, s *Stmt) (string, error) { return s.Args[0], nil }

func tmplArg(b *builder, s *Stmt) (Template, error) {
	t, err := b.tmpl(s, s.Args[0])
	if err != nil {
		return Template{}, err
	}
	return *t, nil
}

// enumArg accepts one of values, case-insensitively, as
// ngx_conf_set_enum_slot does.
func enumArg(values ...string) func(*builder, *Stmt) (string, error) {
	return func(b *builder, s *Stmt) (string, error) {
		v := lower(s.Args[0])
		for _, x := range values {
			if v == x {
				return x, nil
			}
		}
		return "", errf(s, "invalid value %q", s.Args[0])
	}
}

// typesSlot is nginx's ngx_http_types_slot (gzip_types, charset_types,
// addition_types, ...): MIME types added lower-cased, "*" for any. The
// module always takes text/html, so naming it, or a type twice, is
// warned about and skipped.
func typesSlot(get func(*Loc) *[]string) setFunc {
	return func(b *builder, f *frame, s *Stmt) error {
		types := get(f.loc)
		if *types == nil {
			*types = []string{}
		}
		for _, t := range s.Args {
			if t != "*" && (lower(t) == "text/html" || slices.Contains(*types, lower(t))) {
				b.warn(s, "duplicate MIME type %q", t)
				continue
			}
			*types = append(*types, lower(t))
		}
		return nil
	}
}
