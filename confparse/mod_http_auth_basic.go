package confparse

// mod_http_auth_basic.go: ngx_http_auth_basic_module, and "satisfy"
// (ngx_http_core_module), which decides how it combines with allow/deny
// and auth_request.

import (
	"path/filepath"
	"strings"
)

// AuthBasicLoc is ngx_http_auth_basic_module's configuration. The realm
// and the file are inherited separately, as in nginx; a realm that
// evaluates to "off" turns the check off.
type AuthBasicLoc struct {
	Realm    *Template `json:",omitempty"`
	UserFile *Template `json:",omitempty"`
}

func init() {
	ctx := httpMSL | CtxLimitExcept
	register("ngx_http_auth_basic_module",
		&Directive{Name: "auth_basic", Ctx: ctx, Args: Args1, set: slot(loc(func(l *Loc) **Template { return &l.AuthBasic.Realm }), tmplArg)},
		&Directive{Name: "auth_basic_user_file", Ctx: ctx, Args: Args1, set: slot(loc(func(l *Loc) **Template { return &l.AuthBasic.UserFile }), func(b *builder, s *Stmt) (Template, error) {
			t, err := tmplArg(b, s)
			if err != nil {
				return t, err
			}
			// nginx makes a relative path absolute against the
			// configuration directory, now when the value does not
			// start with a variable, else when it is evaluated.
			if !strings.HasPrefix(t.Raw, "$") && !filepath.IsAbs(t.Raw) {
				t.Raw = b.cfg.ConfPrefix + t.Raw
				t.Parts = append([]Part{{Lit: b.cfg.ConfPrefix}}, t.Parts...)
				if len(t.Parts) > 1 && t.Parts[1].Lit != "" {
					t.Parts = append([]Part{{Lit: t.Parts[0].Lit + t.Parts[1].Lit}}, t.Parts[2:]...)
				}
			}
			return t, nil
		}), Note: "htpasswd passwords: bcrypt ($2y$, $2a$, $2b$), $apr1$, {SHA}, {SSHA}, {PLAIN}, and crypt(3)'s DES, $1$, $5$, $6$; other crypt(3) schemes (yescrypt $y$, $7$, $md5, $sha1$, $3$, _) are refused as a mismatch, with an error logged"},
	)
	register("ngx_http_core_module",
		&Directive{Name: "satisfy", Ctx: httpMSL, Args: Args1, set: slot(loc(func(l *Loc) **string { return &l.Access.Satisfy }), enumArg("all", "any"))},
	)
}
