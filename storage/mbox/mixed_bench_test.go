package mbox

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// BenchmarkMixed runs bench/'s mixed workload through the storage core on
// one mbox INBOX: each client, at random, looks up a page of 20 messages
// with their envelopes (35%), reads a message (30%), searches the unseen
// ones (10%), flags or unflags one message (15%) or polls (10%). It
// reports ops/s and latency percentiles.
//
// Each run lasts MBOX_BENCH_TIME (10s) whatever b.N, so that it spans
// several rewrites of the file: run it with -benchtime 1x. The mailbox
// has MBOX_BENCH_N messages (10,000) of mean size MBOX_BENCH_KB (8;
// bench/'s corpus has 80, an 815 MB file) as imap4d writes them.
// MBOX_BENCH_FLUSH sets Options.FlushDelay (1s, the server's; "-1ns"
// writes every change at once). MBOX_BENCH_DEBUG=1 logs the driver's
// debug messages and the slow operations. Each client pauses
// MBOX_BENCH_THINK (10ms) between operations, standing for the protocol
// and the client, so that latency comes from waiting on the mailbox
// rather than from 100 goroutines spinning on 2 cores.
func BenchmarkMixed(b *testing.B) {
	n := envInt(b, "MBOX_BENCH_N", 10_000)
	kb := envInt(b, "MBOX_BENCH_KB", 8)
	flush := envDuration(b, "MBOX_BENCH_FLUSH", time.Second)
	think := envDuration(b, "MBOX_BENCH_THINK", 10*time.Millisecond)
	run := envDuration(b, "MBOX_BENCH_TIME", 10*time.Second)
	home := b.TempDir()
	size := makeRealisticMbox(b, filepath.Join(home, "INBOX"), n, kb<<10)
	b.Logf("INBOX: %d messages, %d MB", n, size/1e6)
	for _, clients := range []int{10, 100} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			benchmarkMixed(b, home, clients, flush, run, think)
		})
	}
}

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return v
}

func envDuration(b *testing.B, name string, def time.Duration) time.Duration {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return d
}

func benchmarkMixed(b *testing.B, home string, clients int, flush, run, think time.Duration) {
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("MBOX_BENCH_DEBUG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s := storage.New(storage.Options{
		Drivers: []storage.Driver{New(Options{FlushDelay: flush, Logger: log})},
		Logger:  log,
	})
	defer s.Close()
	a := s.Account(storage.User{Name: "u", Home: home}, &storage.Layout{
		Inbox: "mbox:$home/INBOX", DefaultType: "mbox",
		Personal: storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "", Directory: filepath.Join(home, "mail")}}},
	})
	views := make([]*storage.View, clients)
	for i := range views {
		v, err := a.Select("INBOX", false)
		if err != nil {
			b.Fatal(err)
		}
		defer v.Close()
		views[i] = v
	}
	// Envelopes come from the shared cache, as after bench/'s FETCH 1:*
	// (ENVELOPE).
	for _, uid := range views[0].UIDs() {
		if err := envelopeOf(views[0], uid); err != nil {
			b.Fatal(err)
		}
	}
	debug := os.Getenv("MBOX_BENCH_DEBUG") != ""
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	end := start.Add(run)
	for i, v := range views {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(1, uint64(1000+i)))
			for time.Now().Before(end) {
				t := time.Now()
				kind, err := mixedOp(v, rng)
				if err != nil {
					b.Error(err)
					return
				}
				d := time.Since(t)
				lat[i] = append(lat[i], d)
				time.Sleep(think)
				if debug && d > 200*time.Millisecond {
					fmt.Fprintf(os.Stderr, "%s: %s took %v\n", t.Format("15:04:05.000"), kind, d.Round(time.Millisecond))
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(int(p*float64(len(all))), len(all)-1)]) / 1e6
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}

type discardUpdates struct{}

func (discardUpdates) FlagsInUse([]string)                  {}
func (discardUpdates) Expunge(uint32)                       {}
func (discardUpdates) Exists(uint32, uint32)                {}
func (discardUpdates) Flags(uint32, *storage.Message, bool) {}

// mixedOp is one client command, followed by the poll the server makes
// after every command.
func mixedOp(v *storage.View, rng *rand.Rand) (kind string, err error) {
	uids := v.UIDs()
	n := len(uids)
	defer func() {
		t := time.Now()
		v.Poll(true, discardUpdates{})
		if d := time.Since(t); d > 100*time.Millisecond {
			kind += fmt.Sprintf(" (poll %v)", d)
		}
	}()
	switch x := rng.IntN(100); {
	case x < 35:
		kind = "envelopes"
		first := rng.IntN(max(n-19, 1))
		page := uids[first:min(first+20, n)]
		msgs := make([]storage.Message, len(page))
		v.Lookup(page, msgs)
		for _, m := range msgs {
			if err := envelopeOf(v, m.UID); err != nil {
				return kind, err
			}
		}
	case x < 65:
		kind = "read"
		// bench/ reads among the first 1,000 messages.
		uid := uids[rng.IntN(min(n, 1000))]
		rc, _, err := v.Open(uid)
		if err != nil {
			return kind, err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return kind, err
		}
	case x < 75:
		kind = "search"
		msgs := make([]storage.Message, 256)
		unseen := 0
		for i := 0; i < n; i += 256 {
			chunk := uids[i:min(i+256, n)]
			v.Lookup(chunk, msgs[:len(chunk)])
			for _, m := range msgs[:len(chunk)] {
				if !storage.HasFlag(m.Flags, storage.FlagSeen) {
					unseen++
				}
			}
		}
	case x < 90:
		kind = "store"
		op := storage.AddFlags
		if rng.IntN(2) == 0 {
			op = storage.RemoveFlags
		}
		if _, err := v.Store(uids[rng.IntN(n):][:1], op, []string{storage.FlagFlagged}); err != nil {
			return kind, err
		}
	default:
		kind = "noop"
	}
	return kind, nil
}

// envelopeOf stands for FETCH ENVELOPE: the cached value, or the
// message's header read and cached.
func envelopeOf(v *storage.View, uid uint32) error {
	if _, ok := v.Cached(uid, "env"); ok {
		return nil
	}
	rc, _, err := v.Open(uid)
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(rc, 4096)
	var h []byte
	for {
		line, err := br.ReadSlice('\n')
		h = append(h, line...)
		if err != nil || len(line) <= 2 {
			break
		}
	}
	rc.Close()
	v.SetCached(uid, "env", h)
	return nil
}

// makeRealisticMbox writes n messages of about mean bytes on average
// (log-normal sizes: many small, a few large) as imap4d leaves them, 70%
// of them \Seen, and returns the file's size.
func makeRealisticMbox(b *testing.B, path string, n, mean int) int64 {
	b.Helper()
	file, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(file, 1<<20)
	rng := rand.New(rand.NewPCG(7, 7))
	// A log-normal with sigma 1.9 has its mean at median*e^(sigma²/2).
	const sigma = 1.9
	median := float64(mean) / math.Exp(sigma*sigma/2)
	line := bytes.Repeat([]byte("abcdefghij"), 7)
	date := time.Date(2023, 11, 6, 10, 0, 0, 0, time.Local)
	for i := 1; i <= n; i++ {
		w.Write(fromLine("sender@example.org", date.Add(time.Duration(i)*time.Minute)))
		fmt.Fprintf(w, "Return-Path: <sender@example.org>\nReceived: from mx.example.org by host with ESMTP id %d\n"+
			"Message-ID: <%d@example.org>\nFrom: Sender <sender@example.org>\nTo: user@example.org\n"+
			"Subject: message number %d\nDate: Mon, 6 Nov 2023 10:00:00 +0000\n", i, i, i)
		if i == 1 {
			w.Write(appendBase(nil, 1795729968, uint32(n+1)))
		}
		status := "O"
		if rng.IntN(10) < 7 {
			status = "RO"
		}
		fmt.Fprintf(w, "Status: %s\nX-UID: %d\n\n", status, i)
		body := int(min(median*math.Exp(sigma*rng.NormFloat64()), 64<<20))
		for k := 0; k < body; k += len(line) + 1 {
			w.Write(line)
			w.WriteByte('\n')
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
