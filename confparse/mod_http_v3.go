package confparse

// mod_http_v3.go: ngx_http_v3_module and nginx's QUIC settings (nginx
// 1.25 and later; the reference nginx 1.22 knows none of them). HTTP/3 is
// served on "listen ... quic" addresses by quic-go. What quic-go lets a
// server choose is honoured; the rest is accepted so that configurations
// written for today's nginx load, and the docs say so.

import (
	"errors"
	"os"
)

// HTTP3Srv is ngx_http_v3_module's server-level configuration.
type HTTP3Srv struct {
	// On is "http3": HTTP/3 offered by ALPN ("h3") on quic addresses.
	On *bool `json:",omitempty"`
	// HQ is "http3_hq" (HTTP/0.9 over QUIC, for interop testing).
	HQ *bool `json:",omitempty"`
	// MaxConcurrentStreams is http3_max_concurrent_streams.
	MaxConcurrentStreams *int `json:",omitempty"`
	// StreamBufferSize is http3_stream_buffer_size.
	StreamBufferSize *int64 `json:",omitempty"`
	// Retry is quic_retry: address validation by a Retry packet.
	Retry *bool `json:",omitempty"`
	// GSO is quic_gso.
	GSO *bool `json:",omitempty"`
	// HostKey is quic_host_key: the file whose bytes key stateless
	// resets and address-validation tokens (its full name; read when
	// the configuration is, as nginx does, and again by the runtime).
	HostKey *string `json:",omitempty"`
	// ActiveConnectionIDLimit is quic_active_connection_id_limit.
	ActiveConnectionIDLimit *int `json:",omitempty"`
}

func http3Srv[T any](get func(*HTTP3Srv) **T) func(*frame) **T {
	return srv(func(s *SrvConf) **T { return get(&s.HTTP3) })
}

// setQUICHostKey reads the key file at once, with nginx's errors.
func setQUICHostKey(b *builder, f *frame, s *Stmt) error {
	h := &f.srvConf.HTTP3
	if h.HostKey != nil {
		return dupErr(s)
	}
	name := b.confPath(s.Args[0])
	if _, err := ReadQUICHostKey(name); err != nil {
		return errf(s, "%s", err.Error())
	}
	h.HostKey = &name
	return nil
}

// ReadQUICHostKey reads a quic_host_key file, with nginx's errors.
func ReadQUICHostKey(name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, errors.New(nginxf("open() \"%s\" failed (%s)", name, ErrnoText(err)))
	}
	if len(data) == 0 {
		return nil, errors.New(nginxf("\"%s\" zero key size", name))
	}
	return data, nil
}

func init() {
	hs := CtxHTTP | CtxServer
	register("ngx_http_v3_module",
		&Directive{Name: "http3", Ctx: hs, Args: ArgsFlag, set: slot(http3Srv(func(c *HTTP3Srv) **bool { return &c.On }), flagArg),
			Note: "\"h3\" offered by ALPN on the server's `listen ... quic` addresses (on by default, as in nginx 1.25)"},
		&Directive{Name: "http3_hq", Ctx: hs, Args: ArgsFlag, Status: NoOp, set: validateFlag,
			Note: "accepted only: quic-go's HTTP/3 server does not speak hq-interop (HTTP/0.9 over QUIC, an interop-testing protocol); \"h3\" is served either way"},
		&Directive{Name: "http3_max_concurrent_streams", Ctx: hs, Args: Args1, set: slot(http3Srv(func(c *HTTP3Srv) **int { return &c.MaxConcurrentStreams }), numArg),
			Note: "the bidirectional streams a client may open at once (quic-go's MaxIncomingStreams), from the address' default server"},
		&Directive{Name: "http3_stream_buffer_size", Ctx: hs, Args: Args1, set: slot(http3Srv(func(c *HTTP3Srv) **int64 { return &c.StreamBufferSize }), sizeArg),
			Note: "the stream's receive window (what a client may send ahead on one stream)"},
		&Directive{Name: "quic_retry", Ctx: hs, Args: ArgsFlag, set: slot(http3Srv(func(c *HTTP3Srv) **bool { return &c.Retry }), flagArg),
			Note: "address validation: a client without a valid token gets a Retry packet first, as in nginx"},
		&Directive{Name: "quic_gso", Ctx: hs, Args: ArgsFlag, Status: NoOp, set: validateFlag,
			Note: "accepted only: quic-go uses segmentation offload by itself where the kernel has it (QUIC_GO_DISABLE_GSO=1 turns it off)"},
		&Directive{Name: "quic_host_key", Ctx: hs, Args: Args1, set: setQUICHostKey,
			Note: "the file's contents key stateless resets and address-validation tokens, so they survive restarts, as in nginx; without it a random key per start"},
		&Directive{Name: "quic_active_connection_id_limit", Ctx: hs, Args: Args1, Status: NoOp, set: validateNum,
			Note: "accepted only: quic-go chooses how many connection IDs it keeps for the peer"},
		&Directive{Name: "quic_bpf", Ctx: CtxMain, Args: ArgsFlag, Status: NoOp, set: validateFlag,
			Note: "accepted only: one goproxy process owns each UDP socket, so no eBPF steering between workers is needed"},
	)
}
