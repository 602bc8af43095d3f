package imap_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestUnchangedSinceSeesOthersChange: the client reads message 2's
// MODSEQ, another program marks it \Seen (renames its file), and the
// client's STORE 2 (UNCHANGEDSINCE <that modseq>) FLAGS (\Flagged) comes
// before the server has re-read the maildir (unwatched: right after the
// client's own STORE 1). The folder finds the file renamed, a change to
// message 2 since that modseq: the STORE must answer MODIFIED 2 (RFC 7162
// section 3.1.3), leave the file as the other program left it, and tell
// the client message 2's flags.
func TestUnchangedSinceSeesOthersChange(t *testing.T) {
	e := startServer(t, nil)
	dir := quietInbox(t, e, 3)
	c := selectUnwatched(t, e, dir)
	u := c.ok(`m FETCH 2 (MODSEQ)`)
	re := regexp.MustCompile(`MODSEQ \((\d+)\)`)
	var ms string
	for _, l := range u {
		if m := re.FindStringSubmatch(l); m != nil {
			ms = m[1]
		}
	}
	if ms == "" {
		t.Fatalf("no MODSEQ in %q", u)
	}
	c.ok(`s1 STORE 1 +FLAGS (\Flagged)`)
	renameMessage(t, dir, 2, "S")
	u, done := c.do(`s2 STORE 2 (UNCHANGEDSINCE ` + ms + `) FLAGS (\Flagged)`)
	if !strings.Contains(done, "MODIFIED 2") {
		t.Errorf("conditional STORE after another program's change answered %q (untagged %q), want MODIFIED 2", done, u)
	}
	u = append(u, c.ok(`n NOOP`)...)
	told := false
	for _, l := range u {
		if strings.HasPrefix(l, "* 2 FETCH") {
			told = strings.Contains(l, `\Seen`) && !strings.Contains(l, `\Flagged`)
		}
	}
	if !told {
		t.Errorf("message 2's flags on disk (\\Seen) never told: %q", u)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "cur", "1700000000.M2P1.host*:2,S")); len(files) != 1 {
		all, _ := filepath.Glob(filepath.Join(dir, "cur", "*"))
		t.Errorf("message 2's file not left as the other program left it: %q", all)
	}
}
