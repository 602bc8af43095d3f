//go:build unix

package lmtp_test

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// killMessage is a message large enough (about 40 KiB) that a kill often
// lands while it is being written; its body names it on every line, so
// that a partial or mixed copy shows.
func killMessage(subject string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: s@example.net\r\nSubject: %s\r\n\r\n", subject)
	for i := range 800 {
		fmt.Fprintf(&b, "%s line %03d of a message that must arrive whole\r\n", subject, i)
	}
	return b.String()
}

// TestKilledDuringBurst kills an LMTP server process with SIGKILL while
// five senders deliver to two users, at a random instant, several times
// per format: every message any sender saw acknowledged with 250 for
// both recipients is in both INBOXes, whole and once; no message is
// stored partially; and an IMAP session of this process, idling on
// alice's INBOX over the same files, has heard of every stored message.
func TestKilledDuringBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	rng := rand.New(rand.NewPCG(12, 2033))
	for _, format := range []string{"maildir", "mbox", "mh"} {
		for round := range 4 {
			t.Run(fmt.Sprintf("%s/%d", format, round), func(t *testing.T) {
				o := startOther(t, format)
				root, addr, child, watcher := o.root, o.addr, o.child, o.watcher

				var mu sync.Mutex
				acked, tried := map[string]bool{}, map[string]bool{}
				var wg sync.WaitGroup
				firstAck := make(chan struct{})
				var once sync.Once
				for s := range 5 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c, err := dialClient(addr)
						if err != nil {
							return
						}
						defer c.Close()
						for m := 0; ; m++ {
							subj := fmt.Sprintf("kill-s%d-m%04d", s, m)
							mu.Lock()
							tried[subj] = true
							mu.Unlock()
							if err := sendOne(c, []string{"alice@example.org", "bob@example.org"}, killMessage(subj)); err != nil {
								return
							}
							mu.Lock()
							acked[subj] = true
							mu.Unlock()
							once.Do(func() { close(firstAck) })
						}
					}()
				}
				<-firstAck
				time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
				child.Process.Signal(syscall.SIGKILL)
				child.Wait() // reaped: the dot lock it held names a dead pid, not a zombie's
				wg.Wait()

				// What is on disk, read afresh as after a restart.
				users, fresh, freshLayout, _ := openEnvStore(t, root, format)
				defer fresh.Close()
				for _, user := range []string{"alice", "bob"} {
					_, bodies := uidsBySubject(t, accountOf(t, users, fresh, freshLayout, user), "INBOX")
					for subj, stored := range bodies {
						if !tried[subj] {
							t.Errorf("%s: stored a message nobody sent: %q", user, subj)
							continue
						}
						if got := bodyOf(t, stored); got != strings.ReplaceAll(killMessage(subj), "\r\n", "\n") {
							t.Errorf("%s: %s is stored partially or mixed (%d bytes)", user, subj, len(got))
						}
					}
					for subj := range acked {
						if _, ok := bodies[subj]; !ok {
							out, _ := exec.Command("grep", "-rl", "Subject: "+subj, filepath.Join(root, user)).CombinedOutput()
							t.Errorf("%s: %s was answered 250 and is lost; on disk: %s", user, subj, out)
						}
					}
					if user == "alice" {
						if err := watcher.WaitExists(uint32(len(bodies)), 0); err != nil {
							t.Error(err)
						}
						if n := watcher.Exists()[len(watcher.Exists())-1]; n != uint32(len(bodies)) {
							t.Errorf("the IMAP session heard EXISTS %d; %d stored", n, len(bodies))
						}
					}
					t.Logf("%s: %d acknowledged, %d tried, %d stored", user, len(acked), len(tried), len(bodies))
				}
			})
		}
	}
}
