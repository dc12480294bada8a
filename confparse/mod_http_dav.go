package confparse

// mod_http_dav.go: ngx_http_dav_module — PUT, DELETE, MKCOL, COPY and
// MOVE on the files a location maps to.

import "strings"

// DavLoc is the module's configuration.
type DavLoc struct {
	// Methods are the enabled methods; empty (dav_methods off, the
	// default) leaves every request to the other handlers.
	Methods []string `json:",omitempty"`
	// Access is the permission bits of files PUT and COPY create
	// (dav_access; directories get x where they get r).
	Access            *uint32 `json:",omitempty"`
	CreateFullPutPath *bool   `json:",omitempty"`
	MinDeleteDepth    *int    `json:",omitempty"`
}

func davLoc[T any](get func(*DavLoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.Dav) })
}

func init() {
	register("ngx_http_dav_module",
		&Directive{Name: "dav_methods", Ctx: httpMSL, Args: Args1More, set: setDavMethods},
		&Directive{Name: "dav_access", Ctx: httpMSL, Args: Args123, set: slot(davLoc(func(d *DavLoc) **uint32 { return &d.Access }), accessArg)},
		&Directive{Name: "create_full_put_path", Ctx: httpMSL, Args: ArgsFlag, set: slot(davLoc(func(d *DavLoc) **bool { return &d.CreateFullPutPath }), flagArg)},
		&Directive{Name: "min_delete_depth", Ctx: httpMSL, Args: Args1, set: slot(davLoc(func(d *DavLoc) **int { return &d.MinDeleteDepth }), numArg)},
	)
}

// setDavMethods is nginx's bitmask slot: "off" or method names, each
// known, the directive once per level.
func setDavMethods(b *builder, f *frame, s *Stmt) error {
	d := &f.loc.Dav
	if d.Methods != nil {
		return dupErr(s)
	}
	d.Methods = []string{}
	for _, a := range s.Args {
		switch m := strings.ToUpper(a); m {
		case "OFF":
		case "PUT", "DELETE", "MKCOL", "COPY", "MOVE":
			d.Methods = append(d.Methods, m)
		default:
			return errf(s, "invalid value %q", a)
		}
	}
	return nil
}

// accessArg is nginx's access slot: "user:rw group:r all:r", each r or
// rw; the user has rw unless "user:" says otherwise.
func accessArg(b *builder, s *Stmt) (uint32, error) {
	mode, user := uint32(0), uint32(0o600)
	for _, a := range s.Args {
		var shift uint
		var p string
		switch {
		case strings.HasPrefix(a, "user:"):
			shift, p, user = 6, a[5:], 0
		case strings.HasPrefix(a, "group:"):
			shift, p = 3, a[6:]
		case strings.HasPrefix(a, "all:"):
			shift, p = 0, a[4:]
		default:
			return 0, errf(s, "invalid value %q", a)
		}
		switch p {
		case "r":
			mode |= 4 << shift
		case "rw":
			mode |= 6 << shift
		default:
			return 0, errf(s, "invalid value %q", a)
		}
	}
	return mode | user, nil
}
