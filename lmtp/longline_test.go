package lmtp_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestOverlongLineIsPermanent: a message with a line longer than the
// 1 MiB bound can never be delivered, so it is refused for good (554
// 5.6.0) rather than with a 4xx, which would have the MTA keep it and
// try again for days (Postfix: maximal_queue_lifetime, 5 days) before
// it bounces. The client writes the whole message before it reads the
// replies, as an MTA does: the rest of the message is read and dropped,
// so its write does not fail and it hears the 554, however long the
// line, and whether the end of data comes in the same read as the end
// of the long line or later.
func TestOverlongLineIsPermanent(t *testing.T) {
	for _, n := range []int{1<<20 + 1, 2 << 20, 16 << 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := newEnv(t, envConfig{})
			r := e.lhlo()
			r.send("MAIL FROM:<s@example.net>", "RCPT TO:<alice@example.org>", "RCPT TO:<bob@example.org>", "DATA")
			r.expect("250", "250", "250", "354")
			r.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err := r.conn.Write([]byte("Subject: long\r\n\r\n" + strings.Repeat("y", n) + "\r\n.\r\n")); err != nil {
				t.Fatalf("writing the message: %v", err)
			}
			for _, rcpt := range []string{"alice", "bob"} {
				got := r.reply()
				if !strings.HasPrefix(got[len(got)-1], "554 5.6.0 ") {
					t.Errorf("reply for %s to a message with a %d-byte line: %q; want 554 5.6.0", rcpt, n, got)
				}
			}
			for _, user := range []string{"alice", "bob"} {
				if n := len(e.messages(user, "INBOX")); n != 0 {
					t.Errorf("%d messages stored for %s", n, user)
				}
			}
			// The server is still there for the next session.
			if _, data := send(t, e.client(), "s@example.net", []string{"alice@example.org"}, testMessage("next")); data["alice@example.org"] != "250" {
				t.Errorf("next delivery: %v", data)
			}
		})
	}
}
