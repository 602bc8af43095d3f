//go:build unix

package mh

import (
	"bytes"
	"cmp"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// expungedNumbers returns a numbers file of count entries followed by
// the '-' records of numbers 1..expunged, as one Expunge of the oldest
// messages appends them.
func expungedNumbers(count, expunged int) []byte {
	n := numbering{validity: 7, uidNext: uint32(count + 1), dir: dirID{1, 2, 3}}
	for i := 1; i <= count; i++ {
		n.entries = append(n.entries, numberEntry{num: uint32(i), ino: uint64(1000 + i), gen: 1})
	}
	data := n.encode()
	for i := 1; i <= expunged; i++ {
		data = appendRecord(data, '-', numberEntry{num: uint32(i)}, 0)
	}
	return data
}

// TestNumbersRecordsApplied: one EXPUNGE of the 12,000 oldest of
// 100,000 messages appends 12,000 '-' records (under the fold limit of
// an eighth), which every scan of every process applies; they read as
// the same numbering folded into a snapshot. (Applying each with a slice
// delete was quadratic: 1.17 s against 0.93 ms; the benchmarks below
// measure it.)
func TestNumbersRecordsApplied(t *testing.T) {
	data := expungedNumbers(100_000, 12_000)
	n, err := parseNumbering(data)
	if err != nil || len(n.entries) != 88_000 || n.entries[0].num != 12_001 {
		t.Fatalf("parsed %d entries from %d, %v", len(n.entries), n.entries[0].num, err)
	}
	// The same numbering written as one snapshot reads the same. How
	// long each takes is BenchmarkNumbersParseExpunged against
	// BenchmarkNumbersParseFolded (1.84 ms against 0.68; the quadratic
	// reading took 2.5 s), not a timed assertion here.
	again, err := parseNumbering(n.encode())
	if err != nil || !slices.Equal(again.entries, n.entries) || again.uidNext != n.uidNext {
		t.Errorf("the folded numbering reads differently: %d entries, %v", len(again.entries), err)
	}
}

// BenchmarkNumbersParseExpunged reads a 100,000-message numbers file
// with the 12,000 '-' records of one EXPUNGE (an eighth of the snapshot:
// not folded), as every scan of every process does. Compare with
// BenchmarkNumbersParseFolded.
func BenchmarkNumbersParseExpunged(b *testing.B) {
	data := expungedNumbers(100_000, 12_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseNumbering(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNumbersParseFolded reads the same numbering as one snapshot.
func BenchmarkNumbersParseFolded(b *testing.B) {
	n, err := parseNumbering(expungedNumbers(100_000, 12_000))
	if err != nil {
		b.Fatal(err)
	}
	data := n.encode()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseNumbering(data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNumbersTornRecords: the records are not synced, so after a crash
// of the system the file may end in a record cut short, or in zeros. That
// costs those records only: the snapshot and the whole records before
// them still tell a new process what the numbers stood for, so after a
// sortm no UID holds another message. (Taking the whole file as damaged
// made that process take every file for the message its number stood
// for.) The process writes the file anew, whole.
func TestNumbersTornRecords(t *testing.T) {
	for _, tt := range []struct {
		name string
		tear func(t *testing.T, file string)
		uid3 uint32 // the UID the new process gives the appended message
	}{
		{"partial record", func(t *testing.T, file string) { appendBytes(t, file, make([]byte, 9)) }, 3},
		{"zero records", func(t *testing.T, file string) { appendBytes(t, file, make([]byte, 2*numbersRecordLen)) }, 3},
		{"garbage", func(t *testing.T, file string) {
			appendBytes(t, file, []byte("+\x00\x00\x00\x04 not a record, cut short"))
		}, 3},
		// The appended message's '+' lost: its number was at or above
		// UIDNEXT, so it is new to the prefix and keeps its number.
		{"last record cut short", func(t *testing.T, file string) { truncateBy(t, file, 3) }, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := mkFolder(t, map[string]string{"1": msgA, "2": msgLong})
			f := mustOpen(t, testDriver(), path)
			mustScan(t, f)
			const c = "Subject: c\n\nthird\n"
			appendMsg(t, f, c)
			f.Close()
			file := filepath.Join(path, numbersFile)
			tt.tear(t, file)
			swap(t, path) // sortm
			had := map[uint32]string{1: msgA, 2: msgLong, tt.uid3: c}
			now := contentsByUID(t, testDriver(), path)
			for uid, was := range had {
				if got, ok := now[uid]; ok && got != was {
					t.Errorf("UID %d now reads %.20q, was %.20q", uid, got, was)
				}
			}
			if now[tt.uid3] != c || len(now) != 3 {
				t.Errorf("UIDs and contents %v, want the appended message under UID %d", now, tt.uid3)
			}
			if n, ok := readNumbering(path); !ok || n.torn || len(n.entries) != 3 {
				t.Errorf("the numbers file after the scan: %+v, %v; want it written whole", n, ok)
			}
		})
	}
}

// TestNumbersDamagedRecord: a bad record that a good one follows is not
// the end of a write cut short but damage: the file tells nothing, and a
// new process takes the folder as untold (see TestNumbersUntold).
func TestNumbersDamagedRecord(t *testing.T) {
	n := numbering{validity: 7, uidNext: 3, dir: dirID{1, 2, 3}, entries: []numberEntry{{1, 10, 1}, {2, 11, 1}}}
	data := appendRecord(n.encode(), '+', numberEntry{3, 12, 1}, 4)
	data = appendRecord(data, '-', numberEntry{num: 1}, 0)
	if got, err := parseNumbering(data); err != nil || got.torn || len(got.entries) != 2 || got.uidNext != 4 {
		t.Fatalf("the whole file: %+v, %v", got, err)
	}
	bad := slices.Clone(data)
	bad[len(bad)-2*numbersRecordLen+3] ^= 0x5a // the '+' record, the '-' after it good
	if got, err := parseNumbering(bad); err == nil {
		t.Errorf("a damaged record before a good one was accepted: %+v", got)
	}
	bad = slices.Clone(data)
	bad[len(bad)-numbersRecordLen+3] ^= 0x5a // the last record
	if got, err := parseNumbering(bad); err != nil || !got.torn || len(got.entries) != 3 {
		t.Errorf("a bad last record: %+v, %v; want the records before it, torn", got, err)
	}
}

// TestNumbersAppendAfterTorn: a Folder that appends to a numbers file
// ending in a record cut short (the system crashed while another
// process appended, and this one has not scanned since) does not put its
// record after the torn one, which would make the file damaged: it
// writes a new snapshot with the records that hold and its own.
func TestNumbersAppendAfterTorn(t *testing.T) {
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgLong})
	f := mustOpen(t, testDriver(), path)
	defer f.Close()
	mustScan(t, f)
	appendMsg(t, f, "Subject: c\n\n")
	appendBytes(t, filepath.Join(path, numbersFile), make([]byte, 9))
	m := appendMsg(t, f, "Subject: d\n\n")
	n, ok := readNumbering(path)
	if !ok || n.torn || len(n.entries) != 4 || n.entries[3].num != m.UID || n.uidNext != m.UID+1 {
		t.Fatalf("after an append to a torn file: %+v, %v", n, ok)
	}
}

// appendBytes appends b to the file at path.
func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if _, err := file.Write(b); err != nil {
		t.Fatal(err)
	}
}

// truncateBy cuts the last n bytes off the file at path.
func truncateBy(t *testing.T, path string, n int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()-n); err != nil {
		t.Fatal(err)
	}
}

// TestNumbersUIDNextKept: .mu-prop comes back with a lower UIDNEXT than
// the numbers file's under the same UIDVALIDITY (restored from a backup,
// rewritten by another program that keeps .mu-prop, such as GNU
// Mailutils' imap4d). The numbers file knows which UIDs were handed
// out: an expunged message's UID is not given again.
func TestNumbersUIDNextKept(t *testing.T) {
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	appendMsg(t, f, "Subject: 1\n\n1\n")
	gone := appendMsg(t, f, "Subject: 2\n\n2\n")
	if err := f.Expunge([]uint32{gone.UID}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p, err := readProps(path)
	if err != nil {
		t.Fatal(err)
	}
	p.UIDNext = gone.UID // the restored .mu-prop
	if err := writeAtomic(path, propsFile, p.Encode(), 0o600); err != nil {
		t.Fatal(err)
	}
	g := mustOpen(t, testDriver(), path)
	defer g.Close()
	if s := mustScan(t, g); s.UIDNext != gone.UID+1 {
		t.Errorf("UIDNEXT %d, the numbers file's %d", s.UIDNext, gone.UID+1)
	}
	if p, err := readProps(path); err != nil || p.UIDNext != gone.UID+1 {
		t.Errorf("%s UIDNEXT %d (%v), want it raised to %d", propsFile, p.UIDNext, err, gone.UID+1)
	}
	if m := appendMsg(t, g, "Subject: 3\n\n3\n"); m.UID <= gone.UID {
		t.Errorf("UID %d given again", m.UID)
	}
}

// TestNumbersAppendWithoutScan: a Folder that appends before it ever
// scanned (an LMTP delivery, an APPEND from a session that did not
// select the folder: a new process each in inetd mode) records its
// number too. Without it, the record of a process that did scan and
// appends next raised the file's UIDNEXT over the delivered number,
// which the file did not list: the next scan took the delivered message
// for a file another program put under a known number and gave it a new
// UID.
func TestNumbersAppendWithoutScan(t *testing.T) {
	path, d := newFolder(t)
	daemon := mustOpen(t, d, path)
	mustScan(t, daemon)
	appendMsg(t, daemon, "Subject: one\n\n1\n")
	lmtp := mustOpen(t, testDriver(), path) // a delivery process
	delivered := appendMsg(t, lmtp, "Subject: delivered\n\n2\n")
	lmtp.Close()
	if n, ok := readNumbering(path); !ok {
		t.Fatal("no numbers file after the delivery")
	} else if _, found := n.find(delivered.UID); !found {
		t.Errorf("the delivery's number %d is not in the numbers file: %+v", delivered.UID, n)
	}
	appendMsg(t, daemon, "Subject: three\n\n3\n")
	for _, who := range []string{"new process", "daemon"} {
		f := daemon
		if who == "new process" {
			f = mustOpen(t, testDriver(), path)
		}
		if _, ok := message(mustScan(t, f), delivered.UID); !ok {
			t.Errorf("%s: the delivered message's UID %d is gone; files %v", who, delivered.UID, listDir(t, path))
		}
	}
}

// TestNumbersUpdateCannotHold: an append or expunge that cannot add its
// record to the numbers file (not a file it may open, not this folder's
// under its UIDVALIDITY) removes it rather than leave it vouching
// without the change, and says so in the log; the next locked scan
// writes a new one. When it cannot even be removed, the Folder stops
// writing it and warns (a new process then may trust what it says).
func TestNumbersUpdateCannotHold(t *testing.T) {
	for _, tt := range []struct {
		name    string
		plant   func(t *testing.T, file string)
		removed bool   // the planted thing is gone after the append
		log     string // what the log says
	}{
		{"symbolic link", func(t *testing.T, file string) {
			if err := os.Symlink(filepath.Join(t.TempDir(), "target"), file); err != nil {
				t.Fatal(err)
			}
		}, true, "removed a " + numbersFile + " that cannot be opened"},
		{"fifo", func(t *testing.T, file string) {
			if err := syscall.Mkfifo(file, 0o600); err != nil {
				t.Fatal(err)
			}
		}, true, "removed a " + numbersFile + " not this folder's"},
		{"other UIDVALIDITY", func(t *testing.T, file string) {
			n := numbering{validity: 1, uidNext: 2, dir: dirID{1, 2, 3}, entries: []numberEntry{{1, 5, 0}}}
			if err := os.WriteFile(file, n.encode(), 0o600); err != nil {
				t.Fatal(err)
			}
		}, true, "removed a " + numbersFile + " not this folder's"},
		{"too short", func(t *testing.T, file string) {
			if err := os.WriteFile(file, numbersMagic, 0o600); err != nil {
				t.Fatal(err)
			}
		}, true, "removed a " + numbersFile + " not this folder's"},
		{"directory, not removable", func(t *testing.T, file string) {
			if err := os.MkdirAll(filepath.Join(file, "x"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, false, "level=WARN msg=\"mh: cannot write or remove " + numbersFile},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := mkFolder(t, map[string]string{"1": msgA})
			var logged bytes.Buffer
			d := testDriver()
			d.Options.Logger = slog.New(slog.NewTextHandler(&logged, nil))
			f := mustOpen(t, d, path)
			mustScan(t, f)
			file := filepath.Join(path, numbersFile)
			mustRemove(t, file)
			tt.plant(t, file)
			appendMsg(t, f, "Subject: two\n\n2\n")
			if _, err := os.Lstat(file); (err != nil) != tt.removed {
				t.Errorf("after the append: %v, want removed %v", err, tt.removed)
			}
			if !strings.Contains(logged.String(), tt.log) {
				t.Errorf("the log says %q, want %q", logged.String(), tt.log)
			}
			if f.numbersFailed == tt.removed {
				t.Errorf("numbersFailed %v", f.numbersFailed)
			}
			mustScan(t, f)
			if n, ok := readNumbering(path); ok != tt.removed || (ok && len(n.entries) != 2) {
				t.Errorf("after the next scan: %+v, %v", n, ok)
			}
		})
	}
}

// TestNumbersCrashBeforeWrite: a crash after a scan renumbered sortm's
// files but before it wrote the numbers file (the old one left) gives a
// new process the same UIDs.
func TestNumbersCrashBeforeWrite(t *testing.T) {
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgLong, "3": msgB})
	f := mustOpen(t, testDriver(), path)
	mustScan(t, f)
	old := readFile(t, filepath.Join(path, numbersFile))
	swap(t, path)
	got := map[uint32]string{}
	for _, m := range mustScan(t, f).Messages {
		got[m.UID] = readAll(t, f, m.UID)
	}
	f.Close()
	writeFile(t, filepath.Join(path, numbersFile), old, time.Now())
	for uid, now := range contentsByUID(t, testDriver(), path) {
		if was, ok := got[uid]; ok && was != now {
			t.Errorf("UID %d reads %.20q, the crashed process's %.20q", uid, now, was)
		}
	}
}

// TestNumbersConcurrentAppenders: two processes append at once while a
// third scans; no UID is given twice, the numbers file then holds every
// message, and a new process finds nothing to write.
func TestNumbersConcurrentAppenders(t *testing.T) {
	path, d := newFolder(t)
	a, b, c := mustOpen(t, d, path), mustOpen(t, testDriver(), path), mustOpen(t, testDriver(), path)
	mustScan(t, a) // b appends without a scan (see TestNumbersAppendWithoutScan)
	done := make(chan []uint32)
	for _, f := range []*Folder{a, b} {
		go func() {
			var uids []uint32
			for i := range 100 {
				m, err := f.Append(strings.NewReader(fmt.Sprintf("Subject: %d\n\nx\n", i)), nil, time.Time{})
				if err != nil {
					t.Error(err)
					break
				}
				uids = append(uids, m.UID)
			}
			done <- uids
		}()
	}
	for range 20 {
		if _, err := c.Scan(); err != nil {
			t.Error(err)
		}
	}
	all := append(<-done, <-done...)
	slices.Sort(all)
	if len(slices.Compact(slices.Clone(all))) != len(all) {
		t.Errorf("a UID given twice: %v", all)
	}
	file := filepath.Join(path, numbersFile)
	before, _ := os.ReadFile(file)
	n, ok := readNumbering(path)
	if !ok || len(n.entries) != 200 {
		t.Fatalf("numbers file after the appends: ok %v, %d entries", ok, len(n.entries))
	}
	g := mustOpen(t, testDriver(), path)
	if got := uidsOf(mustScan(t, g)); !slices.Equal(got, all) {
		t.Errorf("a new process's UIDs differ")
	}
	if after, _ := os.ReadFile(file); string(after) != string(before) {
		t.Errorf("a new process rewrote the numbers file the appends left")
	}
}

// FuzzNumberingModel checks what the numbers file's records mean
// against a reference model: the fuzzer's bytes are turned into a
// snapshot and records with good checksums (so that every input gets
// past them, which FuzzParseNumbering's mutations seldom do), the file is
// cut short or its last records zeroed (a crash of the system), and
// what parseNumbering makes of it is compared with a map the records
// were applied to one by one, up to the first whole record lost.
func FuzzNumberingModel(f *testing.F) {
	f.Add([]byte{0, 2, 3}, []byte{0, 9, 12, 1, 1, 0, 0, 3, 5, 1, 9, 0}, uint16(0xffff))
	f.Add([]byte{}, []byte{0, 1, 1, 0, 1, 2, 1, 1, 0}, uint16(2*numbersRecordLen+7)<<1)
	f.Add([]byte{0, 0, 0}, []byte{1, 0, 0, 1, 1, 0, 1, 2, 0, 0, 0, 4}, uint16(numbersRecordLen)<<1|1)
	f.Fuzz(func(t *testing.T, snap, ops []byte, cut uint16) {
		model := map[uint32]numberEntry{}
		n := numbering{validity: 7, dir: dirID{1, 2, 3}}
		num := uint32(0)
		for i, b := range snap {
			num += uint32(b) + 1
			e := numberEntry{num: num, ino: uint64(i + 1), gen: uint32(b)}
			n.entries = append(n.entries, e)
			model[num] = e
		}
		n.uidNext = num + 1
		data := n.encode()
		snapLen := len(data)
		type op struct {
			e    numberEntry
			free bool
			next uint32
		}
		var applied []op
		for ; len(ops) >= 3; ops = ops[3:] {
			o := op{e: numberEntry{num: uint32(ops[1]) + 1}, free: ops[0]%2 == 1, next: uint32(ops[2])}
			if o.free {
				data = appendRecord(data, '-', o.e, o.next)
			} else {
				o.e.ino, o.e.gen = uint64(ops[2])+1, uint32(ops[0]>>1)
				data = appendRecord(data, '+', o.e, o.next)
			}
			applied = append(applied, o)
		}
		// A crash of the system: the file cut short at pos, or its
		// records from the one at pos on zeroed.
		recs := len(data) - snapLen
		pos := int(cut>>1) % (recs + 1)
		torn := pos%numbersRecordLen != 0
		if cut&1 == 1 {
			pos -= pos % numbersRecordLen
			clear(data[snapLen+pos:])
			torn = pos < recs
		} else {
			data = data[:snapLen+pos]
		}
		whole := pos / numbersRecordLen
		next := n.uidNext
		for _, o := range applied[:whole] {
			if o.free {
				delete(model, o.e.num)
			} else {
				model[o.e.num] = o.e
			}
			next = max(next, o.next)
		}
		got, err := parseNumbering(data)
		if err != nil {
			t.Fatalf("a file cut short at record byte %d of %d rejected: %v", pos, recs, err)
		}
		want := slices.SortedFunc(maps.Values(model), func(a, b numberEntry) int { return cmp.Compare(a.num, b.num) })
		if !slices.Equal(got.entries, want) || got.uidNext != next {
			t.Fatalf("parsed %+v uidNext %d, model %+v uidNext %d", got.entries, got.uidNext, want, next)
		}
		if got.torn != torn {
			t.Fatalf("torn %v, want %v (cut at %d of %d record bytes)", got.torn, torn, pos, recs)
		}
		// A new snapshot of it (a fold, the next scan) reads the same.
		got.torn = false
		if again, err := parseNumbering(got.encode()); err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("its snapshot reads %+v, %v; want %+v", again, err, got)
		}
	})
}
