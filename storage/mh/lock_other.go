//go:build !unix

package mh

import "os"

// lockSeqFile opens .mh_sequences without locking it where fcntl(2) is
// missing. A missing file under a read lock gives (nil, nil).
func lockSeqFile(dir string, write bool, perm os.FileMode) (*os.File, error) {
	path := dir + string(os.PathSeparator) + seqFile
	if !write {
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			return nil, nil
		}
		return f, err
	}
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, perm)
}
