package stream

// preread.go is the preread phase and ngx_stream_ssl_preread_module: the
// client's first bytes are read (up to preread_buffer_size, within
// preread_timeout) and, when they are a TLS ClientHello, its server
// name, ALPN protocols and highest version become variables — so a TLS
// connection can be routed by SNI without being decrypted. The bytes
// read go on to the upstream unchanged.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"goproxy/confparse"
)

// helloInfo is what a ClientHello said.
type helloInfo struct {
	protocol, serverName, alpn string
}

var errNeedMore = errors.New("need more")

func init() {
	hv := func(get func(*helloInfo) string) Getter {
		return func(s *Session) (string, bool) {
			if s.hello == nil {
				// nginx drops its context for bytes that are no
				// ClientHello (or none): the variables are not found.
				return "", false
			}
			return get(s.hello), true
		}
	}
	RegisterVariables(map[string]Getter{
		"ssl_preread_protocol":       hv(func(h *helloInfo) string { return h.protocol }),
		"ssl_preread_server_name":    hv(func(h *helloInfo) string { return h.serverName }),
		"ssl_preread_alpn_protocols": hv(func(h *helloInfo) string { return h.alpn }),
	})
}

// preread runs ssl_preread; it returns the reader the rest of the
// session reads the client from (what was read comes first) and how
// many bytes it read, or false when the session ended here: on a
// timeout, a full buffer, or the client's close before the ClientHello
// is complete (nginx ends the session then, with 200 and no upstream).
func (s *Session) preread(c net.Conn, r io.Reader) (io.Reader, int, bool) {
	if s.conf.SSLPreread == nil || !*s.conf.SSLPreread {
		return r, 0, true
	}
	size := int(sizeOr(s.conf.PrereadBufferSize, 16384))
	deadline := time.Now().Add(durOr(s.conf.PrereadTimeout, 30*time.Second))
	c.SetReadDeadline(deadline)
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, 0, size)
	for {
		if len(buf) == size {
			s.srv.log(confparse.LevelError, "preread buffer full while prereading client data, client: "+s.remoteAddr)
			s.status = 400
			return nil, 0, false
		}
		n, err := r.Read(buf[len(buf):size])
		buf = buf[:len(buf)+n]
		if n > 0 {
			h, perr := parseClientHello(buf)
			if perr != errNeedMore {
				if perr == nil {
					s.hello = h
				}
				return io.MultiReader(bytes.NewReader(buf), r), len(buf), true
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				s.srv.log(confparse.LevelInfo, "preread timed out while prereading client data, client: "+s.remoteAddr)
				return nil, 0, false
			}
			if err == io.EOF {
				return nil, 0, false
			}
			return io.MultiReader(bytes.NewReader(buf), r), len(buf), true
		}
	}
}

func tlsVersion(v uint16) string {
	switch v {
	case 0x0002:
		return "SSLv2"
	case 0x0300:
		return "SSLv3"
	case 0x0301:
		return "TLSv1"
	case 0x0302:
		return "TLSv1.1"
	case 0x0303:
		return "TLSv1.2"
	case 0x0304:
		return "TLSv1.3"
	}
	if v>>8 == 0x7f { // TLS 1.3 drafts
		return "TLSv1.3"
	}
	return ""
}

// parseClientHello reads a ClientHello from the client's first bytes:
// errNeedMore while it is incomplete, another error when the bytes are
// no ClientHello (the variables stay empty).
func parseClientHello(b []byte) (*helloInfo, error) {
	if len(b) < 1 {
		return nil, errNeedMore
	}
	if b[0]&0x80 != 0 { // SSLv2-compatible hello
		if len(b) < 5 {
			return nil, errNeedMore
		}
		if b[2] != 0x01 {
			return nil, errors.New("not a hello")
		}
		return &helloInfo{protocol: tlsVersion(binary.BigEndian.Uint16(b[3:5]))}, nil
	}
	if b[0] != 0x16 {
		return nil, errors.New("not TLS")
	}
	// Gather the handshake bytes across records.
	var hs []byte
	need := -1
	for p := b; ; {
		if len(p) < 5 {
			return nil, errNeedMore
		}
		if p[0] != 0x16 {
			return nil, errors.New("not a handshake record")
		}
		l := int(binary.BigEndian.Uint16(p[3:5]))
		body := p[5:]
		if len(body) > l {
			body = body[:l]
		}
		hs = append(hs, body...)
		if need < 0 && len(hs) >= 4 {
			if hs[0] != 0x01 {
				return nil, errors.New("not a client hello")
			}
			need = 4 + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]))
		}
		if need >= 0 && len(hs) >= need {
			break
		}
		if len(p[5:]) < l {
			return nil, errNeedMore
		}
		p = p[5+l:]
	}
	return parseHelloBody(hs[4:need])
}

func parseHelloBody(h []byte) (*helloInfo, error) {
	bad := errors.New("malformed client hello")
	if len(h) < 2+32+1 {
		return nil, bad
	}
	info := &helloInfo{protocol: tlsVersion(binary.BigEndian.Uint16(h[0:2]))}
	p := h[34:]
	skip := func(lenBytes int) bool {
		if len(p) < lenBytes {
			return false
		}
		n := 0
		for i := 0; i < lenBytes; i++ {
			n = n<<8 | int(p[i])
		}
		if len(p) < lenBytes+n {
			return false
		}
		p = p[lenBytes+n:]
		return true
	}
	if !skip(1) || !skip(2) || !skip(1) { // session id, ciphers, compression
		return nil, bad
	}
	if len(p) == 0 {
		return info, nil
	}
	if len(p) < 2 {
		return nil, bad
	}
	el := int(binary.BigEndian.Uint16(p))
	p = p[2:]
	// Lengths that run past the message are cut to it: nginx's parser
	// reads each field by its own length within what arrived.
	if len(p) > el {
		p = p[:el]
	}
	var best uint16
	for len(p) >= 4 {
		typ := binary.BigEndian.Uint16(p)
		l := int(binary.BigEndian.Uint16(p[2:]))
		if len(p) < 4+l {
			l = len(p) - 4
		}
		d := p[4 : 4+l]
		p = p[4+l:]
		switch typ {
		case 0: // server_name
			if len(d) >= 5 && d[2] == 0 {
				n := int(binary.BigEndian.Uint16(d[3:]))
				if len(d) >= 5+n {
					info.serverName = strings.ToLower(string(d[5 : 5+n]))
				}
			}
		case 16: // ALPN
			if len(d) >= 2 {
				q := d[2:]
				var names []string
				for len(q) > 0 {
					n := int(q[0])
					if len(q) < 1+n {
						break
					}
					names = append(names, string(q[1:1+n]))
					q = q[1+n:]
				}
				info.alpn = strings.Join(names, ",")
			}
		case 43: // supported_versions
			if len(d) >= 1 {
				q := d[1:]
				for len(q) >= 2 {
					v := binary.BigEndian.Uint16(q)
					if tlsVersion(v) != "" && (v > best || v>>8 == 0x7f) {
						if v>>8 == 0x7f {
							v = 0x0304
						}
						if v > best {
							best = v
						}
					}
					q = q[2:]
				}
			}
		}
	}
	if best != 0 {
		info.protocol = tlsVersion(best)
	}
	return info, nil
}
