package main

import (
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/mailgate/mailgate/gateway"
)

// The daemon starts its session and delivery processes from
// /proc/self/exe, the program it started from (a package upgrade may
// have put another at its path), so the kernel names them "exe": ps -e,
// top, pgrep -x mailgate and the OOM killer's lines would not know them.
// They take the program's name back here, in an init, which runs on the
// main thread, whose name is the process's.
func init() {
	if len(os.Args) < 2 || os.Args[1] != gateway.SessionProcessFlag && os.Args[1] != gateway.DeliveryProcessFlag {
		return
	}
	name := filepath.Base(os.Args[0])
	if len(name) > 15 { // the kernel keeps 15 bytes
		name = name[:15]
	}
	b := append([]byte(name), 0)
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&b[0])), 0, 0, 0)
}
