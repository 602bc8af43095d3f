package message

import (
	"bytes"
	"testing"
)

// TestFieldsReset checks that a Fields used again (Reset) for one header
// after another gives what a new one gives, and that what it returned
// for a header (address lists, their text) does not change when it is
// reset for the next one, nor when the header's own bytes are written
// over afterwards (a reader's buffer is reused): the address tokens
// alias the header, the addresses must not.
func TestFieldsReset(t *testing.T) {
	headers := []string{
		"From: \"Smith, Jo\" (work) <jo@example.com>\nTo: team: a@b.example, \"C D\" <c@d.example>;, postmaster, <root>\nSubject: hi\n\n",
		// Escapes and a line break inside a quoted string, a folded
		// address list, a domain literal with a line break.
		"From: \"A \\\"quoted\\\" \\\\ name\" <a@x.example>\r\nTo: b@y.example,\r\n c@[192.0.2.1\r\n ]\r\nCc: \"multi\r\n line\" <m@z.example>\r\n\r\n",
		// Comments only, a bare address with a comment, an encoded word.
		"From: jqp@x.example (John Q. Public)\nSender: (just a comment)\nReply-To: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>\n\n",
		// Many addresses, more than one To field.
		"To: " + manyAddresses(40) + "\nTo: second@example.com\nFrom: <>\n\n",
		"",
		"Subject: no addresses at all\n\n",
	}
	var reused Fields
	type result struct {
		env  []byte
		list []Address
		text string
	}
	var kept []result
	for i, h := range headers {
		buf := []byte(h)
		reused.Reset(buf)
		fresh := ParseFields([]byte(h))
		got, want := reused.AppendEnvelope(nil), fresh.AppendEnvelope(nil)
		if !bytes.Equal(got, want) {
			t.Errorf("header %d: reused Fields: envelope\n%s\nwant\n%s", i, got, want)
		}
		if want := AppendEnvelope(nil, []byte(h)); !bytes.Equal(got, want) {
			t.Errorf("header %d: envelope\n%s\nwant\n%s", i, got, want)
		}
		list := reused.Addresses("To")
		r := result{env: got, list: list, text: AddressListText(list)}
		if want := AddressText(firstValue(fresh, "To")); r.text != want {
			t.Errorf("header %d: To text %q, want %q", i, r.text, want)
		}
		kept = append(kept, r)
		for j := range buf {
			buf[j] = 'X' // the reader's buffer, reused
		}
	}
	for i, h := range headers {
		fresh := ParseFields([]byte(h))
		if got, want := AddressListText(kept[i].list), AddressText(firstValue(fresh, "To")); got != want {
			t.Errorf("header %d: To after the Fields and the buffer were reused: %q, want %q", i, got, want)
		}
	}
}

// firstValue is the value of the first field called name, nil if none.
func firstValue(f *Fields, name string) []byte {
	v, _ := f.First(name)
	return v
}

// manyAddresses returns a list of n addresses of several forms.
func manyAddresses(n int) string {
	var b bytes.Buffer
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		switch i % 3 {
		case 0:
			b.WriteString("User Number <user@example.com>")
		case 1:
			b.WriteString("\"Quoted, Name\" <q.n@sub.example.org>")
		default:
			b.WriteString("bare@example.net (comment)")
		}
	}
	return b.String()
}

// TestAppendAddressListText checks the appending form against the
// string one, on a dst that already holds bytes.
func TestAppendAddressListText(t *testing.T) {
	for _, v := range []string{"", "a@b", "g: a@b, \"C\" <c@d>;, =?UTF-8?Q?J=C3=B6rg?= <j@e>", "undisclosed-recipients:;"} {
		list := ParseAddressList([]byte(v))
		got := AppendAddressListText([]byte("prefix"), list)
		if want := "prefix" + AddressListText(list); string(got) != want {
			t.Errorf("%q: %q, want %q", v, got, want)
		}
	}
}
