//go:build unix

package maildir

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkRenameOnly10k is the floor under BenchmarkSetFlags10k and
// the harness's STORE row: only the renameat(2) calls that add F to the
// names of the same 10,000 files (those that lack it) and take it away
// again, with nothing else per message, in UID order (the order the
// files were created in, which SetFlagsBatch follows) and in a random
// order (as a Go map's iteration would give).
func BenchmarkRenameOnly10k(b *testing.B) { benchmarkRenameOnly(b, 10_000, 10_000) }

// BenchmarkRenameOnly100k is the floor under BenchmarkSetFlags100k: the
// renames of the first 10,000 files of 100,000 in one directory.
func BenchmarkRenameOnly100k(b *testing.B) { benchmarkRenameOnly(b, 100_000, 10_000) }

// benchmarkRenameOnly renames the first k of n files.
func benchmarkRenameOnly(b *testing.B, n, k int) {
	path := filepath.Join(b.TempDir(), "INBOX")
	makeBenchMaildir(b, path, n, false)
	cur := filepath.Join(path, "cur")
	names, err := readNames(cur)
	if err != nil {
		b.Fatal(err)
	}
	byUnique := make(map[string]string, len(names))
	for _, name := range names {
		unique, _, _ := strings.Cut(name, ",")
		byUnique[unique] = name
	}
	plain, flagged := make([]string, 0, k), make([]string, 0, k)
	for i := 1; i <= k; i++ {
		name, ok := byUnique[fmt.Sprintf("1700000000.M%dP1Q%d.host", i, i)]
		if !ok {
			b.Fatalf("message %d: no file", i)
		}
		head, letters, _ := strings.Cut(name, ":2,")
		if !strings.Contains(letters, "F") {
			plain = append(plain, name)
			flagged = append(flagged, head+":2,F"+letters)
		}
	}
	dir, err := os.Open(cur)
	if err != nil {
		b.Fatal(err)
	}
	defer dir.Close()
	fd := int(dir.Fd())
	for _, order := range []string{"uid", "random"} {
		b.Run(order, func(b *testing.B) {
			idx := make([]int, len(plain))
			for i := range idx {
				idx[i] = i
			}
			if order == "random" {
				rand.New(rand.NewPCG(1, 2)).Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
			}
			from, to := plain, flagged
			benchLoop(b, nil, func() {
				for _, i := range idx {
					if err := unix.Renameat(fd, from[i], fd, to[i]); err != nil {
						b.Fatal(err)
					}
				}
				from, to = to, from
			})
			if from[0] != plain[0] {
				for _, i := range idx {
					if err := unix.Renameat(fd, from[i], fd, to[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
