package mbox

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func BenchmarkScan10k(b *testing.B)  { benchmarkScan(b, 10_000) }
func BenchmarkScan100k(b *testing.B) { benchmarkScan(b, 100_000) }

// benchmarkScan measures Scan of an mbox of n messages as imap4d leaves
// it (about 700 bytes each): "cold" parses it (no index), "index" is a
// new Folder that finds the sidecar index (SELECT after a restart),
// "unchanged" rescans an open Folder.
func benchmarkScan(b *testing.B, n int) {
	path := filepath.Join(b.TempDir(), "INBOX")
	size := makeBenchMbox(b, path, n)
	d := testDriver(b, Options{})
	scan := func(b *testing.B, f *Folder) {
		s, err := f.Scan()
		if err != nil || len(s.Messages) != n {
			b.Fatalf("%d messages, %v", len(s.Messages), err)
		}
	}
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(size)
		for b.Loop() {
			os.Remove(indexPath(path))
			f := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
			scan(b, f)
			f.indexStale = false
			f.Close()
		}
	})
	f := mustOpen(b, d, path)
	scan(b, f)
	f.Close()
	b.Run("index", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
			scan(b, f)
			if f.parses != 0 {
				b.Fatal("parsed")
			}
			f.Close()
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		f := mustOpen(b, d, path)
		scan(b, f)
		b.ReportAllocs()
		for b.Loop() {
			scan(b, f)
		}
	})
}

// makeBenchMbox writes n messages and returns the file's size.
func makeBenchMbox(b *testing.B, path string, n int) int64 {
	b.Helper()
	file, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(file, 1<<20)
	date := time.Date(2023, 11, 6, 10, 0, 0, 0, time.Local)
	for i := 1; i <= n; i++ {
		w.Write(fromLine("sender@example.org", date.Add(time.Duration(i)*time.Minute)))
		if i == 1 {
			w.Write(appendBase(nil, 1795729968, uint32(n+1)))
		}
		fmt.Fprintf(w, "Return-Path: <sender@example.org>\nReceived: from mx.example.org by host with ESMTP id %d\n"+
			"Message-ID: <%d@example.org>\nFrom: Sender <sender@example.org>\nTo: user@example.org\n"+
			"Subject: message number %d\nDate: Mon, 6 Nov 2023 10:00:00 +0000\nStatus: RO\nX-UID: %d\n\n", i, i, i, i)
		for l := 0; l < 5; l++ {
			fmt.Fprintf(w, "Line %d of the body of message %d, long enough to look like mail text.\n", l, i)
		}
		w.WriteString("\n")
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	fi, _ := file.Stat()
	file.Close()
	return fi.Size()
}

// BenchmarkRewrite100k measures the rewrite that one flag change costs
// in a 100,000-message mbox (as SELECT marking one new message seen).
func BenchmarkRewrite100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "INBOX")
	size := makeBenchMbox(b, path, 100_000)
	f := mustOpen(b, testDriver(b, Options{}), path)
	if _, err := f.Scan(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	flags := [][]string{{`\Seen`}, {`\Seen`, `\Flagged`}}
	i := 0
	for b.Loop() {
		i++
		if err := f.SetFlags(50_000, flags[i%2]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend measures APPEND to a 10,000-message mbox: "append" as
// COPY makes it (Append), "stage" as the core makes it from the network
// (Stage into a spool, then Commit).
func BenchmarkAppend(b *testing.B) {
	path := filepath.Join(b.TempDir(), "INBOX")
	makeBenchMbox(b, path, 10_000)
	f := mustOpen(b, testDriver(b, Options{}), path)
	if _, err := f.Scan(); err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("A line of the body of an appended message.\r\n", 40)
	msg := func() io.Reader { return strings.NewReader("Subject: x\r\n\r\n" + body) }
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.Append(msg(), nil, time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			st, err := f.Stage(msg(), nil, time.Time{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStoreJournaled measures the STORE of one message in a
// 100,000-message mbox as the server makes it (FlushDelay 1s): on disk
// in the journal when it returns, in the file with a later rewrite.
func BenchmarkStoreJournaled(b *testing.B) {
	path := filepath.Join(b.TempDir(), "INBOX")
	makeBenchMbox(b, path, 100_000)
	f := mustOpen(b, testDriver(b, Options{FlushDelay: time.Second}), path)
	if _, err := f.Scan(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	flags := [][]string{{`\Seen`}, {`\Seen`, `\Flagged`}}
	i := 0
	for b.Loop() {
		i++
		if err := f.SetFlags(uint32(1+i%100_000), flags[i%2]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanLarge measures a cold Scan (no index) of an mbox like
// bench/'s corpus: 10,000 messages of mean size MBOX_BENCH_KB (8; 80 for
// bench/'s 815 MB), most bytes in long bodies.
func BenchmarkScanLarge(b *testing.B) {
	const n = 10_000
	path := filepath.Join(b.TempDir(), "INBOX")
	size := makeRealisticMbox(b, path, n, envInt(b, "MBOX_BENCH_KB", 8)<<10)
	d := testDriver(b, Options{})
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		os.Remove(indexPath(path))
		f := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
		if s, err := f.Scan(); err != nil || len(s.Messages) != n {
			b.Fatalf("%d messages, %v", len(s.Messages), err)
		}
		f.indexStale = false
		f.Close()
	}
}
