package httpd

// proxyproto.go reads the PROXY protocol header (versions 1 and 2) that
// a load balancer sends before the client's bytes on a "listen ...
// proxy_protocol" address, with nginx 1.22's rules: a connection whose
// header is missing or broken is closed without an answer, an
// "UNKNOWN" or LOCAL header carries no addresses.
//
// The parser is goproxy's own rather than github.com/pires/go-proxyproto:
// it is small, and nginx's acceptance rules (a v1 address is only
// checked for its characters, the 107-byte limit, TLVs ignored) are
// easier to match exactly here than through a library's wrapped
// net.Listener, whose header read happens in Accept's caller or behind
// RemoteAddr.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// ProxyProtocol is what a PROXY protocol header said; the addresses are
// text as nginx keeps them ($proxy_protocol_addr, ...).
type ProxyProtocol struct {
	SrcAddr, SrcPort string
	DstAddr, DstPort string
}

// proxyV2Sig starts every version 2 header.
var proxyV2Sig = []byte("\r\n\r\n\x00\r\nQUIT\n")

// proxyV1Max is the longest version 1 header, CRLF included.
const proxyV1Max = 107

// errBrokenHeader carries the start of the bad header for the log line.
type errBrokenHeader struct{ head []byte }

// broken reports what was read, as nginx's log line shows it.
func broken(br *bufio.Reader) error {
	b, _ := br.Peek(br.Buffered())
	return &errBrokenHeader{bytes.Clone(b)}
}

func (e *errBrokenHeader) Error() string {
	return "broken header: \"" + string(e.head) + "\" while reading PROXY protocol"
}

// readProxyProtocol consumes a PROXY header from br. It returns nil
// addresses (and no error) for UNKNOWN and LOCAL headers.
func readProxyProtocol(br *bufio.Reader) (*ProxyProtocol, error) {
	first, err := br.Peek(1)
	if err != nil {
		return nil, err
	}
	if first[0] == '\r' {
		return readProxyV2(br)
	}
	// Version 1: one line of at most 107 bytes.
	var line []byte
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if err != nil {
			if len(b) > 0 {
				return nil, &errBrokenHeader{b}
			}
			return nil, err
		}
		if b[n-1] == '\n' {
			line = b
			break
		}
		if n == proxyV1Max || (n <= 6 && b[n-1] != "PROXY "[n-1]) {
			return nil, broken(br)
		}
	}
	pp, ok := parseProxyV1(line)
	if !ok {
		return nil, broken(br)
	}
	br.Discard(len(line))
	return pp, nil
}

func parseProxyV1(line []byte) (*ProxyProtocol, bool) {
	p := line[len("PROXY "):]
	if bytes.HasPrefix(p, []byte("UNKNOWN")) {
		return nil, true
	}
	if !bytes.HasPrefix(p, []byte("TCP4 ")) && !bytes.HasPrefix(p, []byte("TCP6 ")) {
		return nil, false
	}
	p = p[5:]
	pp := &ProxyProtocol{}
	var ok bool
	if pp.SrcAddr, p, ok = v1Addr(p); !ok {
		return nil, false
	}
	if pp.DstAddr, p, ok = v1Addr(p); !ok {
		return nil, false
	}
	if pp.SrcPort, p, ok = v1Port(p, ' '); !ok {
		return nil, false
	}
	if pp.DstPort, p, ok = v1Port(p, '\r'); !ok {
		return nil, false
	}
	if len(p) != 1 || p[0] != '\n' {
		return nil, false
	}
	return pp, true
}

// v1Addr reads an address up to a space; nginx checks only that it is
// made of hex digits, dots and colons.
func v1Addr(p []byte) (string, []byte, bool) {
	for i, c := range p {
		switch {
		case c == ' ':
			if i == 0 {
				return "", nil, false
			}
			return string(p[:i]), p[i+1:], true
		case c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
		default:
			return "", nil, false
		}
	}
	return "", nil, false
}

// v1Port reads a decimal port (0-65535) ended by end.
func v1Port(p []byte, end byte) (string, []byte, bool) {
	for i, c := range p {
		if c == end {
			n, err := strconv.Atoi(string(p[:i]))
			if i == 0 || err != nil || n < 0 || n > 65535 {
				return "", nil, false
			}
			return string(p[:i]), p[i+1:], true
		}
		if c < '0' || c > '9' {
			return "", nil, false
		}
	}
	return "", nil, false
}

var errProxyV2 = errors.New("broken PROXY protocol v2 header")

func readProxyV2(br *bufio.Reader) (*ProxyProtocol, error) {
	head, err := br.Peek(16)
	if err != nil {
		if len(head) > 0 {
			return nil, &errBrokenHeader{head}
		}
		return nil, err
	}
	if !bytes.Equal(head[:12], proxyV2Sig) {
		return nil, broken(br)
	}
	if head[12]>>4 != 2 {
		return nil, errors.New("unknown PROXY protocol version: " + strconv.Itoa(int(head[12]>>4)))
	}
	size := int(binary.BigEndian.Uint16(head[14:16]))
	if 16+size > br.Size() {
		return nil, errors.New("header is too large")
	}
	all, err := br.Peek(16 + size)
	if err != nil {
		return nil, err
	}
	cmd, family := all[12]&0x0f, all[13]>>4
	body := all[16:]
	defer br.Discard(16 + size)
	switch cmd {
	case 0: // LOCAL: the proxy's own connection
		return nil, nil
	case 1:
	default:
		return nil, errors.New("unknown PROXY command " + strconv.Itoa(int(cmd)))
	}
	port := func(b []byte) string { return strconv.Itoa(int(binary.BigEndian.Uint16(b))) }
	switch family {
	case 1: // IPv4
		if size < 12 {
			return nil, errProxyV2
		}
		src := netip.AddrFrom4([4]byte(body[0:4]))
		dst := netip.AddrFrom4([4]byte(body[4:8]))
		return &ProxyProtocol{SrcAddr: src.String(), DstAddr: dst.String(), SrcPort: port(body[8:10]), DstPort: port(body[10:12])}, nil
	case 2: // IPv6
		if size < 36 {
			return nil, errProxyV2
		}
		src := netip.AddrFrom16([16]byte(body[0:16]))
		dst := netip.AddrFrom16([16]byte(body[16:32]))
		return &ProxyProtocol{SrcAddr: src.String(), DstAddr: dst.String(), SrcPort: port(body[32:34]), DstPort: port(body[34:36])}, nil
	}
	// UNSPEC and unix sockets: accepted, without addresses.
	return nil, nil
}

// proxyProtocol reads the PROXY header on an address that expects one,
// within client_header_timeout; false means the connection must close.
func (c *conn) proxyProtocol() bool {
	lim := c.srv.Handler.Limits(&c.info)
	if !lim.ProxyProtocol {
		return true
	}
	c.nc.SetReadDeadline(time.Now().Add(lim.HeaderTimeout))
	size := max(lim.LargeBufferSize, lim.HeaderBufferSize, 4094) + 2
	br := bufio.NewReaderSize(c.nc, size)
	pp, err := readProxyProtocol(br)
	if err != nil {
		if l, ok := c.srv.Handler.(ConnLogger); ok {
			if _, broken := err.(*errBrokenHeader); broken || !isNetError(err) {
				l.LogConn(&c.info, err.Error())
			}
		}
		return false
	}
	c.nc.SetReadDeadline(time.Time{})
	c.info.ProxyProtocol = pp
	if c.tlsConfig != nil {
		c.nc = &peekedConn{Conn: c.nc, r: br}
	} else {
		c.br = br
	}
	return true
}

// ConnLogger is implemented by handlers that log connection-level
// errors (a broken PROXY protocol header) to the error log.
type ConnLogger interface {
	LogConn(c *Conn, msg string)
}

func isNetError(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.As(err, &ne)
}
