//go:build !(libcrypt && cgo)

package auth

// libcryptBuilt tells whether this build verifies hashes through libcrypt.
const libcryptBuilt = false

// verifyLibcrypt, in a build without libcrypt, refuses with a message that
// names the build tag that adds it.
func verifyLibcrypt(stored, _ string) (bool, error) {
	return false, errNeedLibcrypt(stored)
}
