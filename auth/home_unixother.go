//go:build unix && !linux

package auth

import "golang.org/x/sys/unix"

// dirLookupFlags opens the directories on the way to a home: without
// Linux's O_PATH, for reading.
const dirLookupFlags = unix.O_RDONLY
