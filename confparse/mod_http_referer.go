package confparse

// mod_http_referer.go: ngx_http_referer_module — valid_referers, which
// $invalid_referer evaluates, and the sizes of the hash nginx keeps the
// names in.

import "strings"

// RefererLoc is the module's configuration (server and location level).
type RefererLoc struct {
	// Valid is every valid_referers of the level, nil when none is
	// written (the level inherits its parent's, as nginx does when a
	// level has no keys of its own).
	Valid *ValidReferers `json:",omitempty"`
	// The hash sizes are validated as nginx's and have no effect:
	// goproxy keeps no hash.
	HashMaxSize    *int `json:",omitempty"`
	HashBucketSize *int `json:",omitempty"`
}

// ValidReferers is one level's valid_referers, all its lines together.
type ValidReferers struct {
	None        bool `json:",omitempty"` // no Referer header is valid
	Blocked     bool `json:",omitempty"` // a Referer without http:// or https:// is valid
	ServerNames bool `json:",omitempty"` // the names of Server are valid
	// Names are the host names, lower-cased, each with the URI prefix
	// it was written with.
	Names []*RefererName `json:",omitempty"`
	// Regexes match the Referer without its scheme, caseless.
	Regexes []*Regexp `json:",omitempty"`
	// Server is the server block the directive is written in: nginx
	// takes its names once the block is read, so a server_name written
	// after valid_referers counts.
	Server *Server `json:"-"`
}

// RefererName is a host name of valid_referers: an exact name, "*.x"
// (Kind NameWildcardPrefix, Name "x"; ".x" also sets Dot), or "x.*"
// (NameWildcardSuffix, Name "x"). URI, when set, must prefix the
// Referer's path; HasURI tells "/" from none.
type RefererName struct {
	Name   string
	Kind   NameKind
	Dot    bool   `json:",omitempty"`
	URI    string `json:",omitempty"`
	HasURI bool   `json:",omitempty"`
}

func refererLoc(get func(*RefererLoc) **int) func(*frame) **int {
	return loc(func(l *Loc) **int { return get(&l.Referer) })
}

func init() {
	register("ngx_http_referer_module",
		&Directive{Name: "valid_referers", Ctx: httpSL, Args: Args1More, set: setValidReferers},
		&Directive{Name: "referer_hash_max_size", Ctx: httpSL, Args: Args1,
			set:    slot(refererLoc(func(r *RefererLoc) **int { return &r.HashMaxSize }), numArg),
			Status: NoOp, Note: "goproxy matches referers without nginx's hash"},
		&Directive{Name: "referer_hash_bucket_size", Ctx: httpSL, Args: Args1,
			set:    slot(refererLoc(func(r *RefererLoc) **int { return &r.HashBucketSize }), numArg),
			Status: NoOp, Note: "goproxy matches referers without nginx's hash"},
	)
}

// setValidReferers adds a line's values to the level's list, as nginx
// adds every valid_referers of a level to the same hash.
func setValidReferers(b *builder, f *frame, s *Stmt) error {
	v := f.loc.Referer.Valid
	if v == nil {
		v = &ValidReferers{Server: f.server}
		f.loc.Referer.Valid = v
	}
	for _, a := range s.Args {
		switch {
		case a == "":
			return errf(s, "invalid referer %q", a)
		case a == "none":
			v.None = true
		case a == "blocked":
			v.Blocked = true
		case a == "server_names":
			v.ServerNames = true
		case a[0] == '~':
			r, err := b.regex(s, a[1:], true)
			if err != nil {
				return err
			}
			v.Regexes = append(v.Regexes, r)
		default:
			n := &RefererName{}
			host := a
			if i := strings.IndexByte(a, '/'); i >= 0 {
				host, n.URI, n.HasURI = a[:i], a[i:], true
			}
			if !n.parseHost(host) {
				return errf(s, "invalid hostname or wildcard %q", host)
			}
			v.Names = append(v.Names, n)
		}
	}
	return nil
}

// parseHost reads a host name the way nginx's wildcard hash keys are
// read: "*.x" and ".x" match below x, "x.*" any ending; a "*" anywhere
// else is refused.
func (n *RefererName) parseHost(h string) bool {
	h = lower(h)
	switch {
	case strings.HasPrefix(h, "*."):
		n.Kind, n.Name = NameWildcardPrefix, h[2:]
	case strings.HasPrefix(h, "."):
		n.Kind, n.Name, n.Dot = NameWildcardPrefix, h[1:], true
	case strings.HasSuffix(h, ".*"):
		n.Kind, n.Name = NameWildcardSuffix, h[:len(h)-2]
	default:
		n.Kind, n.Name = NameExact, h
	}
	return n.Name != "" && !strings.Contains(n.Name, "*")
}

// checkReferers refuses, as nginx does once a level is merged, "none"
// or "blocked" with nothing else that could make a Referer valid.
func (b *builder) checkReferers() error {
	var err error
	b.cfg.EachLoc(func(l *Loc) {
		v := l.Referer.Valid
		if err == nil && v != nil && (v.None || v.Blocked) && !v.ServerNames && len(v.Names) == 0 && len(v.Regexes) == 0 {
			err = &Diag{Level: LevelEmerg, Msg: `the "none" or "blocked" referers are specified in the "valid_referers" directive without any valid referer`}
		}
	})
	return err
}
