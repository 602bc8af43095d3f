package tlsmgr

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"testing"

	"github.com/caddyserver/certmagic"
)

// listStorage is a certmagic.Storage whose List fails with err.
type listStorage struct {
	certmagic.Storage
	err error
}

func (s listStorage) List(context.Context, string, bool) ([]string, error) { return nil, s.err }

// TestOnDemandKeptListError: a storage with no certificates yet counts
// none, but one that cannot be listed (permissions, I/O) must not lift
// on-demand-max-certificates: it counts as full.
func TestOnDemandKeptListError(t *testing.T) {
	var a acmeState
	if n := a.onDemandKept(context.Background(), listStorage{err: fs.ErrNotExist}, "k"); n != 0 {
		t.Errorf("no certificates yet: %d, want 0", n)
	}
	if n := a.onDemandKept(context.Background(), listStorage{err: errors.New("permission denied")}, "k"); n != math.MaxInt {
		t.Errorf("a storage that cannot be listed: %d kept, want it taken as full", n)
	}
}
