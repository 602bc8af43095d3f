package imap_test

import (
	"bufio"
	"fmt"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// BenchmarkGoneBurst: a pipelined burst of 1000 NOOPs, or of 1000
// UID FETCH n FLAGS, on a selected mailbox of 20 messages: what the
// stat of View.Check at every command costs (run on f1fb23d, before
// 3378f94, and after).
func BenchmarkGoneBurst(b *testing.B) {
	for _, typ := range []string{"maildir", "mbox", "mh"} {
		for _, cmd := range []string{"NOOP", "UID FETCH %d FLAGS"} {
			b.Run(typ+"/"+strings.Fields(cmd)[0], func(b *testing.B) {
				e := startServerLayout(b, func(_ string, l *storage.Layout) {
					l.DefaultType = typ
					l.Inbox = typ + ":$home/INBOX"
				}, nil)
				c := e.raw()
				c.login("alice")
				c.ok("c CREATE box")
				for i := 0; i < 20; i++ {
					c.appendMsg("box", "", testMessage(fmt.Sprint("m", i), "x"))
				}
				c.ok("s SELECT box")
				var burst strings.Builder
				for i := 0; i < 1000; i++ {
					line := cmd
					if strings.Contains(cmd, "%d") {
						line = fmt.Sprintf(cmd, i%20+1)
					}
					fmt.Fprintf(&burst, "t%d %s\r\n", i, line)
				}
				text := burst.String()
				r := bufio.NewReaderSize(c.r, 1<<16)
				b.ResetTimer()
				for n := 0; n < b.N; n++ {
					go c.conn.Write([]byte(text))
					for done := 0; done < 1000; {
						l, err := r.ReadString('\n')
						if err != nil {
							b.Fatal(err)
						}
						if strings.HasPrefix(l, "t") {
							if !strings.Contains(l, " OK") {
								b.Fatalf("%q", l)
							}
							done++
						}
					}
				}
			})
		}
	}
}
