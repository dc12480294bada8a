package confparse

import (
	"errors"
	"fmt"
	"syscall"
)

// errnoText renders an OS error the way nginx does: "2: No such file or
// directory".
func errnoText(err error) string {
	var no syscall.Errno
	if errors.As(err, &no) {
		return fmt.Sprintf("%d: %s", int(no), errnoMessage(no))
	}
	return err.Error()
}

// ErrnoText is errnoText for the packages that log at run time.
func ErrnoText(err error) string { return errnoText(err) }

// errnoMessage is strerror(3) wording; Go's messages are lower-case.
func errnoMessage(no syscall.Errno) string {
	s := no.Error()
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
