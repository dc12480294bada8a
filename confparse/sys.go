package confparse

import (
	"errors"
	"fmt"
	"syscall"
)

// ErrnoText renders an OS error the way nginx does, "2: No such file or
// directory" (strerror(3) wording after the number); an error without an
// errno is its own text. It is the one place every package writes
// nginx's "(errno: message)".
func ErrnoText(err error) string {
	var no syscall.Errno
	if errors.As(err, &no) && no != 0 {
		return fmt.Sprintf("%d: %s", int(no), errnoMessage(no))
	}
	return err.Error()
}

// errnoMessage is strerror(3) wording; Go's messages are lower-case.
func errnoMessage(no syscall.Errno) string {
	s := no.Error()
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
