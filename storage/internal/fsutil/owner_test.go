//go:build unix

package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTrustedIn: in a directory that is not sticky every regular file
// is trusted; in a sticky one, only a file of this user, of root or of
// the directory's owner.
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
	t.Cleanup(func() { os.Chown(dir, 0, 0); os.Chmod(dir, 0o700) })
	for _, tt := range []struct {
		fileUID, dirUID int
		sticky, want    bool
	}{
		{0, 0, false, true},
		{other, 0, false, true},
		{other, other, false, true},
		{other, owner, false, true},
		{0, owner, false, true},
		{0, 0, true, true},
		{other, 0, true, false},
		{other, other, true, true},
		{other, owner, true, false},
		{0, owner, true, true},
	} {
		if err := os.Chown(file, tt.fileUID, 0); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, tt.dirUID, 0); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o777)
		if tt.sticky {
			mode |= os.ModeSticky
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := TrustedIn(fi, dir); got != tt.want {
			t.Errorf("file of %d in a directory of %d, sticky %v: TrustedIn = %v", tt.fileUID, tt.dirUID, tt.sticky, got)
		}
	}
}
