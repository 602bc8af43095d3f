//go:build unix

package mbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
)

// These tests run the real programs that share mbox files with us. CI
// installs them from Debian: procmail (procmail, formail, lockfile) and
// mutt (mutt_dotlock).

func need(t *testing.T, prog, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		needs.Missing(t, "%s not installed (Debian package %s)", prog, pkg)
	}
	return p
}

// deliver runs formail | procmail as a delivery agent would, appending a
// message to the mbox at path with procmail's own locking.
func deliver(t *testing.T, path, subject string) {
	t.Helper()
	rc := filepath.Join(filepath.Dir(path), "procmailrc")
	if _, err := os.Stat(rc); err != nil {
		// procmail sleeps LOCKSLEEP seconds (8) between tries of its lock.
		// Written then renamed: concurrent deliveries must never read
		// it half written (procmail then falls back to the system
		// mailbox and exits 73).
		// (t.Error, not t.Fatal: deliver runs in goroutines.)
		tmp, err := os.CreateTemp(filepath.Dir(path), "procmailrc.*")
		if err != nil {
			t.Error(err)
			return
		}
		tmp.WriteString("LOCKSLEEP=1\n:0:\n" + path + "\n")
		tmp.Close()
		if err := os.Rename(tmp.Name(), rc); err != nil {
			t.Error(err)
			return
		}
	}
	cmd := exec.Command("sh", "-c", `formail | procmail -m "$0"`, rc)
	cmd.Stdin = strings.NewReader("From: sender@example.org\nSubject: " + subject + "\n\nbody\nFrom a body line\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("procmail: %v: %s", err, out)
	}
}

func TestProcmailAppends(t *testing.T) {
	need(t, "procmail", "procmail")
	need(t, "formail", "procmail")
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	deliver(t, path, "from procmail")
	s := mustScan(t, f)
	if !slices.Equal(uidsOf(s), []uint32{1, 3, 4, 5}) || s.UIDValidity != 1795729968 {
		t.Fatalf("UIDs %v validity %d", uidsOf(s), s.UIDValidity)
	}
	got := readAll(t, f, 5)
	if !strings.Contains(got, "Subject: from procmail\n") || !strings.HasSuffix(got, "\nbody\nFrom a body line\n") {
		t.Errorf("delivered message %q", got)
	}
	checkSizes(t, f, s)
}

// TestConcurrentDelivery: procmail delivers while we append, flag and
// expunge; nothing is lost and UIDs only grow.
func TestConcurrentDelivery(t *testing.T) {
	need(t, "procmail", "procmail")
	need(t, "formail", "procmail")
	// procmail holds its lock while it syncs, which a busy disk makes slow.
	d := testDriver(t, Options{RetryCount: 2000, RetrySleep: 5 * time.Millisecond})
	path := writeMbox(t, "")
	f := mustOpen(t, d, path)
	mustScan(t, f)
	const n = 5
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { deliver(t, path, fmt.Sprintf("procmail %d", i)) })
	}
	var last uint32
	for i := range n {
		m, err := f.Append(strings.NewReader(fmt.Sprintf("Subject: ours %d\n\nx\n", i)), nil, testDate)
		if err != nil {
			t.Fatal(err)
		}
		if m.UID <= last {
			t.Fatalf("UID %d after %d", m.UID, last)
		}
		last = m.UID
		if i%3 == 0 {
			if err := f.SetFlags(m.UID, []string{`\Seen`}); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	s := mustScan(t, f)
	if len(s.Messages) != 2*n {
		t.Fatalf("%d messages; want %d", len(s.Messages), 2*n)
	}
	for i := 1; i < len(s.Messages); i++ {
		if s.Messages[i].UID <= s.Messages[i-1].UID {
			t.Fatalf("UIDs %v", uidsOf(s))
		}
	}
	checkSizes(t, f, s)
	checkCold(t, d, f)
	// formail splits the file into as many messages.
	out, err := exec.Command("sh", "-c", `formail -s echo x < "$0" | wc -l`, path).Output()
	if err != nil || strings.TrimSpace(string(out)) != fmt.Sprint(2*n) {
		t.Errorf("formail finds %q messages (%v)", out, err)
	}
}

// TestForeignDotlocks: the lock files of procmail's lockfile(1) and of
// mutt_dotlock(1) keep us out until they are released.
func TestForeignDotlocks(t *testing.T) {
	tools := []struct {
		prog, pkg    string
		lock, unlock func(path string) *exec.Cmd
	}{
		{"lockfile", "procmail",
			func(p string) *exec.Cmd { return exec.Command("lockfile", "-r0", p+".lock") },
			func(p string) *exec.Cmd { return exec.Command("rm", "-f", p+".lock") }},
		{"mutt_dotlock", "mutt",
			func(p string) *exec.Cmd { return exec.Command("mutt_dotlock", "-r", "0", p) },
			func(p string) *exec.Cmd { return exec.Command("mutt_dotlock", "-u", p) }},
	}
	for _, tool := range tools {
		t.Run(tool.prog, func(t *testing.T) {
			need(t, tool.prog, tool.pkg)
			d := testDriver(t, Options{RetryCount: 2, RetrySleep: 10 * time.Millisecond})
			path := writeMbox(t, imap4dMbox)
			f := mustOpen(t, d, path)
			if out, err := tool.lock(path).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v %s", tool.prog, err, out)
			}
			if _, err := f.Append(strings.NewReader("Subject: x\n\n"), nil, testDate); !errors.Is(err, errLocked) {
				t.Fatalf("Append under %s's lock: %v", tool.prog, err)
			}
			if out, err := tool.unlock(path).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v %s", tool.prog, err, out)
			}
			if _, err := f.Append(strings.NewReader("Subject: x\n\n"), nil, testDate); err != nil {
				t.Fatal(err)
			}
			// And ours keeps them out.
			l, err := d.lock(path, true)
			if err != nil {
				t.Fatal(err)
			}
			defer l.unlock()
			if err := tool.lock(path).Run(); err == nil {
				t.Errorf("%s took the lock we hold", tool.prog)
				tool.unlock(path).Run()
			}
		})
	}
}
