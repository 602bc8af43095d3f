package imap_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
)

// dvCondStep is one command of the CONDSTORE/QRESYNC script: run by
// session A or B; "{name}" in the command is replaced by a value the
// same side saved earlier; save names the value this step's answer
// gives (the highest MODSEQ or HIGHESTMODSEQ in it, or with save
// "uidvalidity" the UIDVALIDITY).
type dvCondStep struct {
	session string
	name    string
	cmd     string
	save    string
	lits    []string
}

// dvCondScript exercises RFC 7162 on two sessions sharing a mailbox.
func dvCondScript() []dvCondStep {
	msg := "From: Alice <alice@example.org>\r\nSubject: condstore\r\nMessage-ID: <c@example.org>\r\n\r\nbody\r\n"
	s := func(session, name, cmd string, save ...string) dvCondStep {
		st := dvCondStep{session: session, name: "condstore/" + name, cmd: cmd}
		if len(save) > 0 {
			st.save = save[0]
		}
		if strings.Contains(cmd, "{LIT}") {
			st.lits = []string{msg}
		}
		return st
	}
	return []dvCondStep{
		s("A", "append-1", "APPEND INBOX () {LIT}"),
		s("A", "append-2", "APPEND INBOX (\\Seen) {LIT}"),
		s("A", "append-3", "APPEND INBOX ($label1) {LIT}"),
		s("A", "append-4", "APPEND INBOX () {LIT}"),
		s("A", "append-5", "APPEND INBOX (\\Flagged) {LIT}"),
		s("A", "create-other", "CREATE other"),
		s("A", "status-before", "STATUS INBOX (MESSAGES HIGHESTMODSEQ)"),
		s("A", "select-plain", "SELECT INBOX", "h0"),
		s("A", "select-uidvalidity", "EXAMINE INBOX", "uidvalidity"),
		s("A", "enable", "ENABLE CONDSTORE"),
		s("A", "select", "SELECT INBOX", "h0"),
		s("A", "fetch-modseq", "FETCH 1:* (UID FLAGS MODSEQ)"),
		s("A", "fetch-changedsince-none", "FETCH 1:* (FLAGS) (CHANGEDSINCE {h0})"),
		s("A", "store-1", "STORE 1 +FLAGS (\\Flagged)", "h1"),
		s("A", "uid-fetch-changedsince", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE {h0})"),
		s("A", "store-unchanged-silent", "STORE 2 (UNCHANGEDSINCE {h1}) +FLAGS.SILENT (\\Answered)"),
		s("A", "store-unchanged-modified", "STORE 1,3 (UNCHANGEDSINCE {h0}) +FLAGS (\\Seen)"),
		s("A", "uid-store-unchanged-zero", "UID STORE 1:3 (UNCHANGEDSINCE 0) FLAGS (\\Draft)"),
		s("A", "store-noop-change", "STORE 2 (UNCHANGEDSINCE {h1}) +FLAGS (\\Seen)"),
		s("A", "search-modseq", "SEARCH MODSEQ {h1}"),
		s("A", "search-modseq-entry", "UID SEARCH MODSEQ \"/flags/\\\\seen\" all {h1}"),
		s("A", "search-modseq-none", "SEARCH MODSEQ 18446744073"),
		s("A", "search-modseq-or", "SEARCH OR MODSEQ {h1} FLAGGED"),
		s("A", "esearch-modseq", "SEARCH RETURN (ALL COUNT) MODSEQ {h1}"),
		s("A", "status-selected", "STATUS INBOX (HIGHESTMODSEQ)"),
		s("A", "status-other", "STATUS other (HIGHESTMODSEQ UIDNEXT)"),
		s("B", "select-qresync-refused", "SELECT INBOX (QRESYNC ({uidvalidity} {h0}))"),
		s("B", "select-condstore", "SELECT INBOX (CONDSTORE)"),
		s("A", "store-keyword", "STORE 4 +FLAGS ($kw)", "h2"),
		s("B", "noop-sees-modseq", "NOOP"),
		s("B", "fetch-after", "FETCH 4 (FLAGS MODSEQ)"),
		s("A", "fetch-seen-implicit", "FETCH 5 (BODY[TEXT])"),
		s("A", "delete-3", "STORE 3 +FLAGS.SILENT (\\Deleted)"),
		s("A", "expunge-3", "EXPUNGE"),
		s("B", "noop-expunge-plain", "NOOP"),
		s("A", "enable-qresync", "ENABLE QRESYNC"),
		s("A", "uid-fetch-vanished", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE {h0} VANISHED)"),
		s("A", "fetch-vanished-bad", "FETCH 1:* (FLAGS) (CHANGEDSINCE {h0} VANISHED)"),
		s("A", "select-other-closed", "SELECT other"),
		s("A", "qresync", "SELECT INBOX (QRESYNC ({uidvalidity} {h0}))"),
		s("A", "qresync-known", "SELECT INBOX (QRESYNC ({uidvalidity} {h1} 1:4))"),
		s("A", "qresync-seqmatch", "SELECT INBOX (QRESYNC ({uidvalidity} {h0} 1:5 (1:3 1:2,4)))"),
		s("A", "qresync-bad-uidvalidity", "SELECT INBOX (QRESYNC (1 {h0}))"),
		s("A", "examine-qresync", "EXAMINE INBOX (QRESYNC ({uidvalidity} {h2}))"),
		s("A", "select-back", "SELECT INBOX"),
		s("B", "enable-qresync-b", "ENABLE QRESYNC"),
		s("A", "delete-1", "STORE 1 +FLAGS.SILENT (\\Deleted)"),
		s("A", "uid-expunge-1", "UID EXPUNGE 1"),
		s("B", "noop-vanished", "NOOP"),
		s("B", "store-after-qresync", "STORE 1 -FLAGS (\\Seen)"),
		s("A", "noop-fetch-uid", "NOOP"),
		s("A", "unselect", "UNSELECT"),
		s("A", "status-after", "STATUS INBOX (MESSAGES HIGHESTMODSEQ)"),
	}
}

// dvCondAllowed are the differences the CONDSTORE script may show.
var dvCondAllowed = []dvAllowed{
	{
		steps:    "condstore/esearch-modseq",
		dovecot:  `* ESEARCH (TAG "T024") ALL 1:3 COUNT 3 MODSEQ n`,
		mailgate: `* ESEARCH (TAG "T024") COUNT 3 ALL 1:3 MODSEQ n`,
		why:      "RFC 4731 3.1: the order of ESEARCH return data is not fixed",
	},
	{
		steps: "condstore/status-selected", dovecot: "DONE OK [CLIENTBUG]", mailgate: "DONE OK",
		why: "RFC 3501 6.3.10 advises against STATUS of the selected mailbox but allows it; Dovecot adds CLIENTBUG",
	},
	{
		steps: "condstore/noop-expunge-plain", dovecot: `* 5 FETCH FLAGS (\Flagged \Seen)`, mailgate: `* 4 FETCH FLAGS (\Flagged \Seen)`,
		why: "RFC 3501 7.4.1: the order of unsolicited responses is the server's; Dovecot tells the flag change " +
			"before the expunge, mailgate after it (so with the new number)",
	},
	{
		steps: "condstore/noop-expunge-plain", dovecot: "* 5 FETCH MODSEQ (n)", mailgate: "* 4 FETCH MODSEQ (n)",
		why: "as above",
	},
	{
		steps: "condstore/*",
		fold:  func(l string) string { return strings.Replace(l, "$label1 ", "", 1) },
		why: "RFC 3501 7.2.6 FLAGS lists the flags defined in the mailbox; Dovecot keeps a keyword defined after " +
			"the last message carrying it went, mailgate lists those in use",
	},
}

var (
	dvHighest = regexp.MustCompile(`HIGHESTMODSEQ (\d+)`)
	dvModSeq  = regexp.MustCompile(`MODSEQ \(?(\d+)\)?`)
	dvUIDVal  = regexp.MustCompile(`\[UIDVALIDITY (\d+)\]`)
)

// dvCondRaw makes the modseq values of a response comparable and keeps
// the response codes dvNormalize drops for the other scripts.
func dvCondRaw(raw string) string {
	raw = dvHighest.ReplaceAllString(raw, "HIGHESTMODSEQ n")
	raw = dvModSeq.ReplaceAllStringFunc(raw, func(m string) string {
		if strings.HasPrefix(m, "MODSEQ (") {
			return "MODSEQ (n)"
		}
		return "MODSEQ n"
	})
	for _, c := range []string{"[HIGHESTMODSEQ", "[NOMODSEQ", "[CLOSED"} {
		raw = strings.ReplaceAll(raw, c, "[X-"+c[1:])
	}
	return strings.Replace(raw, "* ENABLED", "* X-ENABLED", 1)
}

// dvCondSave returns what a step's answer gives for save.
func dvCondSave(save string, raws []string) string {
	all := strings.Join(raws, "")
	if save == "uidvalidity" {
		if m := dvUIDVal.FindStringSubmatch(all); m != nil {
			return m[1]
		}
		return ""
	}
	var best uint64
	for _, re := range []*regexp.Regexp{dvHighest, dvModSeq} {
		for _, m := range re.FindAllStringSubmatch(all, -1) {
			n, _ := strconv.ParseUint(m[1], 10, 64)
			best = max(best, n)
		}
	}
	return strconv.FormatUint(best, 10)
}

// TestDovecotCondStore runs dvCondScript against Dovecot and mailgate and
// compares the answers modulo the values of modseqs and UIDVALIDITY.
func TestDovecotCondStore(t *testing.T) {
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
	vars := map[string]map[string]string{"dovecot": {}, "mailgate": {}}
	expand := func(side, cmd string) string {
		for k, v := range vars[side] {
			cmd = strings.ReplaceAll(cmd, "{"+k+"}", v)
		}
		return cmd
	}
	used := map[int]bool{}
	for _, cs := range dvCondScript() {
		dst := dvStep{name: cs.name, cmd: expand("dovecot", cs.cmd), lits: cs.lits}
		mst := dvStep{name: cs.name, cmd: expand("mailgate", cs.cmd), lits: cs.lits}
		d, m := dov[cs.session].run(dst), mg[cs.session].run(mst)
		if d.err != nil || m.err != nil {
			t.Fatalf("step %s: Dovecot %v, mailgate %v", cs.name, d.err, m.err)
		}
		if cs.save != "" {
			vars["dovecot"][cs.save] = dvCondSave(cs.save, d.raw)
			vars["mailgate"][cs.save] = dvCondSave(cs.save, m.raw)
		}
		for i := range d.raw {
			d.raw[i] = dvCondRaw(d.raw[i])
		}
		for i := range m.raw {
			m.raw[i] = dvCondRaw(m.raw[i])
		}
		d.lines, m.lines = dvNormalize(dst, d.raw), dvNormalize(mst, m.raw)
		dvCompareSession(t, dvCondAllowed, used, cs.name, cs.session+": "+mst.cmd, d, m)
	}
	dvUnusedAllowed(t, dvCondAllowed, used)
}
