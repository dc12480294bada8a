package stream

import (
	"errors"
	"net"
	"sync"
	"time"
)

// udpListener is a "listen ... udp" socket: datagrams from one client
// address belong to one session until it ends (or, with proxy_requests,
// until it has had that many).
type udpListener struct {
	pc       net.PacketConn
	key      string
	ls       *Listeners
	mu       sync.Mutex
	sessions map[string]*udpSession
	// full are the sessions that had their proxy_requests, by client.
	full map[string]*udpSession
}

type udpSession struct {
	s      *Session
	in     chan []byte
	client net.Addr
	ul     *udpListener
	// requests counts the datagrams bound to the session.
	requests int
	// after is the client's previous session, whose datagrams go
	// upstream before this one's; drained says this one's have.
	after       *udpSession
	drained     chan struct{}
	drainedOnce sync.Once
}

func (us *udpSession) drain() { us.drainedOnce.Do(func() { close(us.drained) }) }

func (ul *udpListener) serve() {
	buf := make([]byte, 65535)
	for {
		n, addr, err := ul.pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		dg := append([]byte(nil), buf[:n]...)
		ul.mu.Lock()
		us := ul.sessions[addr.String()]
		if us == nil {
			rt := ul.ls.acquire()
			if rt == nil || rt.byListen[ul.key] == nil {
				ul.mu.Unlock()
				if rt != nil {
					rt.unref()
				}
				continue
			}
			s := newSession(rt.byListen[ul.key], rt.listens[ul.key], ul.ls.counter.Add(1))
			s.setAddrs(ul.pc.LocalAddr(), addr)
			us = &udpSession{s: s, in: make(chan []byte, 64), client: addr, ul: ul,
				drained: make(chan struct{}), after: ul.full[addr.String()]}
			delete(ul.full, addr.String())
			ul.sessions[addr.String()] = us
			ul.ls.conns.Add(1)
			go us.run()
		}
		us.requests++
		if r := us.s.conf.ProxyRequests; r != nil && *r > 0 && us.requests >= *r {
			// The next datagram starts a new session.
			delete(ul.sessions, addr.String())
			if ul.full == nil {
				ul.full = map[string]*udpSession{}
			}
			ul.full[addr.String()] = us
		}
		select {
		case us.in <- dg:
		default: // the session is behind: drop, as a full socket buffer would
		}
		ul.mu.Unlock()
	}
}

func (us *udpSession) end() {
	ul := us.ul
	ul.mu.Lock()
	if ul.sessions[us.client.String()] == us {
		delete(ul.sessions, us.client.String())
	}
	ul.mu.Unlock()
}

func (us *udpSession) send(b []byte) error {
	n, err := us.ul.pc.WriteTo(b, us.client)
	us.s.bytesSent.Add(int64(n))
	return err
}

// run takes the session through the phases.
func (us *udpSession) run() {
	s := us.s
	defer us.ul.ls.conns.Done()
	defer s.srv.rt.unref()
	defer us.end()
	defer s.releaseConns()
	defer s.log()
	defer us.drain()
	if us.after != nil {
		select {
		case <-us.after.drained:
		case <-time.After(time.Second):
		}
		us.after = nil
	}
	first := <-us.in
	s.bytesReceived.Add(int64(len(first)))
	if !s.preaccess() || !s.access() {
		return
	}
	switch {
	case s.srv.conf.Return != nil:
		us.send([]byte(s.eval(s.srv.conf.Return)))
	case s.srv.conf.ProxyPass != nil:
		us.proxy(first)
	case s.srv.conf.Pass != nil:
		s.passUDP()
	}
}

func (us *udpSession) proxy(first []byte) {
	s := us.s
	up, err := s.connect(func(network, addr string, timeout time.Duration) (net.Conn, error) {
		return s.dial(network, addr, timeout)
	})
	if err != nil || up == nil {
		s.status = failStatus(err)
		return
	}
	defer up.Close()
	defer s.pick.Done()
	t := s.tries[len(s.tries)-1]
	connected := time.Now()
	timeout := durOr(s.conf.ProxyTimeout, 10*time.Minute)
	wantResp := -1
	if s.conf.ProxyResponses != nil {
		wantResp = *s.conf.ProxyResponses
	}
	maxReq := 0
	if s.conf.ProxyRequests != nil {
		maxReq = *s.conf.ProxyRequests
	}
	requests, responses := 0, 0
	upLim := newLimiter(s.rate(s.conf.ProxyUploadRate))
	downLim := newLimiter(s.rate(s.conf.ProxyDownloadRate))
	forward := func(b []byte) {
		if upLim.rate > 0 {
			upLim.before()
		}
		n, err := up.Write(b)
		upLim.passed(n)
		if err == nil {
			t.sent.Add(int64(n))
		}
		requests++
		if maxReq > 0 && requests >= maxReq {
			us.drain()
		}
	}
	forward(first)
	finished := func() bool {
		if wantResp < 0 {
			return false
		}
		if maxReq > 0 && requests < maxReq {
			return false
		}
		us.ul.mu.Lock()
		if maxReq == 0 && us.requests > requests {
			us.ul.mu.Unlock()
			return false
		}
		us.ul.mu.Unlock()
		return responses >= wantResp*requests
	}
	resp := make(chan []byte, 64)
	go func() {
		buf := make([]byte, 65535)
		for {
			n, err := up.Read(buf)
			if err != nil {
				close(resp)
				return
			}
			if downLim.rate > 0 {
				downLim.before()
			}
			resp <- append([]byte(nil), buf[:n]...)
			downLim.passed(n)
		}
	}()
	if finished() {
		t.sessionTime = msecs(time.Since(connected))
		return
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case b := <-us.in:
			s.bytesReceived.Add(int64(len(b)))
			forward(b)
		case b, ok := <-resp:
			if !ok {
				s.status = 502
				t.sessionTime = msecs(time.Since(connected))
				return
			}
			if responses == 0 {
				t.firstByte = msecs(time.Since(connected))
			}
			t.received.Add(int64(len(b)))
			responses++
			us.send(b)
		case <-timer.C:
			t.sessionTime = msecs(time.Since(connected))
			return
		}
		if finished() {
			t.sessionTime = msecs(time.Since(connected))
			return
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(timeout)
	}
}
