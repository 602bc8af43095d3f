package maildir

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func BenchmarkScan10k(b *testing.B)  { benchmarkScan(b, 10_000) }
func BenchmarkScan100k(b *testing.B) { benchmarkScan(b, 100_000) }

// benchmarkScan measures Scan on n messages: "cold" opens a new Folder
// each time, "cold-shared" too while another Folder on the maildir is
// open (as another session would have it), "warm" rescans a Folder that has seen the files (the
// directories reread), "unchanged" rescans directories whose times prove
// that nothing changed. "ours" files carry W=; "imap4d" files have only
// u=, so a cold scan reads each one.
func benchmarkScan(b *testing.B, n int) {
	for _, kind := range []string{"ours", "imap4d"} {
		path := filepath.Join(b.TempDir(), kind)
		makeBenchMaildir(b, path, n, kind == "ours")
		d := testDriver()
		b.Run(kind+"/cold", func(b *testing.B) {
			for b.Loop() {
				f, err := d.Open(path, 0o600)
				if err != nil {
					b.Fatal(err)
				}
				if s := mustScan(b, f); len(s.Messages) != n {
					b.Fatalf("%d messages", len(s.Messages))
				}
				f.Close()
			}
		})
		b.Run(kind+"/cold-shared", func(b *testing.B) {
			other := mustOpen(b, d, path)
			mustScan(b, other)
			for b.Loop() {
				f, err := d.Open(path, 0o600)
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
			f := mustOpen(b, d, path)
			mustScan(b, f)
			for b.Loop() {
				f.stamp.valid = false
				if s := mustScan(b, f); len(s.Messages) != n {
					b.Fatalf("%d messages", len(s.Messages))
				}
			}
		})
		b.Run(kind+"/unchanged", func(b *testing.B) {
			old := time.Now().Add(-time.Hour)
			for _, sub := range []string{"new", "cur"} {
				os.Chtimes(filepath.Join(path, sub), old, old)
			}
			f := mustOpen(b, d, path)
			mustScan(b, f)
			if !f.stamp.valid {
				b.Fatal("stamp not trusted")
			}
			for b.Loop() {
				if s := mustScan(b, f); len(s.Messages) != n {
					b.Fatalf("%d messages", len(s.Messages))
				}
			}
		})
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
