package storage_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestMoveAllSourcesGone: a MOVE whose every source file vanished between staging and
// commit (another program expunged them) must not panic; it moves nothing.
func TestMoveAllSourcesGone(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			a, home, _ := formatAccount(t, formatCase{name: "maildir"})
			fillMaildir(t, a, "A", n)
			fillMaildir(t, a, "B", 0)
			defer storage.SetCopyBatch(10, func() {
				for _, sub := range []string{"cur", "new"} {
					ps, _ := filepath.Glob(filepath.Join(home, "A", sub, "*"))
					for _, p := range ps {
						os.Remove(p)
					}
				}
			})()
			v, err := a.Select("A", false)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			_, src, dst, err := a.Move(v, v.UIDs(), "B")
			if err != nil || len(src) != 0 || len(dst) != 0 {
				t.Errorf("src %v dst %v err %v; want nothing moved, no error", src, dst, err)
			}
		})
	}
}
