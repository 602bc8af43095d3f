//go:build !unix

package fsutil

import "io"

// OpenShort opens the file at path as OpenRegular does, for a short read
// from its start.
func OpenShort(path string) (io.ReadCloser, error) {
	f, _, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	return f, nil
}
