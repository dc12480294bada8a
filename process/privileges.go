package process

// privileges.go serves requests without root. Started as root, goproxy
// opens its listeners, log files and pid file first; then every thread
// takes the "user" directive's uid, gid and groups (nginx's default
// nobody:nogroup without one; none for "user root"), as nginx's workers
// do. Go applies setuid(2) and its kin to all threads of the process.
//
// nginx's master stays root to reload: bind new ports below 1024, read
// root-only certificates, keys and included files, open new log files.
// goproxy keeps what that needs on one OS thread only: a goroutine
// locked to it before the drop sets PR_SET_KEEPCAPS there, so after
// setuid that thread alone still holds CAP_NET_BIND_SERVICE and
// CAP_DAC_OVERRIDE in its permitted set (none effective while it
// waits). Reloads, log reopening and the clean-up at exit run on it with
// those capabilities raised, and lowered again after. Every other thread
// has no capability at all, and none can be born with any: the runtime
// never clones a thread from a locked one (it asks its template thread),
// and the privileged goroutine never unlocks. Goroutines a reload starts
// run on ordinary threads, as the user.

import (
	"fmt"
	"os"
	goruntime "runtime"
	"strconv"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"goproxy/confparse"
)

// reloadCaps are the capabilities the privileged thread keeps.
const reloadCaps = 1<<unix.CAP_NET_BIND_SERVICE | 1<<unix.CAP_DAC_OVERRIDE

// privThread is the goroutine, locked to its thread, that runs the
// jobs that need root once requests are served as the user.
type privThread struct {
	jobs chan func()
	keep uint32 // the capabilities it holds (permitted)
}

// privileged is set once the process has dropped root.
var privileged atomic.Pointer[privThread]

// dropPrivileges makes every thread u, keeping reloadCaps on the
// privileged thread. Nothing happens when goproxy is not root or u is
// root.
func dropPrivileges(u *confparse.User) error {
	if u == nil || u.UID == 0 || os.Geteuid() != 0 || privileged.Load() != nil {
		return nil
	}
	t := &privThread{jobs: make(chan func())}
	ready := make(chan error)
	go t.run(u, ready)
	if err := <-ready; err != nil {
		return err
	}
	privileged.Store(t)
	return nil
}

func (t *privThread) run(u *confparse.User, ready chan<- error) {
	// Never unlocked: the thread ends with the process (or with this
	// goroutine, if the drop failed, taking its capabilities along).
	goruntime.LockOSThread()
	err := t.drop(u)
	ready <- err
	if err != nil {
		return
	}
	for f := range t.jobs {
		f()
	}
}

// drop runs on the locked thread.
func (t *privThread) drop(u *confparse.User) error {
	_, perm, err := getCaps()
	if err != nil {
		return err
	}
	t.keep = perm & reloadCaps
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return sysErr("prctl(PR_SET_KEEPCAPS, 1)", err)
	}
	// nginx's worker: initgroups, setgid, setuid.
	if err := syscall.Setgroups(u.Groups); err != nil {
		return sysErr(fmt.Sprintf("initgroups(%s, %d)", u.Name, u.GID), err)
	}
	if err := syscall.Setgid(u.GID); err != nil {
		return sysErr("setgid("+strconv.Itoa(u.GID)+")", err)
	}
	if err := syscall.Setuid(u.UID); err != nil {
		return sysErr("setuid("+strconv.Itoa(u.UID)+")", err)
	}
	if err := setCaps(0, t.keep); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return sysErr("prctl(PR_SET_KEEPCAPS, 0)", err)
	}
	return nil
}

// asRoot runs f with what the process had as root: on the privileged
// thread with its capabilities raised, or right here when the process
// never dropped root. f must not call asRoot.
func asRoot(f func() error) error {
	t := privileged.Load()
	if t == nil {
		return f()
	}
	done := make(chan error, 1)
	t.jobs <- func() { done <- t.raised(f) }
	return <-done
}

func (t *privThread) raised(f func() error) error {
	if err := setCaps(t.keep, t.keep); err != nil {
		return err
	}
	defer func() {
		if err := setCaps(0, t.keep); err != nil {
			// Never serve on with the capabilities raised.
			panic(err)
		}
	}()
	return f()
}

// getCaps reads the calling thread's effective and permitted sets.
func getCaps() (eff, perm uint32, err error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return 0, 0, sysErr("capget()", err)
	}
	return data[0].Effective, data[0].Permitted, nil
}

// setCaps sets the calling thread's effective and permitted sets (the
// capabilities goproxy uses all sit in the first 32 bits); nothing is
// inheritable.
func setCaps(eff, perm uint32) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{{Effective: eff, Permitted: perm}}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return sysErr("capset()", err)
	}
	return nil
}

// sysErr is nginx's `setuid(101) failed (1: Operation not permitted)`.
func sysErr(call string, err error) error {
	return fmt.Errorf("%s failed (%s)", call, confparse.ErrnoText(err))
}
