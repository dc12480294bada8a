package proxy

// scgi.go is the wire of SCGI (ngx_http_scgi_module) and uwsgi
// (ngx_http_uwsgi_module): the parameters go first in one packet (an
// SCGI netstring, a uwsgi packet), then the body as it is; the answer
// is an HTTP status line or a CGI head, then the body to the end of the
// connection. Neither protocol can keep a connection.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/http"
	"strconv"
	"time"

	"goproxy/confparse"
)

type streamWire struct {
	conf *confparse.CGIUpstream
	// packet encodes the parameters; length is the body's.
	packet func(ps []cgiParam, length int64) ([]byte, error)
}

func (w *streamWire) exchange(h *handler, st *state, c *upConn, a *attempt) (*http.Response, error) {
	u := w.conf
	length := int64(0)
	switch {
	case a.body != nil || a.stream != nil:
		length = a.length
	case st.declared >= 0:
		length = st.declared
	}
	if length < 0 {
		length = 0
	}
	pkt, err := w.packet(cgiParams(st, u), length)
	if err != nil {
		h.c.errs.Request(st.rq, confparse.LevelError, err.Error())
		return nil, err
	}
	c.wdl.Set(c.nc.SetWriteDeadline, time.Now(), a.sendTO)
	n := int64(len(pkt))
	c.bw.Write(pkt)
	err = writeCGIBody(c, a, func(p []byte) { c.bw.Write(p); n += int64(len(p)) })
	if err == nil {
		err = c.bw.Flush()
	}
	a.bytesSent, a.sentRequest = n, true
	if err != nil {
		a.sendFailed = true
		return nil, err
	}
	c.rdl.Set(c.nc.SetReadDeadline, time.Now(), a.readTO)
	resp, err := readCGIHead(c.br, a)
	if err != nil {
		return nil, err
	}
	resp.Close = true
	if a.req.Method == http.MethodHead {
		resp.Body = http.NoBody
	}
	resp.Request = a.req
	return resp, nil
}

// scgiPacket is the SCGI request head: a netstring of NUL-separated
// names and values, CONTENT_LENGTH first as the protocol wants.
func scgiPacket(ps []cgiParam, length int64) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("CONTENT_LENGTH\x00")
	b.WriteString(strconv.FormatInt(length, 10))
	b.WriteByte(0)
	for _, p := range ps {
		b.WriteString(p.name)
		b.WriteByte(0)
		b.WriteString(p.value)
		b.WriteByte(0)
	}
	out := strconv.AppendInt(nil, int64(b.Len()), 10)
	out = append(out, ':')
	out = append(out, b.Bytes()...)
	return append(out, ','), nil
}

var errUWSGITooBig = errors.New("uwsgi request is too big")

// uwsgiPacket is the uwsgi request head: modifier1, the vars' size
// (16 bits, little endian), modifier2, then each name and value with
// its 16-bit length.
func uwsgiPacket(ps []cgiParam, mod1, mod2 byte, extra string) ([]byte, error) {
	out := make([]byte, 4, 512)
	for _, p := range ps {
		if len(p.name) > 0xffff || len(p.value) > 0xffff {
			return nil, errUWSGITooBig
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(len(p.name)))
		out = append(out, p.name...)
		out = binary.LittleEndian.AppendUint16(out, uint16(len(p.value)))
		out = append(out, p.value...)
	}
	// uwsgi_string goes after the vars, inside the packet's size.
	out = append(out, extra...)
	size := len(out) - 4
	if size > 0xffff {
		return nil, errUWSGITooBig
	}
	out[0], out[3] = mod1, mod2
	binary.LittleEndian.PutUint16(out[1:3], uint16(size))
	return out, nil
}
