//go:build unix

package imap_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestMHUntoldQResyncVanished: a QRESYNC client syncs an MH folder; while
// no server runs, nmh's rmm removes message 3, and the folder's numbers
// file goes too (or is one this process may not trust), so the next
// server is untold and restarts every modseq. The client's SELECT
// (QRESYNC (validity modseq known-uids)) must still hear VANISHED
// (EARLIER) 3, and HIGHESTMODSEQ must be above the client's.
func TestMHUntoldQResyncVanished(t *testing.T) {
	for _, untold := range []bool{true, false} {
		t.Run(map[bool]string{true: "untold", false: "told"}[untold], func(t *testing.T) {
			shared := t.TempDir()
			e := startMHServer(t, shared)
			c := e.raw()
			c.login("alice")
			c.ok("c CREATE box")
			for _, s := range []string{"one", "two", "three"} {
				c.appendMsg("box", "", testMessage(s, "body of "+s))
			}
			c.ok("e ENABLE QRESYNC")
			u := strings.Join(c.ok("s SELECT box"), "\n")
			validity := reUIDValidity.FindStringSubmatch(u)[1]
			highest := reHighest.FindStringSubmatch(u)[1]
			c.ok("l LOGOUT")
			stopServer(t, e)

			box := filepath.Join(shared, "box")
			if err := os.Remove(filepath.Join(box, "3")); err != nil { // rmm
				t.Fatal(err)
			}
			if untold {
				if err := os.Remove(filepath.Join(box, ".mailgate-numbers")); err != nil {
					t.Fatal(err)
				}
			}

			e = startMHServer(t, shared)
			c = e.raw()
			c.login("alice")
			c.ok("e ENABLE QRESYNC")
			lines := c.ok("s SELECT box (QRESYNC (" + validity + " " + highest + " 1:3))")
			all := strings.Join(lines, "\n")
			if !slices.Contains(lines, "* VANISHED (EARLIER) 3") {
				t.Errorf("SELECT (QRESYNC (%s %s 1:3)) after rmm of 3: no VANISHED (EARLIER) 3:\n%s", validity, highest, all)
			}
			if m := reUIDValidity.FindStringSubmatch(all); m == nil || m[1] != validity {
				t.Fatalf("UIDVALIDITY changed: %v", m)
			}
			if m := reHighest.FindStringSubmatch(all); m == nil || parseUint(m[1]) <= parseUint(highest) {
				t.Errorf("HIGHESTMODSEQ %v, was %s", m, highest)
			}
		})
	}
}

func parseUint(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}
