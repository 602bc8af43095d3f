package imap_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
)

// Dovecot 2.3 offers neither UTF8=ACCEPT nor IMAP4rev2, so the
// differential for UTF-8 names is this: folders a UTF-8 session of
// mailgate creates, renames and appends to look to an IMAP4rev1 session
// exactly as Dovecot shows the same folders made in modified UTF-7.
func TestDovecotUTF8Names(t *testing.T) {
	bin, err := dovecotIMAP()
	if err != nil {
		needs.Missing(t, "Dovecot's imap binary is not available (%v)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dov := startDovecot(t, ctx, bin)
	e := startServer(t, nil)
	u8 := e.raw()
	u8.login("alice")
	u8.ok("e ENABLE UTF8=ACCEPT")
	rc := e.raw()
	rc.login("alice")
	mg := &dvPeer{name: "mailgate", w: rc.conn, r: rc.r, deadline: rc.conn.SetReadDeadline, stderr: func() string { return "" }}

	msg := "Subject: utf8\r\n\r\nbody\r\n"
	// Each pair: what Dovecot is sent (modified UTF-7), and what
	// mailgate's UTF-8 session sends for the same change.
	for i, p := range [][2]string{
		{`CREATE "Entw&APw-rfe"`, `CREATE "Entwürfe"`},
		{`CREATE "Entw&APw-rfe/&ZeVnLIqe-"`, `CREATE "Entwürfe/日本語"`},
		{`CREATE "A &- B"`, `CREATE "A & B"`},
		{`CREATE "&AMk-t&AOk-"`, `CREATE "Été"`},
		{`RENAME "&AMk-t&AOk-" "Hiver &AMk-t&AOk-"`, `RENAME "Été" "Hiver Été"`},
		{`SUBSCRIBE "Entw&APw-rfe/&ZeVnLIqe-"`, `SUBSCRIBE "Entwürfe/日本語"`},
	} {
		if x := dov.run(dvStep{name: p[0], cmd: p[0]}); x.err != nil || !strings.Contains(x.raw[len(x.raw)-1], " OK ") {
			t.Fatalf("Dovecot: %s: %q, %v", p[0], x.raw, x.err)
		}
		u8.ok("u" + itoaTest(i) + " " + p[1])
	}
	dov.run(dvStep{name: "append", cmd: `APPEND "Entw&APw-rfe" {LIT}`, lits: []string{msg}})
	u8.appendMsg(`"Entwürfe"`, "", msg)

	for _, cmd := range []string{
		`LIST "" "*"`,
		`LIST "" "Entw&APw-rfe/%"`,
		`LIST "" "*&AOk-"`,
		`LSUB "" "Entw&APw-rfe/*"`,
		`STATUS "Entw&APw-rfe" (MESSAGES UIDNEXT)`,
		`SELECT "Hiver &AMk-t&AOk-"`,
		`SELECT "Entw&APw-rfe"`,
		`FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])`,
		`DELETE "A &- B"`,
		`LIST "" "A*"`,
	} {
		st := dvStep{name: cmd, cmd: cmd}
		d, m := dov.run(st), mg.run(st)
		if d.err != nil || m.err != nil {
			t.Fatalf("%s: Dovecot %v, mailgate %v", cmd, d.err, m.err)
		}
		dl, ml := dvNormalize(st, d.raw), dvNormalize(st, m.raw)
		slices.Sort(dl)
		slices.Sort(ml)
		if !slices.Equal(dl, ml) {
			t.Errorf("%s:\n  Dovecot:  %q\n  mailgate: %q", cmd, dl, ml)
		}
	}
}
