package confparse

// mod_http_gzip.go: ngx_http_gzip_module and ngx_http_gzip_static_module.

// GzipLoc is the gzip modules' configuration.
type GzipLoc struct {
	On          *bool     `json:",omitempty"`
	Types       []string  `json:",omitempty"` // "*" means any type
	MinLength   *int64    `json:",omitempty"`
	CompLevel   *int      `json:",omitempty"`
	Vary        *bool     `json:",omitempty"`
	Proxied     []string  `json:",omitempty"`
	Disable     []*Regexp `json:",omitempty"`
	DisableMSIE bool      `json:",omitempty"`
	HTTPVersion *string   `json:",omitempty"`
	Static      *string   `json:",omitempty"` // on, off, always
	Gunzip      *bool     `json:",omitempty"` // ngx_http_gunzip_module
}

func gzipLoc[T any](get func(*GzipLoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.Gzip) })
}

const noopGzip = "zlib memory tuning; goproxy's compressor sizes its own buffers"

func init() {
	register("ngx_http_gzip_module",
		&Directive{Name: "gzip", Ctx: httpMSL | CtxIfLocation, Args: ArgsFlag, set: slot(gzipLoc(func(g *GzipLoc) **bool { return &g.On }), flagArg)},
		&Directive{Name: "gzip_types", Ctx: httpMSL, Args: Args1More, set: typesSlot(func(l *Loc) *[]string { return &l.Gzip.Types })},
		&Directive{Name: "gzip_min_length", Ctx: httpMSL, Args: Args1, set: slot(gzipLoc(func(g *GzipLoc) **int64 { return &g.MinLength }), sizeArg)},
		&Directive{Name: "gzip_comp_level", Ctx: httpMSL, Args: Args1, set: slot(gzipLoc(func(g *GzipLoc) **int { return &g.CompLevel }), func(b *builder, s *Stmt) (int, error) {
			n, err := numArg(b, s)
			if err != nil {
				return 0, err
			}
			if n < 1 || n > 9 {
				return 0, errf(s, "value must be between 1 and 9")
			}
			return n, nil
		})},
		&Directive{Name: "gzip_vary", Ctx: httpMSL, Args: ArgsFlag, set: slot(gzipLoc(func(g *GzipLoc) **bool { return &g.Vary }), flagArg)},
		&Directive{Name: "gzip_proxied", Ctx: httpMSL, Args: Args1More, set: func(b *builder, f *frame, s *Stmt) error {
			if f.loc.Gzip.Proxied != nil {
				return dupErr(s)
			}
			for _, a := range s.Args {
				switch a {
				case "off", "expired", "no-cache", "no-store", "private", "no_last_modified", "no_etag", "auth", "any":
				default:
					return errf(s, "invalid value %q", a)
				}
			}
			f.loc.Gzip.Proxied = append([]string{}, s.Args...)
			return nil
		}},
		&Directive{Name: "gzip_disable", Ctx: httpMSL, Args: Args1More, set: func(b *builder, f *frame, s *Stmt) error {
			for _, a := range s.Args {
				if a == "msie6" {
					f.loc.Gzip.DisableMSIE = true
					continue
				}
				r, err := b.regex(s, a, true)
				if err != nil {
					return err
				}
				f.loc.Gzip.Disable = append(f.loc.Gzip.Disable, r)
			}
			return nil
		}},
		&Directive{Name: "gzip_http_version", Ctx: httpMSL, Args: Args1, set: slot(gzipLoc(func(g *GzipLoc) **string { return &g.HTTPVersion }), enumArg("1.0", "1.1"))},
		&Directive{Name: "gzip_buffers", Ctx: httpMSL, Args: Args2, Status: NoOp, Note: noopGzip, set: func(b *builder, f *frame, s *Stmt) error {
			_, err := bufsArg(b, s)
			return err
		}},
		&Directive{Name: "gzip_window", Ctx: httpMSL, Args: Args1, Status: NoOp, Note: noopGzip, set: validatePow2("512, 1k, 2k, 4k, 8k, 16k, or 32k", 32<<10)},
		&Directive{Name: "gzip_hash", Ctx: httpMSL, Args: Args1, Status: NoOp, Note: noopGzip, set: validatePow2("512, 1k, 2k, 4k, 8k, 16k, 32k, 64k, or 128k", 128<<10)},
		&Directive{Name: "gzip_no_buffer", Ctx: httpMSL, Args: ArgsFlag, Status: NoOp, Note: noopGzip, set: validateFlag},
		&Directive{Name: "postpone_gzipping", Ctx: httpMSL, Args: Args1, Status: NoOp, Note: noopGzip, set: validateSize},
	)
	register("ngx_http_gzip_static_module",
		&Directive{Name: "gzip_static", Ctx: httpMSL, Args: Args1, set: slot(gzipLoc(func(g *GzipLoc) **string { return &g.Static }), enumArg("off", "on", "always"))},
	)
	register("ngx_http_gunzip_module",
		&Directive{Name: "gunzip", Ctx: httpMSL, Args: ArgsFlag, set: slot(gzipLoc(func(g *GzipLoc) **bool { return &g.Gunzip }), flagArg)},
		&Directive{Name: "gunzip_buffers", Ctx: httpMSL, Args: Args2, Status: NoOp, Note: noopGzip, set: func(b *builder, f *frame, s *Stmt) error {
			_, err := bufsArg(b, s)
			return err
		}},
	)
}

// setGzipTypes adds to the level's list, as nginx does: several lines
// add up, and text/html, always compressed, is already there.
// validatePow2 checks a zlib size: a power of two from 512 to max.
func validatePow2(allowed string, max int64) setFunc {
	return func(b *builder, f *frame, s *Stmt) error {
		n, err := sizeArg(b, s)
		if err != nil {
			return err
		}
		if n < 512 || n > max || n&(n-1) != 0 {
			return errf(s, "%q directive must be %s", s.Name, allowed)
		}
		return nil
	}
}
