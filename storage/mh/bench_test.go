package mh

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

func BenchmarkScan10k(b *testing.B) { benchmarkScan(b, 10_000) }

// benchmarkScan measures Scan on n messages: "cold" opens a new Folder
// each time, so that every file is read; "warm" rescans a Folder that has
// read them (the directory is listed and every file statted again).
// "nmh" files carry no Status: field and flags live in .mh_sequences;
// "imap4d" files carry Status: and there is no .mh_sequences.
func benchmarkScan(b *testing.B, n int) {
	for _, kind := range []string{"nmh", "imap4d"} {
		path := filepath.Join(b.TempDir(), kind)
		makeBenchFolder(b, path, n, kind == "imap4d")
		b.Run(kind+"/cold", func(b *testing.B) {
			for b.Loop() {
				f, err := testDriver().Open(path, 0o600)
				if err != nil {
					b.Fatal(err)
				}
				if s := mustScan(b, f); len(s.Messages) != n {
					b.Fatalf("%d messages", len(s.Messages))
				}
				f.Close()
			}
		})
		b.Run(kind+"/warm", func(b *testing.B) {
			f := mustOpen(b, testDriver(), path)
			mustScan(b, f)
			for b.Loop() {
				if s := mustScan(b, f); len(s.Messages) != n {
					b.Fatalf("%d messages", len(s.Messages))
				}
			}
		})
	}
}

// makeBenchFolder writes n messages as nmh or imap4d would leave them,
// with a matching .mu-prop.
func makeBenchFolder(b *testing.B, path string, n int, status bool) {
	b.Helper()
	if err := os.MkdirAll(path, 0o700); err != nil {
		b.Fatal(err)
	}
	letters := []string{"O", "RO", "ROA", "ROF", "RO"}
	for i := 1; i <= n; i++ {
		body := "From: a@example.org\nSubject: benchmark\n"
		if status {
			body += "Status: " + letters[i%len(letters)] + "\n"
		}
		body += "\nHello.\n"
		if err := os.WriteFile(filepath.Join(path, strconv.Itoa(i)), []byte(body), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	p := props{UIDNext: uint32(n + 1), UIDValidity: 1700000000, RecentFrom: uint32(n + 1)}
	if err := os.WriteFile(filepath.Join(path, propsFile), p.Encode(), 0o600); err != nil {
		b.Fatal(err)
	}
	if !status {
		seq := fmt.Sprintf("unseen: %d-%d\nflagged: 1-%d\nreplied: 7 9 11\nJunk: 3-5\n", n/2, n, n/10)
		if err := os.WriteFile(filepath.Join(path, seqFile), []byte(seq), 0o600); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetFlags measures one flag change in a folder of 10,000
// messages: a rewrite of .mh_sequences, synced.
func BenchmarkSetFlags(b *testing.B) {
	path := filepath.Join(b.TempDir(), "nmh")
	makeBenchFolder(b, path, 10_000, false)
	f := mustOpen(b, testDriver(), path)
	mustScan(b, f)
	i := 0
	for b.Loop() {
		i++
		if err := f.SetFlags(uint32(i%10_000+1), []string{`\Seen`, fmt.Sprint("kw", i%3)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetFlagsBatch10k measures STORE 1:* +FLAGS of a folder of
// 10,000 messages: the check of every message's file (one lstat(2)
// each) and one rewrite of .mh_sequences, synced. The flags alternate,
// so that every round changes the file.
func BenchmarkSetFlagsBatch10k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "nmh")
	makeBenchFolder(b, path, 10_000, false)
	f := mustOpen(b, testDriver(), path)
	mustScan(b, f)
	changes := make([]storage.FlagChange, 10_000)
	i := 0
	for b.Loop() {
		i++
		flags := []string{`\Seen`, fmt.Sprint("kw", i%2)}
		for k := range changes {
			changes[k] = storage.FlagChange{UID: uint32(k + 1), Flags: flags}
		}
		if err := f.SetFlagsBatch(changes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend measures one APPEND of a 4 KB message into a folder
// that grows by it: the write and fsync of the file, .mu-prop raised and
// synced, the link to its number, the directory synced, .mh_sequences
// rewritten and a record added to the numbers file. "flags" asks for
// \Seen and a keyword, as a client saving a sent message does; "10k"
// appends to a folder of 10,000 messages.
func BenchmarkAppend(b *testing.B) {
	body := "From: a@example.org\r\nSubject: benchmark\r\n\r\n" + strings.Repeat("All work and no play.\r\n", 176)
	for _, bb := range []struct {
		name  string
		flags []string
		n     int
	}{{"plain", nil, 0}, {"flags", []string{`\Seen`, "Sent"}, 0}, {"10k", nil, 10_000}} {
		b.Run(bb.name, func(b *testing.B) {
			path, d := newFolder(b)
			if bb.n > 0 {
				makeBenchFolder(b, path, bb.n, false)
			}
			f := mustOpen(b, d, path)
			mustScan(b, f)
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := f.Append(strings.NewReader(body), bb.flags, time.Time{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen measures opening and reading one message's header, as a
// first FETCH ENVELOPE does for each message, in a folder of 10,000:
// "locked" through Open, "quick" through OpenQuick (the core's lock-free
// path). Each open also checks that the file is the one the scan saw.
func BenchmarkOpen(b *testing.B) {
	path := filepath.Join(b.TempDir(), "nmh")
	makeBenchFolder(b, path, 10_000, false)
	f := mustOpen(b, testDriver(), path)
	mustScan(b, f)
	buf := make([]byte, 512)
	open := map[string]func(uid uint32) (io.ReadCloser, error){
		"locked": f.Open,
		"quick": func(uid uint32) (io.ReadCloser, error) {
			rc, ok := f.OpenQuick(uid)
			if !ok {
				return nil, fmt.Errorf("uid %d: OpenQuick failed", uid)
			}
			return rc, nil
		},
	}
	for _, name := range []string{"locked", "quick"} {
		b.Run(name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				rc, err := open[name](uint32(i%10_000 + 1))
				if err != nil {
					b.Fatal(err)
				}
				rc.Read(buf)
				rc.Close()
			}
		})
	}
}

// BenchmarkNumbers10k measures what the numbers file adds to every scan
// of a folder of 10,000 messages that nothing renumbered: reading and
// checking the file, and comparing it with what the scan found.
func BenchmarkNumbers10k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "nmh")
	makeBenchFolder(b, path, 10_000, false)
	f := mustOpen(b, testDriver(), path)
	mustScan(b, f)
	cands := make([]candidate, 0, 10_000)
	for num, k := range f.known {
		cands = append(cands, candidate{num: num, meta: fileMeta{fileID: k.fileID}})
	}
	slices.SortFunc(cands, func(a, b candidate) int { return cmp.Compare(a.num, b.num) })
	for b.Loop() {
		n, ok := readNumbering(path)
		if !ok || !n.holds(f.validity, f.uidNext, f.dir, cands) {
			b.Fatal("the numbers file does not hold")
		}
	}
}
