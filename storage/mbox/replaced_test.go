//go:build unix

package mbox

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// numberedMbox is a mailbox of n messages with subjects m1 ... mn; with
// xuid, as mailgate or imap4d leave it (X-IMAPbase, X-UID i+100, so that
// the file's UIDs are not what a new numbering would give), otherwise
// as a deliverer does (no IMAP fields).
func numberedMbox(n int, xuid bool) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("From sender@example.org Tue Nov  7 08:00:00 2023\n")
		if xuid && i == 1 {
			b.WriteString(string(appendBase(nil, 1795729968, uint32(n+101))))
		}
		fmt.Fprintf(&b, "Subject: m%d\n", i)
		if xuid {
			fmt.Fprintf(&b, "X-UID: %d\n", i+100)
		}
		fmt.Fprintf(&b, "\nbody of message %d\n%s\n", i, strings.Repeat("a line of text in the body\n", i%7))
	}
	return b.String()
}

// numbering is what a client knows: UIDVALIDITY and the UID of each
// message, by subject.
type numbering struct {
	validity uint32
	uid      map[string]uint32
}

func subjectOf(t *testing.T, f storage.Folder, uid uint32) string {
	t.Helper()
	r, err := f.Open(uid)
	if err != nil {
		t.Fatalf("open uid %d: %v", uid, err)
	}
	defer r.Close()
	line, _ := bufio.NewReader(r).ReadString('\n')
	return strings.TrimSpace(strings.TrimPrefix(line, "Subject: "))
}

// numberingOf reads the subject of every message of s.
func numberingOf(t *testing.T, f storage.Folder, s storage.Snapshot) numbering {
	t.Helper()
	n := numbering{validity: s.UIDValidity, uid: map[string]uint32{}}
	for _, m := range s.Messages {
		n.uid[subjectOf(t, f, m.UID)] = m.UID
	}
	return n
}

// sameUIDs fails unless every message of s that was known has the UID it
// had, or UIDVALIDITY changed. It returns s's numbering.
func sameUIDs(t *testing.T, what string, f storage.Folder, s storage.Snapshot, was numbering) numbering {
	t.Helper()
	now := numberingOf(t, f, s)
	if now.validity != was.validity {
		return now
	}
	for subj, uid := range now.uid {
		if old, ok := was.uid[subj]; ok && old != uid {
			t.Fatalf("%s: %s has UID %d, had %d, under the same UIDVALIDITY %d", what, subj, uid, old, now.validity)
		}
	}
	return now
}

// TestReplacedByUnlockedWriter (issue 8 item 6): another program writes
// the mailbox anew without a lock, with and without the X-UIDs, while a
// Folder has it open. A file cut inside a message leaves what was known
// as it was; a shorter file that looks whole is taken, and messages that
// come back then make a new UIDVALIDITY; no message is ever shown under
// a UID it did not have under the same UIDVALIDITY, before or after a
// restart.
func TestReplacedByUnlockedWriter(t *testing.T) {
	for _, xuid := range []bool{true, false} {
		t.Run(fmt.Sprintf("xuid=%v", xuid), func(t *testing.T) {
			const n = 200
			content := numberedMbox(n, xuid)
			d := testDriver(t, Options{FlushDelay: time.Hour})
			path := writeMbox(t, content)
			f := mustOpen(t, d, path)
			s0 := mustScan(t, f)
			known := numberingOf(t, f, s0)
			if xuid && known.uid["m1"] != 101 {
				t.Fatalf("m1 has UID %d", known.uid["m1"])
			}
			cut := strings.Index(content, "Subject: m120\n") + 5

			// Cut inside a message, as a writer still writing: nothing
			// changes.
			os.WriteFile(path, []byte(content[:cut]), 0o600)
			s := mustScan(t, f)
			sameSnapshot(t, s, s0)
			if _, err := f.Open(s0.Messages[150].UID); err == nil {
				t.Error("a message was read from a half-written file")
			}
			// Whole again: every UID as it was.
			os.WriteFile(path, []byte(content), 0o600)
			s = mustScan(t, f)
			if s.UIDValidity != known.validity || len(s.Messages) != n {
				t.Fatalf("whole again: UIDVALIDITY %d, %d messages", s.UIDValidity, len(s.Messages))
			}
			known = sameUIDs(t, "whole again", f, s, known)

			// Cut where a message starts, and left so: taken as it is.
			boundary := strings.Index(content, "From sender@example.org Tue Nov  7 08:00:00 2023\nSubject: m120\n")
			os.WriteFile(path, []byte(content[:boundary]), 0o600)
			s = mustScan(t, f)
			if len(s.Messages) != 119 {
				t.Fatalf("shortened file: %d messages", len(s.Messages))
			}
			known = sameUIDs(t, "shortened", f, s, known)
			// The rest comes back: a new UIDVALIDITY, or every UID kept.
			os.WriteFile(path, []byte(content), 0o600)
			s = mustScan(t, f)
			if len(s.Messages) != n {
				t.Fatalf("the rest came back: %d messages", len(s.Messages))
			}
			was := known
			known = sameUIDs(t, "the rest came back", f, s, known)
			if known.validity == was.validity {
				t.Error("messages that vanished came back under the old UIDVALIDITY")
			}
			f.Close()
			// A restart reads what the Folder wrote (it rewrote the file
			// with the new numbering).
			g := mustOpen(t, testDriver(t, Options{}), path)
			sameUIDs(t, "restart", g, mustScan(t, g), known)
			if s := mustScan(t, g); s.UIDValidity != known.validity {
				t.Errorf("after a restart UIDVALIDITY %d; want %d", s.UIDValidity, known.validity)
			}
		})
	}
}

// writerEnv makes the test binary a helper that writes the file it names
// anew, without a lock, from the copy beside it (NAME.copy), again and
// again (os.WriteFile, or a new file after removing the old one), then
// prints "done".
const writerEnv = "MBOX_TEST_WRITER"

func writeAgain(path string) int {
	b, err := os.ReadFile(path + ".copy")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 9))
	for i := range 30 {
		if i%2 == 1 {
			os.Remove(path)
		}
		// In pieces, as a program copying a large file writes it.
		file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			fmt.Println(err)
			return 1
		}
		for rest := b; len(rest) > 0; {
			k := min(len(rest), 1+rng.IntN(64<<10))
			file.Write(rest[:k])
			rest = rest[k:]
			time.Sleep(time.Duration(rng.IntN(300)) * time.Microsecond)
		}
		file.Close()
		time.Sleep(time.Duration(rng.IntN(5)) * time.Millisecond)
	}
	fmt.Println("done")
	return 0
}

// TestRewrittenByAnotherProcess (issue 8 item 6): while another process
// writes the mailbox anew without a lock, over and over, a Folder scans
// it: at every Scan, and after a restart, no message has a UID it did
// not have under the same UIDVALIDITY.
func TestRewrittenByAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	for _, xuid := range []bool{true, false} {
		t.Run(fmt.Sprintf("xuid=%v", xuid), func(t *testing.T) {
			content := numberedMbox(1500, xuid)
			path := writeMbox(t, content)
			os.WriteFile(path+".copy", []byte(content), 0o600)
			d := testDriver(t, Options{FlushDelay: time.Hour})
			f := mustOpen(t, d, path)
			known := numberingOf(t, f, mustScan(t, f))
			history := []numbering{known}
			cmd, _, out := startHelper(t, writerEnv, path)
			done := make(chan string, 1)
			go func() {
				line, _ := bufio.NewReader(out).ReadString('\n')
				done <- line
			}()
			scans, bumps := 0, 0
			rng := rand.New(rand.NewPCG(1, 1))
			check := func(s storage.Snapshot) {
				// A sample: Open reads each message, and the writer goes on.
				for range 10 {
					if len(s.Messages) == 0 {
						break
					}
					m := s.Messages[rng.IntN(len(s.Messages))]
					r, err := f.Open(m.UID)
					if err != nil {
						continue // gone, or the file is being written
					}
					line, _ := bufio.NewReader(r).ReadString('\n')
					r.Close()
					subj := strings.TrimSpace(strings.TrimPrefix(line, "Subject: "))
					for _, h := range history {
						if old, ok := h.uid[subj]; ok && h.validity == s.UIDValidity && old != m.UID {
							t.Fatalf("scan %d: %s has UID %d, had %d under UIDVALIDITY %d", scans, subj, m.UID, old, h.validity)
						}
					}
				}
			}
		loop:
			for {
				select {
				case line := <-done:
					if line != "done\n" {
						t.Fatalf("writer: %q", line)
					}
					break loop
				default:
				}
				s, err := f.Scan()
				if err != nil {
					continue // the file is gone for a moment
				}
				scans++
				if s.UIDValidity != history[len(history)-1].validity {
					bumps++
					history = append(history, numbering{validity: s.UIDValidity, uid: map[string]uint32{}})
				}
				check(s)
			}
			cmd.Wait()
			// Settled: every message, every UID.
			var s storage.Snapshot
			for {
				var err error
				if s, err = f.Scan(); err == nil && len(s.Messages) == 1500 {
					break
				}
				time.Sleep(settleTime / 10)
			}
			now := numberingOf(t, f, s)
			for _, h := range history {
				if h.validity == now.validity {
					sameUIDs(t, "settled", f, s, h)
				}
			}
			f.Close()
			g := mustOpen(t, testDriver(t, Options{}), path)
			gs := mustScan(t, g)
			after := sameUIDs(t, "restart", g, gs, now)
			if after.validity != now.validity {
				for _, h := range history {
					if h.validity == after.validity {
						sameUIDs(t, "restart", g, gs, h)
					}
				}
			}
			t.Logf("%d scans, %d new UIDVALIDITY", scans, bumps)
		})
	}
}
