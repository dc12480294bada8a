package ssi

// postpone.go is nginx's postpone filter for SSI: an include's
// subrequest starts when the include is parsed and runs in its own
// goroutine while the page goes on, its output kept in a slot; the
// page's output (text, echo, the includes' slots) leaves in document
// order, each slot as soon as what comes before it has. The request's
// own goroutine alone writes on (the filters after this one are not
// safe for two), at the end of each write and, waiting for the slots
// still running, when the body ends.

import (
	"sync"

	"goproxy/httpcore"
)

// maxParallel bounds the includes of one main request that run at once.
// nginx has none (a request's subrequests are bounded only by its
// reference counter, 64535); past it an include runs in the page's
// goroutine before the page goes on, so a page of thousands of includes
// cannot open thousands of upstream connections at once.
const maxParallel = 64

// slot is one part of the output in document order: text, done when
// made, or an include's output as its subrequest makes it.
type slot struct {
	mu   sync.Mutex
	cond sync.Cond
	buf  []byte
	done bool
}

func newSlot() *slot {
	sl := &slot{}
	sl.cond.L = &sl.mu
	return sl
}

// Write keeps the subrequest's output until the page takes it.
func (sl *slot) Write(p []byte) (int, error) {
	sl.mu.Lock()
	sl.buf = append(sl.buf, p...)
	sl.mu.Unlock()
	sl.cond.Signal()
	return len(p), nil
}

func (sl *slot) finish() {
	sl.mu.Lock()
	sl.done = true
	sl.mu.Unlock()
	sl.cond.Signal()
}

// take hands over what the slot holds, waiting for output or its end
// when wait is set; done says nothing more will come.
func (sl *slot) take(wait bool) (b []byte, done bool) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	for wait && !sl.done && len(sl.buf) == 0 {
		sl.cond.Wait()
	}
	b, sl.buf = sl.buf, nil
	return b, sl.done
}

// postpone makes the text gathered so far a slot of its own, so that
// what follows (an include's slot) is sent after it.
func (s *state) postpone() {
	if len(s.out) == 0 {
		return
	}
	sl := &slot{buf: append([]byte(nil), s.out...), done: true}
	s.queue = append(s.queue, sl)
	s.out = s.out[:0]
}

// start runs an include's subrequest beside the page, its output kept
// in a slot in the queue; it says false when maxParallel are running
// (the caller then runs it in place). The subrequest's parent is a
// snapshot of the page's request (httpcore.Request.Beside), as the
// page's goroutine goes on with its own. Called with sh.mu held.
func (s *state) start(sr httpcore.Subrequester, o *httpcore.SubOptions) bool {
	sh := s.main()
	if sh.running >= maxParallel {
		return false
	}
	sh.running++
	s.postpone()
	sl := newSlot()
	s.queue = append(s.queue, sl)
	o.Body = sl
	parent := s.rq.Alongside()
	go func() {
		defer sl.finish()
		sr.SubrequestWith(parent, o)
		sh.mu.Lock()
		sh.running--
		sh.mu.Unlock()
	}()
	return true
}

// drain sends on what the queue has, in order: up to the first slot
// still running, or, with wait, all of it as it comes. The text
// gathered since goes last.
func (s *state) drain(wait bool) {
	if len(s.queue) > 0 {
		s.postpone()
	}
	for len(s.queue) > 0 {
		b, done := s.queue[0].take(wait)
		s.write(b)
		if !done {
			if wait {
				continue
			}
			return
		}
		s.queue[0] = nil
		s.queue = s.queue[1:]
	}
	s.write(s.out)
	s.out = s.out[:0]
}

// write passes b to the filter after this one; after an error, output
// is dropped.
func (s *state) write(b []byte) {
	if len(b) == 0 || s.err != nil {
		return
	}
	_, s.err = s.next.Write(b)
}

// Close ends the page's output: the includes still running are waited
// for and their output sent in its place.
func (s *state) Close() error {
	s.drain(true)
	return s.err
}
