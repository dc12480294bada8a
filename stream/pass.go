package stream

// pass.go is ngx_stream_pass_module: the connection, TLS already
// terminated by this server if it listens with ssl, is handed to
// another listening socket of the process — a stream server's, or an
// http server's through Listeners.PassHTTP — as if accepted there, with
// the pass address as its local address.

import (
	"io"
	"net"
	"strings"

	"goproxy/confparse"
)

// maxPasses is how often one connection may be passed on (nginx's
// NGX_STREAM_PASS_MAX_PASSES): more is a cycle.
const maxPasses = 10

// passedConn is a connection handed on: reads come through r (what the
// PROXY header reader buffered), and its local address is the pass
// address.
type passedConn struct {
	net.Conn
	r      io.Reader
	local  net.Addr
	passes int
}

func (c *passedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *passedConn) LocalAddr() net.Addr        { return c.local }

// pass hands c on; on failure the session ends with nginx's status and
// error: 500, or 200 when no socket has the address.
func (s *Session) pass(c net.Conn, r io.Reader, preread int) {
	fail := func(status int, msg string) {
		s.srv.log(confparse.LevelError, msg+" while passing connection to port, client: "+s.remoteAddr+
			", server: "+s.serverAddr+":"+s.serverPort)
		s.status = status
	}
	if preread > 0 {
		fail(500, "cannot pass connection with preread data")
		return
	}
	addr := s.eval(s.srv.conf.Pass)
	if msg := confparse.CheckPassAddr(addr); msg != "" {
		fail(500, msg+" in pass \""+addr+"\"")
		return
	}
	local := passAddr(addr)
	passes := 1
	if pc, ok := c.(*passedConn); ok {
		passes = pc.passes + 1
	}
	if passes > maxPasses {
		fail(500, "stream pass cycle")
		return
	}
	pc := &passedConn{Conn: c, r: r, local: local, passes: passes}
	ls := s.srv.rt.ls
	if ls != nil && (ls.passStream(pc, addr) || ls.PassHTTP != nil && ls.PassHTTP(pc, addr)) {
		s.passed = true
		return
	}
	fail(200, "port not found for \""+addr+"\"")
}

// passAddr is the net.Addr of a checked pass address.
func passAddr(a string) net.Addr {
	if p, ok := strings.CutPrefix(a, "unix:"); ok {
		return &net.UnixAddr{Name: p, Net: "unix"}
	}
	ta, _ := net.ResolveTCPAddr("tcp", a)
	return ta
}

// passStream hands c to the stream socket for addr, if there is one.
func (ls *Listeners) passStream(c *passedConn, addr string) bool {
	rt := ls.acquire()
	if rt == nil {
		return false
	}
	for key, l := range rt.listens {
		if l.Network != "udp" && PassMatches(l.Network, l.Addr, addr) && rt.byListen[key] != nil {
			ls.start(rt, key, c)
			return true
		}
	}
	rt.unref()
	return false
}

// PassMatches says whether a listening socket (network "tcp" or "unix",
// its address) takes a pass to addr, as nginx matches them: the same
// address, or a wildcard socket of the same family and port.
func PassMatches(network, listen, addr string) bool {
	if network == "unix" || strings.HasPrefix(addr, "unix:") {
		return network == "unix" && "unix:"+listen == addr
	}
	lh, lp, err1 := net.SplitHostPort(listen)
	ah, ap, err2 := net.SplitHostPort(addr)
	if err1 != nil || err2 != nil || lp != ap {
		return false
	}
	lip, aip := net.ParseIP(lh), net.ParseIP(ah)
	if lip == nil || aip == nil || (lip.To4() == nil) != (aip.To4() == nil) {
		return false
	}
	return lip.IsUnspecified() || lip.Equal(aip)
}

// passUDP is pass in a UDP server, which nginx refuses at run time.
func (s *Session) passUDP() {
	s.srv.log(confparse.LevelError, "cannot pass udp connection while passing connection to port, client: "+
		s.remoteAddr+", server: "+s.serverAddr+":"+s.serverPort)
	s.status = 500
}
