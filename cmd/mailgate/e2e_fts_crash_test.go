//go:build unix

package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage/fts"
)

var ftsValidityRE = regexp.MustCompile(`UIDVALIDITY (\d+)`)

// TestCrashMidIndexBuild: the daemon is killed with SIGKILL while it
// builds the full-text index of a mailbox another program filled; after
// the restart the index is completed and every SEARCH answers as the scan
// does.
func TestCrashMidIndexBuild(t *testing.T) {
	d := startDaemon(t, "", "")
	inbox := filepath.Join(d.cfg.dataDir, "mailgate", "INBOX")
	for _, sub := range []string{"new", "cur", "tmp"} {
		if err := os.MkdirAll(filepath.Join(inbox, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	const n = 2000
	words := strings.Fields("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango")
	for i := 1; i <= n; i++ {
		var body strings.Builder
		for k := 0; k < 60; k++ {
			fmt.Fprintf(&body, "%s%d ", words[(i*7+k*13)%len(words)], (i*k)%997)
		}
		msg := fmt.Sprintf("From: sender%d@example.org\nSubject: message %d %s\n\n%s\nmarker-%d\n", i%17, i, words[i%len(words)], body.String(), i%10)
		name := fmt.Sprintf("%d.M%dP1.test", 1700000000+i, i)
		if err := os.WriteFile(filepath.Join(inbox, "new", name), []byte(msg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := dialCrash(d)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.ok("SELECT INBOX")
	if err != nil {
		t.Fatal(err)
	}
	m := ftsValidityRE.FindStringSubmatch(strings.Join(r.untagged, "\n"))
	if m == nil {
		t.Fatalf("no UIDVALIDITY in %q", r.untagged)
	}
	v, _ := strconv.ParseUint(m[1], 10, 32)
	validity := uint32(v)
	// Kill as soon as the index file has records in it: more than its
	// header (storage/fts: magic, UIDVALIDITY, generation, CRC), which
	// is written first. Records are written a megabyte at a time, about
	// two thirds of the index of these messages. The rest may be built,
	// by several goroutines, before this loop sees the first write; then
	// the index is removed and built again, a few times at most.
	const ftsHeaderSize = 24
	deadline := time.Now().Add(60 * time.Second)
	var file string
	for attempt := 1; ; attempt++ {
		for file == "" || fileSize(file) <= ftsHeaderSize {
			if time.Now().After(deadline) {
				t.Fatal("no full-text index was written")
			}
			if fs, _ := filepath.Glob(filepath.Join(d.cfg.dataDir, "fts", "*.fts")); len(fs) == 1 {
				file = fs[0]
			}
			time.Sleep(2 * time.Millisecond)
		}
		d.kill()
		c.conn.Close()
		x, err := fts.Open(file, validity)
		if err != nil {
			t.Fatalf("the index left by the kill: %v", err)
		}
		killedAt := x.Stats().Messages
		x.Close()
		t.Logf("attempt %d: killed with %d of %d messages indexed", attempt, killedAt, n)
		if killedAt > 0 && killedAt < n {
			break
		}
		if attempt == 5 {
			t.Fatalf("in %d attempts the kill never came in the middle of the build", attempt)
		}
		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		d = d.restart(t)
		if c, err = dialCrash(d); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ok("SELECT INBOX"); err != nil {
			t.Fatal(err)
		}
		deadline = time.Now().Add(60 * time.Second)
	}
	d = d.restart(t)
	c, err = dialCrash(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ok("SELECT INBOX"); err != nil {
		t.Fatal(err)
	}
	for {
		x, err := fts.Open(file, validity)
		if err != nil {
			t.Fatal(err)
		}
		st := x.Stats()
		x.Close()
		if st.Messages == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart the index knows %d of %d messages", st.Messages, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, q := range []string{"TEXT marker-3", "BODY alpha5", "SUBJECT \"message 12\"", "FROM sender16@", "TEXT \"juliet10 \"", "BODY nothing-here"} {
		key := strings.SplitN(q, " ", 2)
		idx, err := c.ok("SEARCH " + q)
		if err != nil {
			t.Fatal(err)
		}
		scan, err := c.ok("SEARCH OR " + q + " " + q)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := strings.Join(idx.untagged, "|"), strings.Join(scan.untagged, "|"); a != b {
			t.Errorf("SEARCH %s (%s): the index answers %.200q, the scan %.200q", q, key[0], a, b)
		}
	}
	c.conn.Close()
	d.stop(10 * time.Second)
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
