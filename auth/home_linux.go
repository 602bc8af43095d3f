package auth

import "golang.org/x/sys/unix"

// dirLookupFlags opens the directories on the way to a home for looking
// names up in them only, which needs no read permission on them.
const dirLookupFlags = unix.O_PATH
