//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package mbox

import (
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// bootID identifies the running boot of the system (the time it booted),
// or is empty when it cannot be read.
var bootID = sync.OnceValue(func() string {
	tv, err := unix.SysctlTimeval("kern.boottime")
	if err != nil {
		return ""
	}
	return strconv.FormatInt(int64(tv.Sec), 10) + "." + strconv.FormatInt(int64(tv.Usec), 10)
})
