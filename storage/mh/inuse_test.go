//go:build unix

package mh

import (
	"errors"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestSeqLockHeldIsInUse: when another program holds .mh_sequences'
// lock through the whole wait, the error is storage.ErrInUse, which the
// client hears as NO [INUSE] (try again later), not a server bug.
func TestSeqLockHeldIsInUse(t *testing.T) {
	path, _ := newFolder(t)
	held, err := lockSeqFile(path, true, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	old := seqLockWait
	seqLockWait = 100 * time.Millisecond
	defer func() { seqLockWait = old }()
	f, err := lockSeqFile(path, true, 0o600)
	if err == nil {
		f.Close()
		t.Fatal("locked .mh_sequences while another holder had it")
	}
	if !errors.Is(err, storage.ErrInUse) {
		t.Errorf("%v; want storage.ErrInUse", err)
	}
}
