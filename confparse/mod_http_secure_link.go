package confparse

// mod_http_secure_link.go: ngx_http_secure_link_module — secure_link and
// secure_link_md5 (a base64url MD5 and an expiry the request carries,
// checked against an expression), or secure_link_secret (an MD5 in the
// URI itself), which $secure_link and $secure_link_expires evaluate.

// SecureLinkLoc is the module's configuration.
type SecureLinkLoc struct {
	Link   *Template     `json:",omitempty"` // secure_link: "hash[,expires]"
	MD5    *Template     `json:",omitempty"` // secure_link_md5: what hashes to it
	Secret *SecureSecret `json:",omitempty"`
}

// SecureSecret is secure_link_secret's word. Hidden marks a level whose
// secure_link or secure_link_md5 keeps an outer secret from applying:
// nginx inherits the secret only into a level that has neither.
type SecureSecret struct {
	Word   string `json:",omitempty"`
	Hidden bool   `json:",omitempty"`
}

func secureLinkLoc[T any](get func(*SecureLinkLoc) **T) func(*frame) **T {
	return loc(func(l *Loc) **T { return get(&l.SecureLink) })
}

func init() {
	register("ngx_http_secure_link_module",
		&Directive{Name: "secure_link", Ctx: httpMSL, Args: Args1,
			set: slot(secureLinkLoc(func(s *SecureLinkLoc) **Template { return &s.Link }), tmplArg)},
		&Directive{Name: "secure_link_md5", Ctx: httpMSL, Args: Args1,
			set: slot(secureLinkLoc(func(s *SecureLinkLoc) **Template { return &s.MD5 }), tmplArg)},
		&Directive{Name: "secure_link_secret", Ctx: httpMSL, Args: Args1,
			set: slot(secureLinkLoc(func(s *SecureLinkLoc) **SecureSecret { return &s.Secret }),
				func(b *builder, s *Stmt) (SecureSecret, error) { return SecureSecret{Word: s.Args[0]}, nil })},
	)
}

// checkSecureLinks makes each level's own settings say what nginx's
// merge makes of them, once the http block (end, for the line nginx
// reports) is read: a server or location may not have both forms; a
// level with a secret has no secure_link or secure_link_md5 (empty
// templates, which never verify, hide outer ones); a level with either
// of those hides an outer secret. At the http level, which nginx never
// merges into, secure_link or secure_link_md5 win over the secret.
func (b *builder) checkSecureLinks(end *Stmt) error {
	h := b.cfg.HTTP
	var err error
	b.cfg.EachLoc(func(l *Loc) {
		s := &l.SecureLink
		own := s.Link != nil || s.MD5 != nil
		switch {
		case err != nil:
		case s.Secret != nil && own && l != h.Loc:
			at := *end
			at.Line = end.EndLine
			err = errf(&at, `"secure_link_secret" cannot be mixed with "secure_link" and "secure_link_md5"`)
		case own:
			s.Secret = &SecureSecret{Hidden: true}
		case s.Secret != nil:
			s.Link, s.MD5 = &Template{}, &Template{}
		}
	})
	return err
}
