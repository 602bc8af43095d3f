//go:build !unix

package fsutil

import (
	"io"
	"os"
)

// OpenShort opens the file at path as OpenRegular does, for a short read
// from its start.
func OpenShort(path string) (io.ReadCloser, error) {
	f, _, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// ReadSmall returns the content of a small state file, as os.ReadFile
// does.
func ReadSmall(path string) ([]byte, error) { return os.ReadFile(path) }
