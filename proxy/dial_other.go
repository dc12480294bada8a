//go:build !linux

package proxy

import (
	"errors"
	"os"
)

// setTransparent fails where there is no IP_TRANSPARENT.
func setTransparent(fd int, network string) error {
	return os.NewSyscallError("setsockopt(IP_TRANSPARENT)", errors.ErrUnsupported)
}
