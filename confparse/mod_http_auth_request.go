package confparse

// mod_http_auth_request.go: ngx_http_auth_request_module — access
// decided by a subrequest.

// AuthRequestLoc is ngx_http_auth_request_module's configuration.
type AuthRequestLoc struct {
	// URI is the subrequest's URI; "" is "auth_request off".
	URI *string `json:",omitempty"`
	// Set are the auth_request_set variables, inherited as a whole.
	Set []*AuthRequestSet `json:",omitempty"`
}

// AuthRequestSet is one auth_request_set: Value is evaluated in the
// subrequest, once it is done, and stored in Var of the main request.
type AuthRequestSet struct {
	Var   string
	Value *Template
}

func init() {
	register("ngx_http_auth_request_module",
		&Directive{Name: "auth_request", Ctx: httpMSL, Args: Args1, set: slot(loc(func(l *Loc) **string { return &l.AuthReq.URI }), func(b *builder, s *Stmt) (string, error) {
			if s.Args[0] == "off" {
				return "", nil
			}
			return s.Args[0], nil
		})},
		&Directive{Name: "auth_request_set", Ctx: httpMSL, Args: Args2, set: setAuthRequestSet},
	)
}

func setAuthRequestSet(b *builder, f *frame, s *Stmt) error {
	name, err := varName(s, s.Args[0])
	if err != nil {
		return err
	}
	f.http.Vars[name] = true
	v, err := b.tmpl(s, s.Args[1])
	if err != nil {
		return err
	}
	a := &f.loc.AuthReq
	if a.Set == nil {
		a.Set = []*AuthRequestSet{}
	}
	a.Set = append(a.Set, &AuthRequestSet{Var: name, Value: v})
	return nil
}
