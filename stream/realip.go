package stream

// realip.go reads the PROXY protocol header of a "listen ...
// proxy_protocol" (v1 text or v2 binary), for $proxy_protocol_* and for
// ngx_stream_realip_module, which makes its source address the
// client's when the connection comes from a trusted address.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
)

var errBrokenHeader = errors.New("broken header")

var ppV2Sig = []byte("\r\n\r\n\x00\r\nQUIT\n")

// readProxyProtocol reads the header; addresses it carries are kept
// (an UNKNOWN or LOCAL header carries none).
func (s *Session) readProxyProtocol(br *bufio.Reader) error {
	head, err := br.Peek(12)
	if err == nil && string(head) == string(ppV2Sig) {
		return s.readProxyV2(br)
	}
	line, err := br.ReadString('\n')
	if err != nil || len(line) > 107 || !strings.HasPrefix(line, "PROXY ") || !strings.HasSuffix(line, "\r\n") {
		return errBrokenHeader
	}
	f := strings.Fields(strings.TrimSuffix(line, "\r\n"))
	if len(f) >= 2 && f[1] == "UNKNOWN" {
		return nil
	}
	if len(f) != 6 || (f[1] != "TCP4" && f[1] != "TCP6") {
		return errBrokenHeader
	}
	src, dst := net.ParseIP(f[2]), net.ParseIP(f[3])
	sp, e1 := strconv.Atoi(f[4])
	dp, e2 := strconv.Atoi(f[5])
	if src == nil || dst == nil || e1 != nil || e2 != nil || sp > 65535 || dp > 65535 {
		return errBrokenHeader
	}
	s.pp = &ppInfo{addr: f[2], port: f[4], serverAddr: f[3], serverPort: f[5]}
	return nil
}

func (s *Session) readProxyV2(br *bufio.Reader) error {
	var h [16]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return errBrokenHeader
	}
	if h[12]>>4 != 2 {
		return errBrokenHeader
	}
	n := int(binary.BigEndian.Uint16(h[14:16]))
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return errBrokenHeader
	}
	if h[12]&0xf == 0 { // LOCAL
		return nil
	}
	switch h[13] >> 4 {
	case 1:
		if n < 12 {
			return errBrokenHeader
		}
		s.pp = &ppInfo{addr: net.IP(body[0:4]).String(), serverAddr: net.IP(body[4:8]).String(),
			port: strconv.Itoa(int(binary.BigEndian.Uint16(body[8:10]))), serverPort: strconv.Itoa(int(binary.BigEndian.Uint16(body[10:12])))}
	case 2:
		if n < 36 {
			return errBrokenHeader
		}
		s.pp = &ppInfo{addr: net.IP(body[0:16]).String(), serverAddr: net.IP(body[16:32]).String(),
			port: strconv.Itoa(int(binary.BigEndian.Uint16(body[32:34]))), serverPort: strconv.Itoa(int(binary.BigEndian.Uint16(body[34:36])))}
	}
	return nil
}

// ppInfo is what a PROXY header said.
type ppInfo struct {
	addr, port, serverAddr, serverPort string
}

// realip makes the header's source the client's address when the
// connection comes from a set_real_ip_from address.
func (s *Session) realip() {
	rules := s.srv.conf.RealIPFrom
	if s.pp == nil || len(rules) == 0 {
		return
	}
	ip := net.ParseIP(s.remoteAddr)
	for _, r := range rules {
		if (r.Unix && s.remoteAddr == "unix:") || (r.Net != nil && ip != nil && r.Net.Contains(ip)) || r.All {
			s.realAddr, s.realPort = s.remoteAddr, s.remotePort
			s.remoteAddr, s.remotePort = s.pp.addr, s.pp.port
			return
		}
	}
}

func init() {
	pp := func(get func(*ppInfo) string) Getter {
		return func(s *Session) (string, bool) {
			if s.pp == nil {
				return "", true
			}
			return get(s.pp), true
		}
	}
	RegisterVariables(map[string]Getter{
		"proxy_protocol_addr":        pp(func(p *ppInfo) string { return p.addr }),
		"proxy_protocol_port":        pp(func(p *ppInfo) string { return p.port }),
		"proxy_protocol_server_addr": pp(func(p *ppInfo) string { return p.serverAddr }),
		"proxy_protocol_server_port": pp(func(p *ppInfo) string { return p.serverPort }),
		"realip_remote_addr": func(s *Session) (string, bool) {
			if s.realAddr != "" {
				return s.realAddr, true
			}
			return s.remoteAddr, true
		},
		"realip_remote_port": func(s *Session) (string, bool) {
			if s.realAddr != "" {
				return s.realPort, true
			}
			return s.remotePort, true
		},
	})
}
