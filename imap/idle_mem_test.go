package imap_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIdleMemory measures what a session sitting in IDLE costs the server:
// heap, stack and goroutines per connection, and how fast an EXISTS reaches
// the idling clients. It is a measurement, not a check, and runs only when
// MAILGATE_IDLE_MEM gives the number of clients, e.g.
//
//	MAILGATE_IDLE_MEM=1000 go test -run TestIdleMemory -v ./imap/
//
// MAILGATE_IDLE_COMPRESS=1 has every client turn COMPRESS=DEFLATE on
// before it selects (the inflate state the clients keep on their side is
// measured apart and left out of the server-side estimate).
// MAILGATE_IDLE_MSGS sets the messages in INBOX (10,000 by default) and
// MAILGATE_IDLE_PROFILE a file for the heap profile taken with every
// client in IDLE (and FILE.base, taken before the clients came); look at
// them with go tool pprof -sample_index=inuse_space -top FILE, or
// -sample_index=alloc_space -base FILE.base FILE for what setting the
// clients up allocated.
func TestIdleMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("MAILGATE_IDLE_MEM"))
	if n <= 0 {
		t.Skip("set MAILGATE_IDLE_MEM=<clients> to measure IDLE memory")
	}
	msgs := 10000
	if v, err := strconv.Atoi(os.Getenv("MAILGATE_IDLE_MSGS")); err == nil && v > 0 {
		msgs = v
	}
	runtime.MemProfileRate = 512
	defer func() { runtime.MemProfileRate = 512 * 1024 }()

	e := startServer(t, nil)
	fillMaildir(t, e, msgs)
	// One session keeps INBOX loaded, so that the shared mailbox is in
	// the baseline and only per-session costs are measured; with
	// MAILGATE_IDLE_COLD set, the first client loads it, as in bench/.
	if os.Getenv("MAILGATE_IDLE_COLD") == "" {
		keeper := e.raw()
		keeper.login("alice")
		keeper.ok("k EXAMINE INBOX")
	}

	// The clients' side of the connections lives in this process too:
	// measure what a bare pair of loopback connections costs and count
	// half of it as the client's.
	pairCost := connPairCost(t, n)
	compress := os.Getenv("MAILGATE_IDLE_COMPRESS") != ""
	clientCost := 0.0
	if compress {
		clientCost = clientInflateCost(n)
	}

	before := memSnapshot()
	if p := os.Getenv("MAILGATE_IDLE_PROFILE"); p != "" {
		// The base for go tool pprof -base, to see what the clients
		// allocated (alloc_space) apart from filling the mailbox.
		writeHeapProfile(t, p+".base")
	}
	clients := make([]net.Conn, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	errc := make(chan error, 4)
	start := time.Now()
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				c, err := idleClient(e.addr, compress)
				if err != nil {
					errc <- fmt.Errorf("client %d: %w", i, err)
					return
				}
				clients[i] = c
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	t.Logf("%d clients in IDLE on a %d-message INBOX after %v", n, msgs, time.Since(start).Round(time.Millisecond))
	time.Sleep(500 * time.Millisecond)
	after := memSnapshot()
	if p := os.Getenv("MAILGATE_IDLE_PROFILE"); p != "" {
		writeHeapProfile(t, p)
	}
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(n) / 1024 }
	t.Logf("per connection: heap in use %.2f KiB (of which the client's net.Conn about %.2f KiB), stack in use %.2f KiB, goroutines %.2f, RSS %.2f KiB (client side included)",
		per(after.heap, before.heap), pairCost/2/1024, per(after.stack, before.stack),
		float64(after.goroutines-before.goroutines)/float64(n), per(after.rss, before.rss))
	t.Logf("allocated while the clients set up: %.1f KiB per connection, clients included", per(after.alloc, before.alloc))
	sample := []metrics.Sample{{Name: "/gc/stack/starting-size:bytes"}}
	metrics.Read(sample)
	t.Logf("new goroutines start with %d-byte stacks", sample[0].Value.Uint64())
	t.Logf("server-side estimate: %.2f KiB per IDLE connection (heap + stack - client conn - client inflater %.2f KiB; compressed: %v)",
		per(after.heap+after.stack, before.heap+before.stack)-pairCost/2/1024-clientCost/1024, clientCost/1024, compress)

	// Wake-up: another session appends; every idling client must hear
	// EXISTS. The mailbox tells the sessions just before APPEND's tagged
	// OK is written, so the latency is taken from the moment the appending
	// client reads its OK (an idling client may even be told first, which
	// shows as a negative figure); APPEND's own time is logged beside it.
	readers := make([]*bufio.Reader, n)
	for i, c := range clients {
		readers[i] = bufio.NewReaderSize(c, 512)
	}
	appender := e.raw()
	appender.login("alice")
	for round := 1; round <= 5; round++ {
		got := make([]time.Time, n)
		var wg sync.WaitGroup
		want := "* " + strconv.Itoa(msgs+round) + " EXISTS"
		errs := make(chan error, n)
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				clients[i].SetReadDeadline(time.Now().Add(30 * time.Second))
				for {
					l, err := readers[i].ReadString('\n')
					if err != nil {
						errs <- fmt.Errorf("client %d: %v", i, err)
						return
					}
					if strings.TrimRight(l, "\r\n") == want {
						got[i] = time.Now()
						return
					}
				}
			}()
		}
		time.Sleep(100 * time.Millisecond) // let the readers block
		t0 := time.Now()
		appender.appendMsg("INBOX", "", testMessage("wake"+strconv.Itoa(round), "x"))
		tOK := time.Now()
		wg.Wait()
		select {
		case err := <-errs:
			t.Fatal(err)
		default:
		}
		lat := make([]time.Duration, n)
		for i := range got {
			lat[i] = got[i].Sub(tOK)
		}
		slices.Sort(lat)
		t.Logf("wake-up round %d (APPEND took %v): EXISTS after APPEND's OK: first %v, median %v, p99 %v, last %v", round,
			tOK.Sub(t0).Round(time.Microsecond), lat[0].Round(time.Microsecond), lat[n/2].Round(time.Microsecond),
			lat[n*99/100].Round(time.Microsecond), lat[n-1].Round(time.Microsecond))
	}
	// Every client leaves IDLE cleanly; each DONE is a wake-up by the
	// client, timed to its tagged OK.
	done := make([]time.Duration, n)
	for i, c := range clients {
		t0 := time.Now()
		io.WriteString(c, "DONE\r\n")
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		for {
			l, err := readers[i].ReadString('\n')
			if err != nil {
				t.Fatalf("client %d after DONE: %v", i, err)
			}
			if strings.HasPrefix(l, "i ") {
				if !strings.HasPrefix(l, "i OK") {
					t.Fatalf("client %d: DONE answered %q", i, l)
				}
				break
			}
		}
		done[i] = time.Since(t0)
	}
	slices.Sort(done)
	t.Logf("DONE to tagged OK, one client at a time: median %v, p99 %v, max %v",
		done[n/2].Round(time.Microsecond), done[n*99/100].Round(time.Microsecond), done[n-1].Round(time.Microsecond))
}

// idleClient logs alice in, selects INBOX and starts IDLE; it returns the
// bare connection, with nothing of the client buffered.
func idleClient(addr string, compress bool) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c.SetReadDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReaderSize(c, 4096)
	expect := func(prefix string) error {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if strings.HasPrefix(l, prefix) {
				if prefix != "+ " && !strings.HasPrefix(l, prefix+"OK") {
					return fmt.Errorf("%q", l)
				}
				return nil
			}
		}
	}
	steps := []struct{ cmd, prefix string }{
		{"", "* "},
		{"l LOGIN alice secret\r\n", "l "},
		{"s SELECT INBOX\r\n", "s "},
		{"i IDLE\r\n", "+ "},
	}
	if compress {
		steps = slices.Insert(steps, 2, struct{ cmd, prefix string }{"z COMPRESS DEFLATE\r\n", "z "})
	}
	var conn net.Conn = c
	for _, st := range steps {
		if st.cmd != "" {
			if _, err := io.WriteString(conn, st.cmd); err != nil {
				c.Close()
				return nil, err
			}
		}
		if err := expect(st.prefix); err != nil {
			c.Close()
			return nil, fmt.Errorf("%s: %w", strings.TrimSpace(st.cmd), err)
		}
		if strings.HasPrefix(st.cmd, "z ") {
			// A writer for each write, as the server does, so that
			// the clients' side holds no compressor while it idles.
			conn = &clientDeflate{Conn: c, fr: flate.NewReader(c)}
			r = bufio.NewReaderSize(conn, 4096)
		}
	}
	if r.Buffered() > 0 {
		c.Close()
		return nil, fmt.Errorf("unexpected data after IDLE")
	}
	c.SetReadDeadline(time.Time{})
	return conn, nil
}

func writeHeapProfile(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Fatal(err)
	}
}

// connPairCost returns the heap and stack that n idle loopback
// connection pairs (both ends held, nobody reading) cost, per pair.
func connPairCost(t *testing.T, n int) float64 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	before := memSnapshot()
	conns := make([]net.Conn, 0, 2*n)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c, s)
	}
	after := memSnapshot()
	for _, c := range conns {
		c.Close()
	}
	return (float64(after.heap+after.stack) - float64(before.heap+before.stack) - float64(cap(conns)*16)) / float64(n)
}

// clientInflateCost returns what the inflater of a client's side of
// COMPRESS=DEFLATE costs, per client, for n clients.
func clientInflateCost(n int) float64 {
	before := memSnapshot()
	rs := make([]io.ReadCloser, n)
	for i := range rs {
		rs[i] = flate.NewReader(bytes.NewReader(nil))
	}
	after := memSnapshot()
	runtime.KeepAlive(rs)
	return (float64(after.heap) - float64(before.heap) - float64(cap(rs)*16)) / float64(n)
}

type memStats struct {
	heap, stack, rss, alloc uint64
	goroutines              int
}

func memSnapshot() memStats {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memStats{alloc: ms.TotalAlloc, heap: ms.HeapInuse, stack: ms.StackInuse, rss: vmRSS(), goroutines: runtime.NumGoroutine()}
}

// vmRSS returns the process's resident size from /proc, or 0.
func vmRSS() uint64 {
	b, err := os.ReadFile(filepath.Join("/proc", "self", "status"))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
