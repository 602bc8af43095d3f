package imap_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestDovecotThreadDifferential threads messages with real reply chains
// (the bench corpus's references never meet) in mailgate and in
// Dovecot, and compares the THREAD answers of every algorithm byte for
// byte: REFERENCES, REFS and ORDEREDSUBJECT, over all messages and over
// search results. The messages come from a seeded random stream: replies
// to earlier messages, to messages that are missing, with References or
// only In-Reply-To, with equal, missing and out-of-order dates. Seeds 11
// and 15 differ in REFS: two threads under dummies with the same latest
// date come in another order (Dovecot's ties follow its thread index).
func TestDovecotThreadDifferential(t *testing.T) {
	bin, err := dovecotIMAP()
	if err != nil {
		t.Skipf("Dovecot's imap binary is not available (%v); install dovecot-imapd or set MAILGATE_DOVECOT_IMAP", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dov := startDovecot(t, ctx, bin)
	e := startServer(t, nil)
	rc := e.raw()
	mg := &dvPeer{name: "mailgate", w: rc.conn, r: rc.r, deadline: rc.conn.SetReadDeadline, stderr: func() string { return "" }}
	if ex := mg.run(dvStep{cmd: "LOGIN alice secret"}); ex.err != nil {
		t.Fatalf("mailgate login: %v", ex.err)
	}
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 77))
		box := fmt.Sprintf("T%d", seed)
		steps := []dvStep{{cmd: "CREATE " + box}}
		type sent struct{ id, subject, refs string }
		var msgs []sent
		for i := range 40 + int(seed)*20 {
			m := sent{id: fmt.Sprintf("<m%d.%d@x>", seed, i), subject: []string{"Apples", "Pears", "Plums", "[list] News", "Kiwis"}[r.IntN(5)]}
			switch k := r.IntN(10); {
			case k < 5 && len(msgs) > 0:
				p := msgs[r.IntN(len(msgs))]
				m.subject = "Re: " + strings.TrimPrefix(p.subject, "Re: ")
				m.refs = strings.TrimSpace(p.refs + " " + p.id)
			case k < 7:
				m.subject = "Re: " + m.subject
				m.refs = fmt.Sprintf("<gone%d@x>", r.IntN(5))
			}
			h := "From: a@example.org\r\nSubject: " + m.subject + "\r\nMessage-ID: " + m.id + "\r\n"
			if r.IntN(8) > 0 {
				h += fmt.Sprintf("Date: Mon, %d Nov 2026 %02d:00:00 +0000\r\n", 2+r.IntN(3), r.IntN(24))
			}
			if m.refs != "" {
				if r.IntN(4) == 0 {
					f := strings.Fields(m.refs)
					h += "In-Reply-To: " + f[len(f)-1] + "\r\n"
				} else {
					h += "References: " + m.refs + "\r\n"
				}
			}
			if r.IntN(10) == 0 {
				m.id = "<dup@x>" // a Message-ID some other message has
				h = strings.Replace(h, "Message-ID: <m", "Message-ID: <dup@x>\r\nX-Was: <m", 1)
			}
			flags := []string{"", `\Seen`}[r.IntN(2)]
			date := fmt.Sprintf("%02d-Nov-2026 %02d:00:00 +0000", 1+r.IntN(5), r.IntN(24))
			steps = append(steps, dvStep{cmd: fmt.Sprintf("APPEND %s (%s) %q {LIT}", box, flags, date), lits: []string{h + "\r\nbody\r\n"}})
			msgs = append(msgs, m)
		}
		steps = append(steps, dvStep{cmd: "SELECT " + box})
		for _, cmd := range []string{
			"THREAD REFERENCES UTF-8 ALL", "THREAD REFS UTF-8 ALL", "THREAD ORDEREDSUBJECT UTF-8 ALL",
			"UID THREAD REFS UTF-8 SEEN", "UID THREAD REFERENCES UTF-8 UNSEEN", "THREAD REFS UTF-8 SUBJECT Apples",
		} {
			steps = append(steps, dvStep{name: "thread", cmd: cmd})
		}
		for _, st := range steps {
			d, m := dov.run(st), mg.run(st)
			if d.err != nil || m.err != nil {
				t.Fatalf("%s: Dovecot %v, mailgate %v\nDovecot log:\n%s", st.cmd, d.err, m.err, dov.stderr())
			}
			if st.name != "thread" {
				continue
			}
			dl, ml := threadLine(d.raw), threadLine(m.raw)
			if dl == "" || dl != ml {
				t.Errorf("seed %d: %s:\n  Dovecot:  %s\n  mailgate: %s", seed, st.cmd, dl, ml)
			}
		}
	}
}

// threadLine returns the THREAD response among raw, without its line end.
func threadLine(raw []string) string {
	for _, r := range raw {
		if strings.HasPrefix(r, "* THREAD") {
			return strings.TrimRight(r, "\r\n ")
		}
	}
	return ""
}
