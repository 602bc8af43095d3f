package main_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/lmtp/lmtptest"
)

// BenchmarkDeliveryProcess measures what a root daemon's LMTP delivery
// costs when it goes through a delivery process (a system user: the
// process starts, reads the configuration and, with a quota, counts
// every personal mailbox of the user, for each message) against one the
// daemon stores itself (a users-file user without a uid), with and
// without a quota, the user having MG_BENCH_BOXES mailboxes (100 unless
// set): one sender (the median of MG_BENCH_MESSAGES deliveries, 40
// unless set), and four senders at once (messages per second; the
// daemon's own deliveries share their fsyncs, delivery processes do
// not).
//
//	go test -run XXX -bench DeliveryProcess -benchtime 1x ./cmd/mailgate
func BenchmarkDeliveryProcess(b *testing.B) {
	n := envInt("MG_BENCH_MESSAGES", 40)
	boxes := envInt("MG_BENCH_BOXES", 100)
	for _, quota := range []bool{false, true} {
		for _, process := range []bool{true, false} {
			name := map[bool]string{true: "process", false: "daemon"}[process] + map[bool]string{true: "/quota", false: "/noquota"}[quota]
			b.Run(name, func(b *testing.B) {
				benchDelivery(b, process, quota, n, boxes)
			})
		}
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func benchDelivery(b *testing.B, process, quota bool, n, boxes int) {
	u := newSystemUser(b)
	top := systemAuth
	if quota {
		top += "[mailbox]\nquota-messages = 10000000\n"
	}
	ld := startLMTPDaemon(b, false, top, "")
	ld.waitSocket(b)
	name, password := u.name, u.password
	if !process {
		name, password = "mailgate", ld.password
	}
	// The user's mailboxes, made as the user (in its session).
	c := greeted(b, ld.addr)
	c.login(name, password)
	for i := range boxes {
		c.cmd("c", fmt.Sprintf("CREATE box%03d", i))
	}
	c.cmd("z", "LOGOUT")
	rcpt := name + "@example.org"
	cl, err := lmtptest.Dial("unix", ld.sock)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	var took []time.Duration
	for i := range n {
		start := time.Now()
		res, err := lmtptest.Send(cl, "s@example.net", []string{rcpt}, fmt.Sprintf("Subject: m%d\r\n\r\nHello.\r\n", i))
		if err != nil || res.Data[rcpt] != "250" {
			b.Fatalf("delivery %d: %+v, %v", i, res, err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms/delivery")
	b.Logf("one sender: median %v, range %v to %v", took[len(took)/2], took[0], took[len(took)-1])

	const senders = 4
	var wg sync.WaitGroup
	start := time.Now()
	for s := range senders {
		wg.Go(func() {
			c, err := lmtptest.Dial("unix", ld.sock)
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			for i := range n / senders {
				if res, err := lmtptest.Send(c, "s@example.net", []string{rcpt}, fmt.Sprintf("Subject: s%d-%d\r\n\r\nHi.\r\n", s, i)); err != nil || res.Data[rcpt] != "250" {
					b.Errorf("concurrent delivery: %+v, %v", res, err)
					return
				}
			}
		})
	}
	wg.Wait()
	rate := float64(n/senders*senders) / time.Since(start).Seconds()
	b.ReportMetric(rate, "msgs/s@4")
	b.Logf("%d senders: %.0f messages/s", senders, rate)
}
