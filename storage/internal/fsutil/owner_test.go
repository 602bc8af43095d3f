//go:build unix

package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTrustedIn: a file of this user, of root or of the directory's
// owner is trusted; one of another user is not.
func TestTrustedIn(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give files away")
	}
	const other, owner = 65534, 65533
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		fileUID, dirUID int
		want            bool
	}{
		{0, 0, true},
		{other, 0, false},
		{other, other, true},
		{other, owner, false},
		{0, owner, true},
	} {
		if err := os.Chown(file, tt.fileUID, 0); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, tt.dirUID, 0); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := TrustedIn(fi, dir); got != tt.want {
			t.Errorf("file of %d in a directory of %d: TrustedIn = %v", tt.fileUID, tt.dirUID, got)
		}
	}
	os.Chown(dir, 0, 0)
}
