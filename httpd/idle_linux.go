package httpd

// idle_linux.go is the idle poller: an epoll set of the engine's own, for
// the sockets of connections no goroutine reads — parked idle ones
// (EPOLLIN) and those whose client may hang up while an upstream works
// (EPOLLRDHUP, nginx's broken-connection check). Go's network poller
// keeps its own registration of each socket; a second epoll set sees the
// same events without reading any data. The epoll descriptor is itself
// pollable, so the poller's goroutine waits in Go's network poller like
// any reader, and no thread is held in epoll_wait.

import (
	"os"
	"sync"
	"syscall"
)

const (
	evIn    = syscall.EPOLLIN
	evHup   = syscall.EPOLLRDHUP | syscall.EPOLLHUP | syscall.EPOLLERR
	evEdge  = 1 << 31 // EPOLLET, negative in package syscall
	evWatch = syscall.EPOLLRDHUP | evEdge
)

type poller struct {
	fd    int
	file  *os.File
	mu    sync.Mutex
	conns map[uint64]*conn // by connection number, the events' token
}

var (
	pollerOnce sync.Once
	idlePoller *poller
)

// thePoller is started on first use; nil if the system refused one.
func thePoller() *poller {
	pollerOnce.Do(startPoller)
	return idlePoller
}

func startPoller() {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return
	}
	syscall.SetNonblock(fd, true)
	p := &poller{fd: fd, file: os.NewFile(uintptr(fd), "idle-epoll"), conns: map[uint64]*conn{}}
	rc, err := p.file.SyscallConn()
	if err != nil {
		p.file.Close()
		return
	}
	idlePoller = p
	go p.loop(rc)
}

func (p *poller) loop(rc syscall.RawConn) {
	events := make([]syscall.EpollEvent, 256)
	for {
		var n int
		err := rc.Read(func(fd uintptr) bool {
			n, _ = syscall.EpollWait(int(fd), events, 0)
			return n > 0 // none ready: wait for the descriptor
		})
		if err != nil {
			return
		}
		for _, ev := range events[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			p.mu.Lock()
			c := p.conns[id]
			p.mu.Unlock()
			if c == nil {
				continue
			}
			if !c.wake() && ev.Events&evHup != 0 {
				c.hangup()
			}
		}
	}
}

// arm registers c's socket, or changes what is watched: readability too
// when it parks, hang-ups only otherwise. It runs on the connection's
// goroutine, or on the poller's for a connection it woke.
func (p *poller) arm(c *conn, readable bool) bool {
	if c.rc == nil {
		sc, ok := c.raw.(syscall.Conn)
		if !ok {
			return false
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			return false
		}
		c.rc = rc
	}
	id := c.info.ID
	ev := syscall.EpollEvent{Events: evWatch, Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
	if readable {
		ev.Events |= evIn
	}
	op := syscall.EPOLL_CTL_MOD
	if !c.polled.Load() {
		op = syscall.EPOLL_CTL_ADD
		p.mu.Lock()
		p.conns[id] = c
		p.mu.Unlock()
	}
	var cerr error
	// Control holds the descriptor open: a concurrent close cannot
	// hand its number to another connection under epoll_ctl.
	err := c.rc.Control(func(fd uintptr) { cerr = syscall.EpollCtl(p.fd, op, int(fd), &ev) })
	if err != nil || cerr != nil {
		if op == syscall.EPOLL_CTL_ADD {
			p.mu.Lock()
			delete(p.conns, id)
			p.mu.Unlock()
		}
		return false
	}
	c.polled.Store(true)
	return true
}

// socketError is the socket's pending error (SO_ERROR), as nginx reads
// it when epoll reports a hang-up: ECONNRESET for a reset.
func (c *conn) socketError() error {
	var no int
	if c.rc == nil || c.rc.Control(func(fd uintptr) {
		no, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
	}) != nil || no == 0 {
		return nil
	}
	return syscall.Errno(no)
}

// unpoll forgets a closed connection (closing the socket took it out of
// the epoll set).
func (c *conn) unpoll() {
	if !c.polled.Load() {
		return
	}
	p := thePoller()
	p.mu.Lock()
	delete(p.conns, c.info.ID)
	p.mu.Unlock()
}
