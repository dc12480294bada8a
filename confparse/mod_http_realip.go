package confparse

// mod_http_realip.go: ngx_http_realip_module — the client address taken
// from a header (or the PROXY protocol) sent by a trusted proxy.

import (
	"net"
	"strings"
)

// RealIPLoc is ngx_http_realip_module's configuration.
type RealIPLoc struct {
	// From are the trusted addresses (set_real_ip_from), inherited as a
	// whole.
	From []*RealIPFrom `json:",omitempty"`
	// Header is real_ip_header: "X-Real-IP", "X-Forwarded-For",
	// "proxy_protocol" or another header's name.
	Header    *string `json:",omitempty"`
	Recursive *bool   `json:",omitempty"`
}

// RealIPFrom is a trusted network, or "unix:" for unix sockets.
type RealIPFrom struct {
	Net  *net.IPNet `json:",omitempty"`
	Unix bool       `json:",omitempty"`
}

func init() {
	register("ngx_http_realip_module",
		&Directive{Name: "set_real_ip_from", Ctx: httpMSL, Args: Args1, set: setRealIPFrom},
		&Directive{Name: "real_ip_header", Ctx: httpMSL, Args: Args1, set: slot(loc(func(l *Loc) **string { return &l.RealIP.Header }), strArg)},
		&Directive{Name: "real_ip_recursive", Ctx: httpMSL, Args: ArgsFlag, set: slot(loc(func(l *Loc) **bool { return &l.RealIP.Recursive }), flagArg)},
	)
}

func setRealIPFrom(b *builder, f *frame, s *Stmt) error {
	r := &f.loc.RealIP
	v := s.Args[0]
	if v == "unix:" {
		r.From = append(r.From, &RealIPFrom{Unix: true})
		return nil
	}
	if n, low, ok := ParseCIDR(v); ok {
		if low {
			b.warn(s, "low address bits of %s are meaningless", v)
		}
		r.From = append(r.From, &RealIPFrom{Net: n})
		return nil
	}
	// A host name stands for all its addresses, resolved now.
	host := v
	if strings.ContainsAny(host, "/") {
		return errf(s, "host not found in set_real_ip_from %q", v)
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return errf(s, "host not found in set_real_ip_from %q", v)
	}
	for _, ip := range ips {
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		r.From = append(r.From, &RealIPFrom{Net: &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}})
	}
	return nil
}
