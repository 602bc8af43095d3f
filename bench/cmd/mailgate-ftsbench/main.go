// Command mailgate-ftsbench measures mailgate's full-text index
// (storage/fts) on the bench harness's corpus, without a server: the
// cost of extracting and indexing each message, the index's bytes per
// message on disk and in memory, the time to load it, and the time of
// SEARCH TEXT's candidate query. With -dump it also writes the extracted
// texts (a length-prefixed stream) for comparing other indexes.
//
//	go run ./bench/cmd/mailgate-ftsbench -n 10000
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/bench/internal/corpus"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage/fts"
)

func main() {
	n := flag.Int("n", 10000, "messages")
	seed := flag.Uint64("seed", 1, "corpus seed")
	dump := flag.String("dump", "", "write the extracted texts here")
	dir := flag.String("dir", "", "directory for the index (default: a temporary one)")
	texts := flag.String("texts", "", "index the texts a -dump wrote instead (process CPU time, as other indexes are measured)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the build here")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "ftsbench")
		if err != nil {
			fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	path := filepath.Join(*dir, "INBOX.fts")
	if *texts != "" {
		indexTexts(*texts, path)
		return
	}
	c := corpus.New(corpus.Spec{N: *n, Seed: *seed, BigSizes: corpus.DefaultBigSizes(*n)})
	x, err := fts.Open(path, 1)
	if err != nil {
		fatal(err)
	}
	var out *bufio.Writer
	if *dump != "" {
		f, err := os.Create(*dump)
		if err != nil {
			fatal(err)
		}
		defer f.Close()
		out = bufio.NewWriter(f)
		defer out.Flush()
	}
	// CPU time of this thread: the machine may be shared, so wall time
	// says little.
	runtime.LockOSThread()
	var gen, extract, index time.Duration
	var raw, text int64
	for uid := uint32(1); uid <= uint32(*n); uid++ {
		t0 := cpuNow()
		msg := c.Message(uid)
		t1 := cpuNow()
		d, err := imap.FullTextDoc(bytes.NewReader(msg))
		if err != nil {
			fatal(err)
		}
		t2 := cpuNow()
		x.Add(uid, d)
		if x.Pending() >= 1<<20 {
			if err := x.Flush(); err != nil {
				fatal(err)
			}
		}
		t3 := cpuNow()
		gen += t1 - t0
		extract += t2 - t1
		index += t3 - t2
		raw += int64(len(msg))
		text += int64(len(d.Text))
		if out != nil {
			var hdr [8]byte
			binary.BigEndian.PutUint32(hdr[:], uint32(len(d.Text)))
			binary.BigEndian.PutUint32(hdr[4:], uint32(d.BodyStart))
			out.Write(hdr[:])
			out.Write(d.Text)
		}
	}
	if err := x.Flush(); err != nil {
		fatal(err)
	}
	st := x.Stats()
	x.Close()
	per := func(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d.Microseconds())/float64(*n)) }
	fmt.Printf("messages %d, raw %.1f MB, extracted text %.1f MB (%d B/message)\n", *n, float64(raw)/1e6, float64(text)/1e6, text/int64(*n))
	fmt.Printf("CPU per message: generate %s, extract %s, index %s; build rate (extract+index) %.0f messages/s\n",
		per(gen), per(extract), per(index), float64(*n)/(extract+index).Seconds())
	fmt.Printf("index: %d trigrams, %d messages in the log, files %.1f MB (%d B/message)\n",
		st.Trigrams, st.TailMessages, float64(st.FileSize)/1e6, st.FileSize/int64(*n))

	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	t := cpuNow()
	y, err := fts.Open(path, 1)
	if err != nil {
		fatal(err)
	}
	load := cpuNow() - t
	runtime.GC()
	runtime.ReadMemStats(&m1)
	fmt.Printf("load: %.0f ms CPU, heap %.1f MB (%d B/message)\n", float64(load.Microseconds())/1000,
		float64(m1.HeapAlloc-m0.HeapAlloc)/1e6, int64(m1.HeapAlloc-m0.HeapAlloc)/int64(*n))
	for _, q := range []struct {
		needle string
		zone   fts.Zone
	}{{corpus.SearchWord, fts.Text}, {corpus.SearchWord, fts.Body}, {"the", fts.Text}, {"meeting", fts.Body}, {corpus.SearchFrom, fts.Header}} {
		var best time.Duration
		var count int
		for i := 0; i < 5; i++ {
			t := time.Now()
			f := y.Filter(q.needle, q.zone)
			d := time.Since(t)
			if i == 0 || d < best {
				best = d
			}
			count = f.Count()
		}
		fmt.Printf("query %q zone %d: %d candidates, %.2f ms (best of 5, wall)\n", q.needle, q.zone, count, float64(best.Microseconds())/1000)
	}
	runtime.KeepAlive(y)
}

// indexTexts indexes the texts that -dump wrote and reports the
// process's CPU time per message.
func indexTexts(texts, path string) {
	f, err := os.Open(texts)
	if err != nil {
		fatal(err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	x, err := fts.Open(path, 1)
	if err != nil {
		fatal(err)
	}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	n := 0
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			break
		}
		text := make([]byte, binary.BigEndian.Uint32(hdr[:]))
		if _, err := io.ReadFull(br, text); err != nil {
			fatal(err)
		}
		n++
		x.Add(uint32(n), &fts.Doc{Text: text, BodyStart: int(binary.BigEndian.Uint32(hdr[4:]))})
		if x.Pending() >= 1<<20 {
			if err := x.Flush(); err != nil {
				fatal(err)
			}
		}
	}
	if err := x.Flush(); err != nil {
		fatal(err)
	}
	if err := x.Merge(); err != nil {
		fatal(err)
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	st := x.Stats()
	fmt.Printf("trigram index of %d texts: process CPU %.0f µs/message (%.0f messages/s), files %.1f MB (%d B/message)\n",
		n, float64(cpu.Microseconds())/float64(n), float64(n)/cpu.Seconds(), float64(st.FileSize)/1e6, st.FileSize/int64(n))
}

// cpuNow returns the CPU time this thread has used.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mailgate-ftsbench:", err)
	os.Exit(1)
}
