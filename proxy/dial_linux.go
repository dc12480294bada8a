package proxy

import (
	"os"
	"strings"
	"syscall"
)

// ipv6Transparent is IPV6_TRANSPARENT, which package syscall lacks.
const ipv6Transparent = 75

func setTransparent(fd int, network string) error {
	var err error
	if strings.HasSuffix(network, "6") {
		err = syscall.SetsockoptInt(fd, syscall.SOL_IPV6, ipv6Transparent, 1)
	} else {
		err = syscall.SetsockoptInt(fd, syscall.SOL_IP, syscall.IP_TRANSPARENT, 1)
	}
	return os.NewSyscallError("setsockopt(IP_TRANSPARENT)", err)
}
