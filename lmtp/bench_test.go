package lmtp_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// benchMessage is a 4 KiB message, as the benchmark rows use.
var benchMessage = func() string {
	var b strings.Builder
	b.WriteString("From: s@example.net\r\nTo: alice@example.org\r\nSubject: bench\r\n\r\n")
	for b.Len() < 4096-80 {
		b.WriteString("a line of a benchmark message, about seventy octets long, as mail is\r\n")
	}
	return b.String()
}()

// BenchmarkDeliver delivers 4 KiB messages to alice from 1 and 10
// concurrent senders, each on its own connection, and reports messages
// per second. MAILGATE_BENCH_LMTP=host:port measures another LMTP server
// instead (Dovecot's, with a user alice), with the same client.
func BenchmarkDeliver(b *testing.B) {
	formats := []string{"maildir", "mbox", "mh"}
	external := os.Getenv("MAILGATE_BENCH_LMTP")
	if external != "" {
		formats = []string{"external"}
	}
	for _, format := range formats {
		for _, senders := range []int{1, 10} {
			b.Run(fmt.Sprintf("%s/senders=%d", format, senders), func(b *testing.B) {
				addr := external
				if addr == "" {
					addr = newEnv(b, envConfig{format: format}).addr
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				errs := make(chan error, senders)
				b.ResetTimer()
				for range senders {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c, err := dialClient(addr)
						if err != nil {
							errs <- err
							return
						}
						defer c.Close()
						for next.Add(1) <= int64(b.N) {
							if err := sendOne(c, []string{"alice@example.org"}, benchMessage); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}
