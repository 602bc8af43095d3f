package storage

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestUIDValiditiesIncrease: values within one second, from allocators
// sharing a file as separate processes would, never repeat; a fresh
// allocator on the same file continues above the last value.
func TestUIDValiditiesIncrease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uidvalidity")
	fixed := func() time.Time { return time.Unix(1_800_000_000, 0) }
	a := &UIDValidities{Path: path, Now: fixed}
	b := &UIDValidities{Path: path, Now: fixed}
	seen := map[uint32]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, u := range []*UIDValidities{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				v := u.Next()
				mu.Lock()
				if seen[v] {
					t.Errorf("UIDVALIDITY %d handed out twice", v)
				}
				seen[v] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	last := (&UIDValidities{Path: path, Now: fixed}).Next()
	if last != 1_800_000_000+100 {
		t.Errorf("after 100 values in one second, the next is %d, want %d", last, 1_800_000_000+100)
	}
	if v := (&UIDValidities{Path: path, Now: func() time.Time { return time.Unix(1_900_000_000, 0) }}).Next(); v != 1_900_000_000 {
		t.Errorf("a later clock gives %d, want the time itself", v)
	}
}

// TestUIDValiditiesUnwritable: without a usable file, values still grow
// within the process and stay above what the file says.
func TestUIDValiditiesUnwritable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "uidvalidity")
	if err := os.WriteFile(path, []byte("1900000000\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// root writes a 0400 file; a directory in its place cannot be opened for writing by anyone.
		os.Remove(path)
		os.Mkdir(path, 0o700)
	}
	u := &UIDValidities{Path: path, Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
	first, second := u.Next(), u.Next()
	if second <= first {
		t.Errorf("values %d then %d do not increase", first, second)
	}
	if os.Geteuid() != 0 && first <= 1_900_000_000 {
		t.Errorf("value %d is not above the file's 1900000000", first)
	}
}

func TestUIDValiditiesMemory(t *testing.T) {
	u := &UIDValidities{Now: func() time.Time { return time.Unix(5, 0) }}
	if a, b := u.Next(), u.Next(); a != 5 || b != 6 {
		t.Errorf("got %d, %d; want 5, 6", a, b)
	}
}
