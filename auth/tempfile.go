package auth

import (
	"errors"
	"fmt"
	"os"
)

// writeTemp writes data to a new file (mode 0600) in dir, named after
// pattern as os.CreateTemp names it, synced and closed, and returns its
// name, for the caller to link or rename into place and then remove.
func writeTemp(dir, pattern string, data []byte) (string, error) {
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	return tmp.Name(), nil
}
