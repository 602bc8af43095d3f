package message

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message/textproto"
)

// TestEnvelopeAgainstGoIMAP compares the ENVELOPE of each message of a
// generated corpus (well-formed headers, as the benchmark harness's)
// with go-imap's derivation of it (imapserver.ExtractEnvelope): the
// same date, subject (decoded), message ID, and addresses, field by
// field. go-imap decodes encoded words and strips the message ID's
// brackets where ENVELOPE sends them raw, so ours are read so too.
func TestEnvelopeAgainstGoIMAP(t *testing.T) {
	for i := 1; i <= 300; i++ {
		msg := corpusMessage(3, i, 0)
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(msg)))
		if err != nil {
			t.Fatal(err)
		}
		want := imapserver.ExtractEnvelope(h)
		env, err := parseAll(AppendEnvelope(nil, msg))
		if err != nil || env.kind != '(' || len(env.list) != 10 {
			t.Fatalf("message %d: envelope %v: %v", i, env, err)
		}
		f := env.list
		if d, ok := ParseDate(f[envDate].str); !ok || !d.Equal(want.Date) {
			t.Errorf("message %d: date %q, go-imap %v", i, f[envDate].str, want.Date)
		}
		if got := DecodeHeader([]byte(f[envSubject].str)); got != want.Subject {
			t.Errorf("message %d: subject %q, go-imap %q", i, got, want.Subject)
		}
		if got := strings.Trim(f[envMessageID].str, "<>"); got != want.MessageID {
			t.Errorf("message %d: message ID %q, go-imap %q", i, got, want.MessageID)
		}
		for _, c := range []struct {
			name  string
			field int
			want  []imap.Address
		}{
			{"from", envFrom, want.From}, {"sender", envSender, want.Sender}, {"reply-to", envReplyTo, want.ReplyTo},
			{"to", envTo, want.To}, {"cc", envCc, want.Cc}, {"bcc", envBcc, want.Bcc},
		} {
			got := f[c.field].list
			if c.want == nil && (c.field == envSender || c.field == envReplyTo) {
				// RFC 3501: absent, they are From; go-imap leaves them out.
				c.want = want.From
			}
			if len(got) != len(c.want) {
				t.Errorf("message %d: %s %v, go-imap %v", i, c.name, got, c.want)
				continue
			}
			for k, a := range got {
				w := c.want[k]
				if len(a.list) != 4 || DecodeHeader([]byte(a.list[0].str)) != w.Name ||
					a.list[2].str != w.Mailbox || a.list[3].str != w.Host {
					t.Errorf("message %d: %s address %d %v, go-imap %+v", i, c.name, k, a, w)
				}
			}
		}
	}
}
