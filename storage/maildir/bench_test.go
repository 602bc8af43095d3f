package maildir

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

func BenchmarkScan10k(b *testing.B)  { benchmarkScan(b, 10_000) }
func BenchmarkScan100k(b *testing.B) { benchmarkScan(b, 100_000) }

// benchmarkScan measures Scan on n messages, in a maildir that has been
// quiet for a while:
//
//   - "cold" opens a new Folder each time, with no index file and no other
//     Folder open: every file is learnt from the disk;
//   - "cold-shared" too, while another Folder on the maildir is open (as
//     another session would have it), whose knowledge of the files it
//     shares;
//   - "cold-index" opens a new Folder of a new Driver (a new process) with
//     an up-to-date index file;
//   - "cold-stale-index" too, after new/ changed since the index was
//     written: the scan reads the directories but learns the files from
//     the index, and writes it anew;
//   - "warm" rescans a Folder that has seen the files just after a change
//     (the directories reread);
//   - "unchanged" rescans directories whose times prove that nothing
//     changed.
//
// "ours" files carry W=; "imap4d" files have only u=, so learning one
// means reading it.
func benchmarkScan(b *testing.B, n int) {
	for _, kind := range []string{"ours", "imap4d"} {
		path := filepath.Join(b.TempDir(), kind)
		makeBenchMaildir(b, path, n, kind == "ours")
		ageDirs(b, path, time.Hour)
		index := filepath.Join(path, indexFile)
		d := testDriver()
		// cold times Open and Scan of a new Folder of d (of a new Driver
		// when d is nil); setup runs untimed before each.
		cold := func(b *testing.B, d *Driver, setup func(), fromIndex bool) {
			var f storage.Folder
			benchLoop(b, func() {
				if f != nil {
					f.Close()
				}
				setup()
			}, func() {
				drv := d
				if drv == nil {
					drv = testDriver()
				}
				var err error
				if f, err = drv.Open(path, 0o600); err != nil {
					b.Fatal(err)
				}
				if s := mustScan(b, f); len(s.Messages) != n {
					b.Fatalf("%d messages", len(s.Messages))
				}
				if f.(*Folder).fromIndex != fromIndex {
					b.Fatalf("answered from the index: %v, want %v", !fromIndex, fromIndex)
				}
			})
			f.Close()
		}
		noIndex := func() { os.Remove(index) }
		b.Run(kind+"/cold", func(b *testing.B) { cold(b, d, noIndex, false) })
		b.Run(kind+"/cold-shared", func(b *testing.B) {
			other := mustOpen(b, d, path)
			noIndex()
			mustScan(b, other)
			cold(b, d, noIndex, false)
		})
		b.Run(kind+"/cold-index", func(b *testing.B) {
			mustScan(b, mustOpen(b, testDriver(), path))
			cold(b, nil, func() {}, true)
		})
		b.Run(kind+"/cold-stale-index", func(b *testing.B) {
			mustScan(b, mustOpen(b, testDriver(), path))
			age := time.Hour
			cold(b, nil, func() {
				age += time.Second
				ageDirs(b, path, age)
			}, false)
		})
		b.Run(kind+"/warm", func(b *testing.B) {
			f := mustOpen(b, d, path)
			mustScan(b, f)
			now := time.Now()
			benchLoop(b, func() {
				// A change just now, by this Folder or another program.
				os.Chtimes(f.curDir, now, now)
			}, func() {
				if s := mustScan(b, f); len(s.Messages) != n {
					b.Fatalf("%d messages", len(s.Messages))
				}
			})
		})
		b.Run(kind+"/unchanged", func(b *testing.B) {
			ageDirs(b, path, time.Hour)
			f := mustOpen(b, d, path)
			mustScan(b, f)
			if !f.stamp.valid {
				b.Fatal("stamp not trusted")
			}
			benchLoop(b, nil, func() {
				if s := mustScan(b, f); len(s.Messages) != n {
					b.Fatalf("%d messages", len(s.Messages))
				}
			})
		})
	}
}

// benchLoop runs op b.N times, with setup untimed before each when it is
// not nil, and reports beside the wall time the CPU time of the process
// during op (cpu-ns/op), which other load on a shared machine inflates
// less.
func benchLoop(b *testing.B, setup, op func()) {
	var cpu time.Duration
	for b.Loop() {
		if setup != nil {
			b.StopTimer()
			setup()
			b.StartTimer()
		}
		start := cpuTime()
		op()
		cpu += cpuTime() - start
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// ageDirs sets the modification times of the maildir's new/ and cur/ to
// age ago, as if nothing had changed in them since.
func ageDirs(tb testing.TB, path string, age time.Duration) {
	tb.Helper()
	t := time.Now().Add(-age)
	for _, sub := range []string{dirNew, dirCur} {
		if err := os.Chtimes(filepath.Join(path, sub), t, t); err != nil {
			tb.Fatal(err)
		}
	}
}

// makeBenchMaildir writes n messages into cur/ directly, the way mailgate
// (withW) or imap4d names them, with a matching .mu-prop.
func makeBenchMaildir(b *testing.B, path string, n int, withW bool) {
	b.Helper()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(path, sub), 0o700); err != nil {
			b.Fatal(err)
		}
	}
	body := []byte("From: a@example.org\nSubject: benchmark\n\nHello.\n")
	letters := []string{"", "S", "RS", "FS", "Sa"}
	for i := 1; i <= n; i++ {
		unique := fmt.Sprintf("1700000000.M%dP1Q%d.host", i, i)
		var name string
		if withW {
			name = formatName(unique, int64(len(body)), crlfSize(string(body)), uint32(i), letters[i%len(letters)])
		} else {
			name = fmt.Sprintf("%s,a=FO,u=%d:2,%s", unique, i, letters[i%len(letters)])
		}
		if err := os.WriteFile(filepath.Join(path, "cur", name), body, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	p := props{UIDNext: uint32(n + 1), UIDValidity: 1700000000}
	if err := os.WriteFile(filepath.Join(path, propsFile), p.Encode(), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, keywordsFile), []byte("0 Junk\n"), 0o600); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSetFlags10k sets and clears \Flagged on 10,000 messages
// alternately, the way the storage core's View.Store reaches the driver:
// one SetFlagsBatch when the Folder is a storage.FlagBatcher, else one
// SetFlags per message.
func BenchmarkSetFlags10k(b *testing.B) { benchmarkSetFlags(b, 10_000, 10_000) }

// BenchmarkSetFlags100k is BenchmarkSetFlags10k on the first 10,000 of
// 100,000 messages, the harness's STORE row at 100k: what it costs beyond
// the 10k row grows with the mailbox, not with the change.
func BenchmarkSetFlags100k(b *testing.B) { benchmarkSetFlags(b, 100_000, 10_000) }

// benchmarkSetFlags sets and clears \Flagged on the first k of n
// messages.
func benchmarkSetFlags(b *testing.B, n, k int) {
	path := filepath.Join(b.TempDir(), "INBOX")
	makeBenchMaildir(b, path, n, false)
	var f storage.Folder = mustOpen(b, testDriver(), path)
	snap := mustScan(b, f)
	set := make(map[uint32][]string, k)
	unset := make(map[uint32][]string, k)
	var order []uint32
	for _, m := range snap.Messages[:k] {
		order = append(order, m.UID)
		unset[m.UID] = m.Flags
		set[m.UID] = append(slices.Clone(m.Flags), storage.FlagFlagged)
		slices.Sort(set[m.UID])
	}
	changes := []map[uint32][]string{set, unset}
	// "watched" is SetFlagsBatch, "quiet" SetFlagsBatchQuiet, which the
	// storage core calls for a batch this large (storage/quiet.go): the
	// one to compare with BenchmarkRenameOnly10k.
	for _, mode := range []string{"watched", "quiet"} {
		b.Run(mode, func(b *testing.B) {
			apply := func(changes map[uint32][]string) {
				if mode == "quiet" {
					if err := f.(storage.QuietFlagBatcher).SetFlagsBatchQuiet(storage.FlagChangesOf(changes)); err != nil {
						b.Fatal(err)
					}
					return
				}
				storeFlags(b, f, order, changes)
			}
			k := 0
			benchLoop(b, nil, func() {
				apply(changes[k%2])
				k++
			})
			if k%2 == 1 {
				apply(unset)
			}
		})
	}
}

// storeFlags applies changes as storage.View.Store does.
func storeFlags(b *testing.B, f storage.Folder, order []uint32, changes map[uint32][]string) {
	if fb, ok := f.(storage.FlagBatcher); ok {
		if err := fb.SetFlagsBatch(storage.FlagChangesOf(changes)); err != nil {
			b.Fatal(err)
		}
		return
	}
	for _, uid := range order {
		if err := f.SetFlags(uid, changes[uid]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndexCodec measures, on the index of 10,000 and 100,000
// messages with imap4d's file names and without the file system: encoding
// it; decoding it into a snapshot, as a Scan answered from it does; and
// building a Folder's entries from it, as the first operation after such
// a Scan does.
func BenchmarkIndexCodec(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		entries := make([]entry, n)
		letters := []string{"", "S", "RS", "FS", "Sa"}
		for i := range entries {
			uid := uint32(i + 1)
			entries[i] = entry{uid: uid, name: fmt.Sprintf("1700000000.M%dP1Q%d.host,a=FO,u=%d:2,%s", i, i, uid, letters[i%len(letters)]),
				meta: fileMeta{mtime: 1700000000e9 + int64(i), size: 4500}}
		}
		hdr := indexHeader{uidNext: uint32(n + 1), validity: 1}
		data, err := encodeIndex(hdr, entries)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("encode/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			benchLoop(b, nil, func() { encodeIndex(hdr, entries) })
		})
		flags := [][]string{nil, {`\Seen`}, {`\Answered`, `\Seen`}, {`\Flagged`, `\Seen`}, {"Junk", `\Seen`}}
		b.Run(fmt.Sprintf("decode/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			benchLoop(b, nil, func() {
				idx, err := decodeIndex(data)
				if err != nil {
					b.Fatal(err)
				}
				idx.flags = flags
				idx.messages()
			})
		})
		// What a cold SELECT does with the head (Folder.Summarize).
		b.Run(fmt.Sprintf("summary/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			tr := decodeIndexTrailer(data[len(data)-indexTrailerSize:])
			h, err := decodeIndexHeader(data)
			if err != nil {
				b.Fatal(err)
			}
			headLen, _ := indexHeadLen(uint64(len(data)), h, tr)
			head := data[:headLen]
			benchLoop(b, nil, func() {
				idx, err := decodeIndexHead(head, tr)
				if err != nil {
					b.Fatal(err)
				}
				idx.flags = flags
				if _, ok := idx.summary(1, uint32(n+1)); !ok {
					b.Fatal("no summary")
				}
			})
		})
		b.Run(fmt.Sprintf("entries/%d", n), func(b *testing.B) {
			idx, err := decodeIndex(data)
			if err != nil {
				b.Fatal(err)
			}
			idx.flags = flags
			benchLoop(b, nil, func() { idx.entries() })
		})
	}
}

// BenchmarkAppend measures one APPEND of a 4 KB message into a maildir
// that grows by it: the write, the fsync of the file, the UID allocated
// (.mu-prop rewritten and synced) and the rename into new/, synced.
// "flags" asks for \Seen and a keyword, as a client saving a sent
// message does.
func BenchmarkAppend(b *testing.B) {
	body := benchMessage()
	for _, flags := range [][]string{nil, {storage.FlagSeen, "$Sent"}} {
		name := "plain"
		if flags != nil {
			name = "flags"
		}
		b.Run(name, func(b *testing.B) {
			path, d := newMaildir(b)
			f := mustOpen(b, d, path)
			mustScan(b, f)
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := f.Append(strings.NewReader(body), flags, time.Time{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchMessage returns a 4 KB message.
func benchMessage() string {
	return "From: a@example.org\r\nSubject: benchmark\r\n\r\n" + strings.Repeat("All work and no play.\r\n", 176)
}
