package lmtp_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/lmtp/lmtptest"
)

// TestGroupCommitOneFails: ten senders deliver into alice's INBOX at
// once, so that their copies are committed in groups; one message fails
// (over quota). That group is stored none of it, then copy by copy: the
// poisoned message alone hears 452 4.2.2, every other hears 250 and is
// stored once.
func TestGroupCommitOneFails(t *testing.T) {
	e := newEnv(t, envConfig{format: "faulty"})
	e.errs.mu.Lock()
	e.errs.poison, e.errs.delay = "POISON", 20*time.Millisecond
	e.errs.mu.Unlock()
	const senders = 10
	replies := make([]string, senders)
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			c, err := lmtptest.Dial("tcp", e.addr)
			if err != nil {
				replies[s] = err.Error()
				return
			}
			defer c.Close()
			body := testMessage(fmt.Sprint("group", s))
			if s == 3 {
				body += "POISON\r\n"
			}
			res, err := lmtptest.Send(c, "s@example.net", []string{"alice@example.org"}, body)
			if err != nil {
				replies[s] = err.Error()
				return
			}
			replies[s] = res.Data["alice@example.org"]
		})
	}
	wg.Wait()
	for s, r := range replies {
		want := "250"
		if s == 3 {
			want = "452 4.2.2"
		}
		if r != want {
			t.Errorf("sender %d heard %q; want %q", s, r, want)
		}
	}
	v, err := e.account("alice").Select("INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if n := len(v.UIDs()); n != senders-1 {
		t.Errorf("INBOX holds %d messages; want %d", n, senders-1)
	}
	t.Logf("appends tried: %d for %d messages", e.errs.attempts("alice"), senders)
}
