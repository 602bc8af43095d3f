package imap_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
)

// dvSessionStep is one command of a script that two sessions, A and B,
// run against the same mailboxes.
type dvSessionStep struct {
	session string // "A" or "B"
	dvStep
}

// dvSessionsScript keeps two sessions busy with each other's changes:
// keywords coming into use (issue 8, item 22), messages expunged under
// the other's feet (item 23), and mailbox names holding list wildcards
// (item 24).
func dvSessionsScript() []dvSessionStep {
	msg := "From: Alice <alice@example.org>\r\nSubject: two sessions\r\nMessage-ID: <two@example.org>\r\n\r\nbody\r\n"
	step := func(session, name, cmd string, lits ...string) dvSessionStep {
		return dvSessionStep{session, dvStep{name: "sessions/" + name, cmd: cmd, lits: lits}}
	}
	return []dvSessionStep{
		step("A", "append-1", "APPEND INBOX () {LIT}", msg),
		step("A", "append-2", "APPEND INBOX () {LIT}", msg),
		step("A", "append-3", "APPEND INBOX (\\Seen) {LIT}", msg),
		step("A", "create-other", "CREATE other"),
		step("A", "append-other", "APPEND other ($copied) {LIT}", msg),
		step("A", "select-a", "SELECT INBOX"),
		step("B", "select-b", "SELECT INBOX"),
		// Item 22: a new keyword is announced before a FETCH carries it,
		// to the session that stored it and to the other.
		step("A", "store-new-keyword", "STORE 1 +FLAGS ($kw1)"),
		step("B", "noop-sees-keyword", "NOOP"),
		step("A", "store-silent", "STORE 2 +FLAGS.SILENT ($kw2)"),
		step("B", "fetch-before-noop", "FETCH 2 FLAGS"),
		step("B", "examine", "EXAMINE INBOX"),
		step("A", "store-kw3", "STORE 1 +FLAGS ($kw3)"),
		step("B", "noop-read-only", "NOOP"),
		step("B", "select-b-again", "SELECT INBOX"),
		step("A", "store-nil", "STORE 1 +FLAGS (NIL)"),
		step("A", "fetch-nil", "FETCH 1 FLAGS"),
		step("B", "noop-nil", "NOOP"),
		step("A", "append-new-keyword", "APPEND INBOX ($new1 \\Seen) {LIT}", msg),
		step("B", "noop-append", "NOOP"),
		step("A", "select-other", "SELECT other"),
		step("A", "copy-new-keyword", "COPY 1 INBOX"),
		step("B", "noop-copy", "NOOP"),
		step("A", "select-a-again", "SELECT INBOX"),
		// Item 23: B fetches messages A expunged before B was told.
		step("A", "delete-3", "STORE 3 +FLAGS.SILENT (\\Deleted)"),
		step("A", "expunge-3", "EXPUNGE"),
		step("B", "fetch-expunged-flags", "FETCH 3 (UID FLAGS)"),
		step("B", "fetch-expunged-body", "FETCH 3 BODY.PEEK[]"),
		step("B", "fetch-expunged-structure", "FETCH 3 (ENVELOPE BODYSTRUCTURE BODY)"),
		step("B", "fetch-expunged-range", "FETCH 2:3 (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])"),
		step("B", "uid-fetch-expunged", "UID FETCH 3 FLAGS"),
		step("B", "noop-after-expunge", "NOOP"),
		// Item 24: list wildcards in mailbox names, unquoted.
		step("A", "create-pct", "CREATE pct%"),
		step("A", "select-pct", "SELECT pct%"),
		step("A", "create-star", "CREATE star*"),
		step("A", "status-star", "STATUS star* (MESSAGES)"),
		step("A", "examine-pct", "EXAMINE pct%"),
		step("A", "subscribe-pct", "SUBSCRIBE pct%"),
		step("A", "append-star", "APPEND star* {LIT}", msg),
		step("A", "copy-to-star", "COPY 1 star*"),
		step("A", "unsubscribe-pct", "UNSUBSCRIBE pct%"),
		step("A", "rename-pct", "RENAME pct% pct2%"),
		step("A", "delete-pct2", "DELETE pct2%"),
		step("A", "select-inbox-3", "SELECT INBOX"),
		step("A", "delete-star", "DELETE star*"),
		step("A", "select-missing", "SELECT a%b*c"),
	}
}

// dvSessionsAllowed are the differences the two-session script may show.
var dvSessionsAllowed = []dvAllowed{
	{
		steps:   "sessions/noop-append",
		dovecot: "", mailgate: "* 0 RECENT",
		why: "RFC 3501 7.3.2: RECENT may be sent with EXISTS; mailgate always sends it, Dovecot when the " +
			"count changed (as in TestDovecotDifferential's archive-move-same)",
	},
	{
		steps:   "sessions/fetch-expunged-flags",
		dovecot: `* 3 FETCH FLAGS (\Deleted \Seen)`, mailgate: "",
		why: "RFC 2180 4.1: Dovecot repeats the \\Deleted that A stored as an unsolicited FETCH after the one " +
			"asked for; mailgate sent those flags in the FETCH asked for, and drops the change of a message " +
			"that is gone",
	},
	{
		steps:    "sessions/fetch-expunged-structure",
		dovecot:  `* 3 FETCH BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL)`,
		mailgate: `* 3 FETCH BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 0 0)`,
		why: "RFC 2180 4.1.1 leaves open what is sent of an expunged message; Dovecot finds a structure in its " +
			"cache, mailgate sends the placeholder Dovecot sends when it has none",
	},
	{
		steps:    "sessions/fetch-expunged-structure",
		dovecot:  `* 3 FETCH BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1)`,
		mailgate: `* 3 FETCH BODY ("text" "plain" NIL NIL NIL "7bit" 0 0)`,
		why:      "as for BODYSTRUCTURE",
	},
	{
		steps:    "sessions/select-missing",
		dovecot:  "DONE NO",
		mailgate: "DONE NO [NONEXISTENT]",
		why:      "RFC 5530 3: NONEXISTENT is an optional response code; mailgate adds it",
	},
}

// TestDovecotSessions runs dvSessionsScript against Dovecot and mailgate,
// each with two sessions on one mailbox store, and compares what each
// session hears, as TestDovecotDifferential does for one session.
func TestDovecotSessions(t *testing.T) {
	bin, err := dovecotIMAP()
	if err != nil {
		needs.Missing(t, "Dovecot's imap binary is not available (%v)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := dovecotDir(t)
	dov := map[string]*dvPeer{"A": startDovecotIn(t, ctx, bin, dir), "B": startDovecotIn(t, ctx, bin, dir)}
	e := startServer(t, nil)
	mg := map[string]*dvPeer{}
	for _, name := range []string{"A", "B"} {
		rc := e.raw()
		rc.login("alice")
		mg[name] = &dvPeer{name: "mailgate " + name, w: rc.conn, r: rc.r, deadline: rc.conn.SetReadDeadline, stderr: func() string { return "" }}
	}
	used := map[int]bool{}
	for _, st := range dvSessionsScript() {
		d, m := dov[st.session].run(st.dvStep), mg[st.session].run(st.dvStep)
		if d.err != nil || m.err != nil {
			t.Fatalf("step %s: Dovecot %v, mailgate %v", st.name, d.err, m.err)
		}
		d.lines, m.lines = dvNormalize(st.dvStep, d.raw), dvNormalize(st.dvStep, m.raw)
		dvCompareSession(t, dvSessionsAllowed, used, st.name, st.session+": "+st.cmd, d, m)
	}
	dvUnusedAllowed(t, dvSessionsAllowed, used)
}

// dvCompareSession reports the differences between one step's normalised
// answers that allowed does not explain, with both sides' raw answers.
func dvCompareSession(t *testing.T, allowed []dvAllowed, used map[int]bool, step, cmd string, d, m dvExchange) {
	t.Helper()
	if slices.Equal(d.lines, m.lines) {
		return
	}
	onlyD, onlyM := dvLineDiff(d.lines, m.lines)
	if onlyD, onlyM = dvApplyAllowed(allowed, step, onlyD, onlyM, used); len(onlyD)+len(onlyM) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "step %s: %s\n", step, cmd)
	for _, l := range onlyD {
		fmt.Fprintf(&b, "  dovecot only:  %s\n", l)
	}
	for _, l := range onlyM {
		fmt.Fprintf(&b, "  mailgate only: %s\n", l)
	}
	fmt.Fprintf(&b, "  --- Dovecot raw:\n%s  --- mailgate raw:\n%s", dvIndentRaw(d.raw), dvIndentRaw(m.raw))
	t.Error(b.String())
}

// dvUnusedAllowed fails on an allowed difference no step needed.
func dvUnusedAllowed(t *testing.T, allowed []dvAllowed, used map[int]bool) {
	t.Helper()
	for k, a := range allowed {
		if !used[k] {
			t.Errorf("allowed difference %d (%s) was not needed; remove it", k, a.steps)
		}
	}
}
