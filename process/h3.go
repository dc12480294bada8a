package process

// h3.go lets the engine ask the configuration in force for a QUIC
// connection's TLS configuration and settings, and opens the UDP sockets
// of "listen ... quic" addresses.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"goproxy/confparse"
	"goproxy/httpd"
	"goproxy/internal/sockopt"
)

// QUICTLSConfig implements httpd.H3Handler.
func (d dispatch) QUICTLSConfig(name string, hello *tls.ClientHelloInfo) (*tls.Config, error) {
	return d.p.current.Load().QUICTLSConfig(name, hello)
}

// HTTP3 implements httpd.H3Handler.
func (d dispatch) HTTP3(name string) httpd.H3Settings { return d.p.current.Load().HTTP3(name) }

// openQUIC binds the UDP socket of a quic listen, with nginx's error.
func openQUIC(l *confparse.Listen) (net.PacketConn, error) {
	network := "udp4"
	if strings.HasPrefix(l.Addr, "[") {
		network = "udp6"
	}
	lc := sockopt.ListenConfig(listenOpts(l))
	pc, err := lc.ListenPacket(context.Background(), network, l.Addr)
	if err != nil {
		msg := err.Error()
		if se := (*os.SyscallError)(nil); errors.As(err, &se) {
			msg = confparse.ErrnoText(se.Err)
		}
		return nil, fmt.Errorf("bind() to %s failed (%s)", l.Addr, msg)
	}
	return pc, nil
}
