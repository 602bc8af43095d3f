//go:build libcrypt && cgo

package auth

// #cgo LDFLAGS: -lcrypt
// #include <crypt.h>
// #include <stdlib.h>
// #include <string.h>
//
// static int mg_crypt(const char *pw, const char *setting, char *out, int outlen) {
//	struct crypt_data *d = calloc(1, sizeof(struct crypt_data));
//	if (d == NULL) return -1;
//	char *r = crypt_r(pw, setting, d);
//	int rc = -1;
//	if (r != NULL && (int)strlen(r) < outlen) { strcpy(out, r); rc = 0; }
//	explicit_bzero(d, sizeof(struct crypt_data));
//	free(d);
//	return rc;
// }
import "C"

import (
	"fmt"
	"unsafe"
)

// libcryptBuilt tells whether this build verifies hashes through libcrypt.
const libcryptBuilt = true

// verifyLibcrypt verifies through the system's crypt_r(3) (libxcrypt on
// Debian: yescrypt, gost-yescrypt, scrypt, DES and the rest).
func verifyLibcrypt(stored, password string) (bool, error) {
	cpw, cset := C.CString(password), C.CString(stored)
	defer func() {
		C.explicit_bzero(unsafe.Pointer(cpw), C.size_t(len(password)))
		C.free(unsafe.Pointer(cpw))
		C.free(unsafe.Pointer(cset))
	}()
	var out [C.CRYPT_OUTPUT_SIZE]C.char
	if C.mg_crypt(cpw, cset, &out[0], C.int(len(out))) != 0 {
		return false, fmt.Errorf("%w: libcrypt refused a %s hash", ErrCryptUnsupported, schemeOf(stored))
	}
	res := C.GoString(&out[0])
	if res == "" || res[0] == '*' {
		return false, fmt.Errorf("%w: libcrypt refused a %s hash", ErrCryptUnsupported, schemeOf(stored))
	}
	return compareLibcrypt(res, stored), nil
}
