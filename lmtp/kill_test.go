//go:build unix

package lmtp_test

import (
	"fmt"
	"github.com/emersion/go-smtp"
	"github.com/mailgate/mailgate/lmtp/lmtptest"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

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

				burst := lmtptest.StartBurst(func() (*smtp.Client, error) { return dialClient(addr) }, 5,
					[]string{"alice@example.org", "bob@example.org"})
				if err := burst.WaitAcks(1, time.Minute); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
				child.Process.Signal(syscall.SIGKILL)
				child.Wait() // reaped: the dot lock it held names a dead pid, not a zombie's
				tried, acked := burst.Wait()

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
						if got := bodyOf(t, stored); got != strings.ReplaceAll(lmtptest.WholeMessage(subj), "\r\n", "\n") {
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
