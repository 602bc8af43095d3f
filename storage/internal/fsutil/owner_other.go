//go:build !unix

package fsutil

import "os"

// OwnedByUs reports whether the file fi describes belongs to this
// process's user; without unix ownership, always.
func OwnedByUs(fi os.FileInfo) bool { return true }

// TrustedIn reports whether the file fi describes may be trusted as a
// file mailgate keeps in directory dir; without unix ownership, always.
func TrustedIn(fi os.FileInfo, dir string) bool { return true }

// StickyKeeps reports whether a sticky bit keeps this user from
// renaming the file at path in dir; without unix permissions, never.
func StickyKeeps(dir, path string) bool { return false }

// Unlinkable reports whether err from a link means that this file cannot
// be linked there; here any error does.
func Unlinkable(err error) bool { return err != nil }
