package storage_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

// BenchmarkStoreRow100k plays the bench harness's STORE row on a maildir
// of 100,000 messages, watched as a daemon watches it after its first
// change: STORE +FLAGS on
// the first 10,000 (timed, with the Poll a session makes before its
// answer), then the untimed -FLAGS that undoes it, a few milliseconds of
// client round trips apart. The check that follows each large STORE
// (storage/quiet.go) runs in between, as it does in the daemon. It
// reports the median and the slowest +FLAGS.
func BenchmarkStoreRow100k(b *testing.B) {
	const n, k = 100_000, 10_000
	home := b.TempDir()
	writeSelectMaildir(b, filepath.Join(home, "INBOX"), n)
	s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer s.Close()
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	v, err := s.Account(storage.User{Name: "c", Home: home}, layout).Select("INBOX", false)
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	v.Settle()
	uids := v.UIDs()[:k]
	// A mailbox is watched once its own process changed it (see
	// unwatched.go): the harness's first STORE makes it so, untimed.
	for _, op := range []storage.StoreOp{storage.AddFlags, storage.RemoveFlags} {
		if _, err := v.Store(uids, op, []string{storage.FlagFlagged}); err != nil {
			b.Fatal(err)
		}
		v.Poll(true, &recorder{})
	}
	for deadline := time.Now().Add(10 * time.Second); !storage.HasWatcher(s); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("no watcher")
		}
	}
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := v.Store(uids, storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
			b.Fatal(err)
		}
		v.Poll(true, &recorder{})
		times = append(times, time.Since(start))
		time.Sleep(3 * time.Millisecond)
		if _, err := v.Store(uids, storage.RemoveFlags, []string{storage.FlagFlagged}); err != nil {
			b.Fatal(err)
		}
		v.Poll(true, &recorder{})
		time.Sleep(3 * time.Millisecond)
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-ms")
}
