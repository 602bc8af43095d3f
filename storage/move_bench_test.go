package storage_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkMoveMaildir1000 times the MOVE of 1,000 maildir messages from
// a selected mailbox (filled by a COPY, untimed, as the bench harness's
// MOVE row does) into another, with the watcher running.
func BenchmarkMoveMaildir1000(b *testing.B) { benchmarkMoveCopy(b, "maildir", 1000, true) }

// BenchmarkCopyMaildir1000 times the COPY of 1,000 maildir messages.
func BenchmarkCopyMaildir1000(b *testing.B) { benchmarkMoveCopy(b, "maildir", 1000, false) }

// BenchmarkMoveMH1000 and BenchmarkCopyMH1000 are the same for MH.
func BenchmarkMoveMH1000(b *testing.B) { benchmarkMoveCopy(b, "mh", 1000, true) }
func BenchmarkCopyMH1000(b *testing.B) { benchmarkMoveCopy(b, "mh", 1000, false) }

func benchmarkMoveCopy(b *testing.B, format string, n int, move bool) {
	a, _, _ := formatAccount(b, formatCase{name: format})
	if err := a.Create("src"); err != nil {
		b.Fatal(err)
	}
	batch, err := a.BeginAppend("src")
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		body := fmt.Sprintf("Subject: m%d\r\n\r\n%s\r\n", i, strings.Repeat("body text ", 400))
		date := time.Date(2020, 1, 1, 12, i, 0, 0, time.UTC)
		if err := batch.Add(strings.NewReader(body), copyFlags[i%len(copyFlags)], date); err != nil {
			b.Fatal(err)
		}
	}
	if _, _, err := batch.Commit(); err != nil {
		b.Fatal(err)
	}
	src, err := a.Select("src", false)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	src.Settle()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		for _, m := range []string{"copy", "dst"} {
			if err := a.Create(m); err != nil {
				b.Fatal(err)
			}
		}
		from := src
		if move {
			if _, _, _, err := a.Copy(src, slices.Clone(src.UIDs()), "copy"); err != nil {
				b.Fatal(err)
			}
			if from, err = a.Select("copy", false); err != nil {
				b.Fatal(err)
			}
			from.Settle()
			time.Sleep(100 * time.Millisecond) // the watch is set
		}
		b.StartTimer()
		var dst []uint32
		if move {
			_, _, dst, err = a.Move(from, slices.Clone(from.UIDs()), "dst")
		} else {
			_, _, dst, err = a.Copy(from, slices.Clone(from.UIDs()), "dst")
		}
		if err != nil || len(dst) != n {
			b.Fatalf("%d of %d: %v", len(dst), n, err)
		}
		b.StopTimer()
		if move {
			from.Close()
		}
		for _, m := range []string{"copy", "dst"} {
			if err := a.Delete(m); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
}
