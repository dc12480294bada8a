package confparse

// mod_http_access.go: ngx_http_access_module — allow and deny.

import (
	"net"
	"strings"
)

// AccessLoc is ngx_http_access_module's configuration.
type AccessLoc struct {
	// Rules are checked in order; the first match decides.
	Rules []*AccessRule `json:",omitempty"`
	// Satisfy is "all" or "any" (ngx_http_core_module's satisfy): how
	// allow/deny, auth_basic and auth_request combine.
	Satisfy *string `json:",omitempty"`
}

// AccessRule is one allow or deny.
type AccessRule struct {
	Deny bool       `json:",omitempty"`
	All  bool       `json:",omitempty"`
	Unix bool       `json:",omitempty"` // "unix:": connections over a unix socket
	Net  *net.IPNet `json:",omitempty"`
}

func init() {
	ctx := httpMSL | CtxLimitExcept
	register("ngx_http_access_module",
		&Directive{Name: "allow", Ctx: ctx, Args: Args1, set: setAccess},
		&Directive{Name: "deny", Ctx: ctx, Args: Args1, set: setAccess},
	)
}

func setAccess(b *builder, f *frame, s *Stmt) error {
	r, err := parseAccessRule(b, s)
	if err != nil {
		return err
	}
	f.loc.Access.Rules = append(f.loc.Access.Rules, r)
	return nil
}

// parseAccessRule reads one allow or deny, in http or stream.
func parseAccessRule(b *builder, s *Stmt) (*AccessRule, error) {
	r := &AccessRule{Deny: s.Name == "deny"}
	v := s.Args[0]
	switch {
	case v == "all":
		r.All = true
	case v == "unix:":
		r.Unix = true
	default:
		if !strings.Contains(v, "/") {
			ip := net.ParseIP(v)
			if ip == nil {
				return nil, errf(s, "invalid parameter %q", v)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			r.Net = &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}
			break
		}
		ip, n, err := net.ParseCIDR(v)
		if err != nil {
			return nil, errf(s, "invalid parameter %q", v)
		}
		if !ip.Equal(n.IP) {
			b.warn(s, "low address bits of %s are meaningless", v)
		}
		r.Net = n
	}
	return r, nil
}
