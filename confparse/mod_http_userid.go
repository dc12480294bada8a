package confparse

// mod_http_userid.go: ngx_http_userid_module — a cookie that identifies
// the client ($uid_got, $uid_set), set by a header filter.

import (
	"slices"
	"time"
)

// UseridLoc is the module's configuration; nil fields take nginx's
// defaults at run time (off, "uid", no domain, "/" path, no expiry, no
// mark, no P3P, no flags).
type UseridLoc struct {
	Mode    *string `json:",omitempty"` // "off", "log", "v1" or "on"
	Service *int    `json:",omitempty"` // userid_service; nil: the server's address (on) or 0 (v1)
	Name    *string `json:",omitempty"`
	// Domain and Path are the cookie's attributes as written after its
	// value ("; domain=x", "; path=/x"); Domain is "" for "none".
	Domain *string `json:",omitempty"`
	Path   *string `json:",omitempty"`
	P3P    *string `json:",omitempty"` // "" for "none"
	// Expires is userid_expires: 0 for off, MaxUseridExpires for max.
	Expires *time.Duration `json:",omitempty"`
	// Mark is userid_mark's character, "" for off.
	Mark *string `json:",omitempty"`
	// Flags are userid_flags' values, lower-cased, every line of the
	// level together.
	Flags []string `json:",omitempty"`
}

// MaxUseridExpires stands for "userid_expires max", which nginx writes
// as a fixed date at the end of 2037.
const MaxUseridExpires = time.Duration(-1)

var useridFlags = []string{"off", "secure", "httponly", "samesite=strict", "samesite=lax", "samesite=none"}

func useridLoc[T any](get func(*UseridLoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.Userid) })
}

func init() {
	none := func(b *builder, s *Stmt) (string, error) {
		if s.Args[0] == "none" {
			return "", nil
		}
		return s.Args[0], nil
	}
	attr := func(prefix string) func(*builder, *Stmt) (string, error) {
		return func(b *builder, s *Stmt) (string, error) {
			if prefix == "; domain=" && s.Args[0] == "none" {
				return "", nil
			}
			return prefix + s.Args[0], nil
		}
	}
	register("ngx_http_userid_module",
		&Directive{Name: "userid", Ctx: httpMSL, Args: Args1,
			set: slot(useridLoc(func(u *UseridLoc) **string { return &u.Mode }), enumArg("off", "log", "v1", "on"))},
		&Directive{Name: "userid_service", Ctx: httpMSL, Args: Args1,
			set: slot(useridLoc(func(u *UseridLoc) **int { return &u.Service }), numArg)},
		&Directive{Name: "userid_name", Ctx: httpMSL, Args: Args1,
			set: slot(useridLoc(func(u *UseridLoc) **string { return &u.Name }), strArg)},
		&Directive{Name: "userid_domain", Ctx: httpMSL, Args: Args1,
			set: slot(useridLoc(func(u *UseridLoc) **string { return &u.Domain }), attr("; domain="))},
		&Directive{Name: "userid_path", Ctx: httpMSL, Args: Args1,
			set: slot(useridLoc(func(u *UseridLoc) **string { return &u.Path }), attr("; path="))},
		&Directive{Name: "userid_p3p", Ctx: httpMSL, Args: Args1,
			set: slot(useridLoc(func(u *UseridLoc) **string { return &u.P3P }), none)},
		&Directive{Name: "userid_expires", Ctx: httpMSL, Args: Args1,
			set: slot(useridLoc(func(u *UseridLoc) **time.Duration { return &u.Expires }), useridExpires)},
		&Directive{Name: "userid_mark", Ctx: httpMSL, Args: Args1,
			set: slot(useridLoc(func(u *UseridLoc) **string { return &u.Mark }), useridMark)},
		&Directive{Name: "userid_flags", Ctx: httpMSL, Args: Args123, set: setUseridFlags},
	)
}

func useridExpires(b *builder, s *Stmt) (time.Duration, error) {
	switch s.Args[0] {
	case "max":
		return MaxUseridExpires, nil
	case "off":
		return 0, nil
	}
	return secArg(b, s)
}

// useridMark is one letter, digit or "=", which replaces the first
// padding character of the cookie's base64 ("off": none).
func useridMark(b *builder, s *Stmt) (string, error) {
	v := s.Args[0]
	if v == "off" {
		return "", nil
	}
	if len(v) != 1 || !(isAlnum(v[0]) || v[0] == '=') {
		return "", errf(s, `%q directive value must be "off" or a single letter, digit or "="`, s.Name)
	}
	return v, nil
}

// setUseridFlags is nginx's bitmask slot: each line adds to the level's
// set, a value given twice is warned about.
func setUseridFlags(b *builder, f *frame, s *Stmt) error {
	u := &f.loc.Userid
	if u.Flags == nil {
		u.Flags = []string{}
	}
	for _, a := range s.Args {
		v := lower(a)
		if !slices.Contains(useridFlags, v) {
			return errf(s, "invalid value %q", a)
		}
		if slices.Contains(u.Flags, v) {
			b.warn(s, "duplicate value %q", a)
			continue
		}
		u.Flags = append(u.Flags, v)
	}
	return nil
}
