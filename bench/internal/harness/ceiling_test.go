package harness

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailgate/mailgate/bench/internal/corpus"
)

// The client's ceiling: the body rows ("UID FETCH 1000 msgs BODY.PEEK[]"
// and "FETCH largest message") can only tell servers apart while the
// harness's own client reads faster than they send. These benchmarks run
// the client that those rows use against memServer, which answers every
// FETCH with the same bytes as a server would (the full run's corpus,
// seed 1, CRLF line ends) written from memory, so that what they measure
// is the client, the loopback and the kernel's copies:
//
//	go test ./bench/internal/harness -run '^$' -bench Ceiling -count 6
//
// MB/s is the rate the row would report against a server that costs
// nothing; cpu-ns/B is the CPU of the whole test process (client and the
// server's writes, user and system) per byte, steadier than the rate on
// a busy machine.

// ceilingCorpus is the first FetchBodies ordinary messages of a full
// 10,000-message run and its largest message, each as a FETCH response.
type ceilingCorpus struct {
	bodies, big       []byte // the FETCH responses
	bodySet           imap.UIDSet
	bigUID            uint32
	bodyBytes, bigLen int64
	digests           map[uint32]uint32
}

var ceiling = sync.OnceValue(func() *ceilingCorpus {
	p := Full(10000)
	c := corpus.New(corpus.Spec{N: p.N, Seed: p.Seed, BigSizes: p.BigSizes})
	e := newExpect(c, &p)
	cc := &ceilingCorpus{bodySet: e.bodySet, bigUID: e.big, digests: e.digests}
	var b bytes.Buffer
	for i, uid := range e.bodyUIDs {
		msg := bytes.ReplaceAll(c.Message(uid), []byte("\n"), []byte("\r\n"))
		fmt.Fprintf(&b, "* %d FETCH (UID %d BODY[] {%d}\r\n", i+1, uid, len(msg))
		b.Write(msg)
		b.WriteString(")\r\n")
		cc.bodyBytes += int64(len(msg))
	}
	cc.bodies = b.Bytes()
	msg := bytes.ReplaceAll(c.Message(e.big), []byte("\n"), []byte("\r\n"))
	cc.big = fmt.Appendf(nil, "* %d FETCH (UID %d BODY[] {%d}\r\n", e.big, e.big, len(msg))
	cc.big = append(append(cc.big, msg...), ")\r\n"...)
	cc.bigLen = int64(len(msg))
	return cc
})

// memServer is an IMAP server in name only: it greets, answers a UID
// FETCH of the big message's UID with that message and any other FETCH
// with all the bodies, and says OK to everything else.
func memServer(tb testing.TB, cc *ceilingCorpus) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	bigCmd := fmt.Sprintf("UID FETCH %d ", cc.bigUID)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				nc.Write([]byte("* OK memServer\r\n"))
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					tag, cmd, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
					switch {
					case strings.HasPrefix(cmd, bigCmd):
						nc.Write(cc.big)
					case strings.HasPrefix(cmd, "UID FETCH "):
						nc.Write(cc.bodies)
					case cmd == "LOGOUT":
						nc.Write([]byte("* BYE\r\n"))
					}
					if _, err := nc.Write([]byte(tag + " OK done\r\n")); err != nil || cmd == "LOGOUT" {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkCeiling(b *testing.B) {
	cc := ceiling()
	addr := memServer(b, cc)
	for _, tc := range []struct {
		name  string
		set   imap.UIDSet
		bytes int64
		count int
	}{
		{"bodies", cc.bodySet, cc.bodyBytes, 1000},
		{"big", imap.UIDSetNum(imap.UID(cc.bigUID)), cc.bigLen, 1},
	} {
		b.Run("floor/"+tc.name, func(b *testing.B) {
			// The loopback and the kernel alone: the answer's bytes read
			// and dropped, no framing, no checksum.
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			br := bufio.NewReaderSize(nc, 256<<10)
			if _, err := br.ReadString('\n'); err != nil {
				b.Fatal(err)
			}
			answer := int64(len(cc.bodies))
			if tc.count == 1 {
				answer = int64(len(cc.big))
			}
			answer += int64(len("f OK done\r\n"))
			ceilingLoop(b, tc.bytes, tc.count, func(each func(body)) (int64, error) {
				if _, err := fmt.Fprintf(nc, "f UID FETCH %s (UID BODY.PEEK[])\r\n", tc.set); err != nil {
					return 0, err
				}
				if _, err := io.CopyN(io.Discard, br, answer); err != nil {
					return 0, err
				}
				for range tc.count {
					each(body{})
				}
				return tc.bytes, nil
			})
		})
		b.Run("wire/"+tc.name, func(b *testing.B) {
			w, err := dialWire(context.Background(), addr, time.Minute)
			if err != nil {
				b.Fatal(err)
			}
			defer w.close()
			check := func(got body) {
				if got.sum != cc.digests[uint32(got.uid)] {
					b.Fatalf("message %d: digest differs", got.uid)
				}
			}
			ceilingLoop(b, tc.bytes, tc.count, func(each func(body)) (int64, error) {
				return w.fetchBodies(tc.set.String(), func(got body) { check(got); each(got) })
			})
		})
		b.Run("goimap/"+tc.name, func(b *testing.B) {
			c, err := dial(context.Background(), addr, time.Minute)
			if err != nil {
				b.Fatal(err)
			}
			defer c.close()
			ceilingLoop(b, tc.bytes, tc.count, func(each func(body)) (int64, error) {
				return c.fetchBodies(tc.set, func(got body) {
					if got.sum != cc.digests[uint32(got.uid)] {
						b.Fatalf("message %d: digest differs", got.uid)
					}
					each(got)
				})
			})
		})
	}
}

// ceilingLoop runs fetch b.N times, checking that every body came.
func ceilingLoop(b *testing.B, size int64, count int, fetch func(each func(body)) (int64, error)) {
	b.SetBytes(size)
	b.ReportAllocs()
	cpu := cpuTime()
	b.ResetTimer()
	for range b.N {
		n := 0
		total, err := fetch(func(body) { n++ })
		if err != nil {
			b.Fatal(err)
		}
		if total != size || n != count {
			b.Fatalf("%d bodies, %d bytes; want %d, %d", n, total, count, size)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(size)/float64(b.N), "cpu-ns/B")
}
