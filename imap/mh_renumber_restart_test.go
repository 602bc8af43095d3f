//go:build unix

package imap_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
)

// stopServer closes e's server and store, as a process that ends: the
// store writes its cache files.
func stopServer(t *testing.T, e *testEnv) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.srv.Close(ctx)
	e.store.Close()
}

// startMHServer starts a server whose personal namespace is the MH
// folders below dir, which outlives it: a second call is the next
// process on the same files.
func startMHServer(t *testing.T, dir string) *testEnv {
	t.Helper()
	return startServerLayout(t, func(_ string, l *storage.Layout) {
		l.DefaultType = "mh"
		l.Personal = storage.Namespace{Prefixes: []storage.Prefix{{Delimiter: "/", Directory: dir}}}
	}, nil)
}

// renumberedMessage is message i of TestMHRenumberBetweenServers: sender
// and subject name it, and the sizes differ.
func renumberedMessage(i int) string {
	return fmt.Sprintf("From: Sender %03d <s%03d@example.org>\r\nTo: bob@example.org\r\nSubject: subject %03d\r\n"+
		"Date: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m%d@example.org>\r\n\r\n%s\r\n", i, i, i, i, strings.Repeat("x", i))
}

var (
	envelopeSubject = regexp.MustCompile(`ENVELOPE \("[^"]*" "([^"]*)"`)
	headerSubject   = regexp.MustCompile(`Subject: ([^\r\n]*)`)
	fetchUID        = regexp.MustCompile(`UID (\d+)`)
)

// TestMHRenumberBetweenServers: a server (a process, as inetd starts one
// a session) answers FETCH ENVELOPE, SEARCH FROM and SORT of an MH
// folder and ends, leaving the values it derived in the cache file;
// nmh's sortm renumbers every message while no server runs; a second
// server answers each UID's ENVELOPE, SEARCH FROM and SORT from the file
// that UID gives, never from another message's cached values. A folder
// nothing changed is answered from the cache file: nothing is derived
// again.
func TestMHRenumberBetweenServers(t *testing.T) {
	const n = 2 * imap.MinParallelReads
	for _, renumber := range []bool{true, false} {
		t.Run(map[bool]string{true: "sortm", false: "nothing changed"}[renumber], func(t *testing.T) {
			shared := t.TempDir()
			e := startMHServer(t, shared)
			c := e.raw()
			c.login("alice")
			c.ok("c CREATE box")
			for i := 1; i <= n; i++ {
				c.appendMsg("box", "", renumberedMessage(i))
			}
			c.ok("s SELECT box")
			c.ok("f FETCH 1:* (ENVELOPE)")
			c.ok("q SEARCH FROM s007@example.org")
			c.ok("o SORT (SUBJECT) UTF-8 ALL")
			c.ok("l LOGOUT")
			stopServer(t, e)
			box := filepath.Join(shared, "box")
			if _, err := os.Stat(filepath.Join(box, ".mailgate-cache")); err != nil {
				t.Fatalf("no cache file after the first server: %v", err)
			}
			if renumber { // sortm by renames: 1<->2, 3<->4, ...
				for i := 1; i < n; i += 2 {
					a, b := strconv.Itoa(i), strconv.Itoa(i+1)
					for _, r := range [][2]string{{a, "tmp"}, {b, a}, {"tmp", b}} {
						if err := os.Rename(filepath.Join(box, r[0]), filepath.Join(box, r[1])); err != nil {
							t.Fatal(err)
						}
					}
				}
			}

			e = startMHServer(t, shared)
			c = e.raw()
			c.login("alice")
			c.ok("s SELECT box")
			before := imap.Prefilled()
			c.ok("e FETCH 1:* (ENVELOPE)")
			derived := imap.Prefilled() - before
			t.Logf("values derived after the restart: %d", derived)
			if renumber && derived == 0 || !renumber && derived != 0 {
				t.Errorf("the second server derived %d values", derived)
			}
			subjects := map[string]string{} // UID -> its message's subject
			for _, r := range joined(c.ok("f UID FETCH 1:* (ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")) {
				uid, env, hdr := fetchUID.FindStringSubmatch(r), envelopeSubject.FindStringSubmatch(r), headerSubject.FindStringSubmatch(r)
				if uid == nil || env == nil || hdr == nil {
					t.Fatalf("FETCH response %q", r)
				}
				if env[1] != hdr[1] {
					t.Errorf("UID %s: ENVELOPE says %q, its message %q", uid[1], env[1], hdr[1])
				}
				subjects[uid[1]] = hdr[1]
			}
			if len(subjects) != n {
				t.Fatalf("%d messages after the restart, want %d", len(subjects), n)
			}
			u := c.ok("q UID SEARCH FROM s007@example.org")
			if len(u) != 1 || len(strings.Fields(u[0])) != 3 || subjects[strings.Fields(u[0])[2]] != "subject 007" {
				t.Errorf("SEARCH FROM s007: %q; want the UID whose subject is 007", u)
			}
			u = c.ok("o UID SORT (SUBJECT) UTF-8 ALL")
			if len(u) != 1 {
				t.Fatalf("SORT: %q", u)
			}
			var got []string
			for _, uid := range strings.Fields(u[0])[2:] {
				got = append(got, subjects[uid])
			}
			if !slices.IsSorted(got) || len(got) != n {
				t.Errorf("SORT (SUBJECT) gives the subjects in the order %q", got)
			}
		})
	}
}
