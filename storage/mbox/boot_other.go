//go:build !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd

package mbox

// bootID cannot tell one boot of the system from another here: an APPEND
// that a crash cut short is then left as it is (torn.go).
func bootID() string { return "" }
