package message

import (
	"reflect"
	"testing"
)

func TestEnvelope(t *testing.T) {
	alice := `(("Alice" NIL "alice" "example.com"))`
	jo := `(("Smith, Jo" NIL "jo" "example.com"))`
	tests := []struct {
		name, header, want string
	}{{
		name:   "plain",
		header: crlf(plainMsg),
		want: `("Mon, 2 Jan 2006 15:04:05 -0700" "Hello" ` + alice + ` ` + alice + ` ` + alice +
			` ((NIL NIL "bob" "example.com")) NIL NIL NIL "<1@example.com>")`,
	}, {
		name:   "empty header",
		header: "",
		want:   `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
	}, {
		name: "groups, addresses without a domain, routes, comments",
		header: crlf(`From: "Smith, Jo" (work) <jo@example.com>
To: team: a@b.example, "C D" <c@d.example>;, postmaster, <root>
Cc: undisclosed-recipients:;
Bcc: jqp@x.example (John Q. Public), John Q. Public <@r1.example,@r2.example:jqp@y.example>
Subject: =?UTF-8?B?SGVsbG8=?= world
Reply-To:
In-Reply-To: <a@b>

`),
		want: `(NIL "=?UTF-8?B?SGVsbG8=?= world" ` + jo + ` ` + jo + ` ` + jo +
			` ((NIL NIL "team" NIL)(NIL NIL "a" "b.example")("C D" NIL "c" "d.example")(NIL NIL NIL NIL)` +
			`(NIL NIL "postmaster" "")(NIL NIL "root" ""))` +
			` ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL))` +
			` (("John Q. Public" NIL "jqp" "x.example")("John Q. Public" "@r1.example,@r2.example" "jqp" "y.example"))` +
			` "<a@b>" NIL)`,
	}, {
		name: "folded fields",
		header: crlf(`Subject: a very
 long subject
To: x@y,
	z@w
Sender: Real
 Sender <s@x>
Message-ID:
 <folded@x>

`),
		want: `(NIL "a very long subject" NIL (("Real Sender" NIL "s" "x")) NIL` +
			` ((NIL NIL "x" "y")(NIL NIL "z" "w")) NIL NIL NIL "<folded@x>")`,
	}, {
		name:   "8-bit subject and name are literals",
		header: crlf("Subject: Grüße\nFrom: Jörg <j@x>\n\n"),
		want: "(NIL {7}\r\nGrüße (({5}\r\nJörg NIL \"j\" \"x\")) (({5}\r\nJörg NIL \"j\" \"x\"))" +
			" (({5}\r\nJörg NIL \"j\" \"x\")) NIL NIL NIL NIL NIL)",
	}, {
		name:   "first field of a name counts; empty subject is an empty string",
		header: crlf("Subject:\nSubject: second\nTo: a@b\nTo: c@d\n\n"),
		want:   `(NIL "" NIL NIL NIL ((NIL NIL "a" "b")) NIL NIL NIL NIL)`,
	}, {
		name:   "garbage degrades",
		header: crlf("From: <<<@@@>>>,,, (unclosed\nTo: \"unterminated\n\n"),
		want:   `(NIL NIL ((NIL NIL "" "@@")) ((NIL NIL "" "@@")) ((NIL NIL "" "@@")) ((NIL NIL "unterminated" "")) NIL NIL NIL NIL)`,
	}, {
		name:   "mbox From line in front",
		header: crlf("From alice@example.com Mon Jan  2 15:04:05 2006\nSubject: s\n\nbody\n"),
		want:   `(NIL "s" NIL NIL NIL NIL NIL NIL NIL NIL)`,
	}, {
		name:   "LF only",
		header: "Subject: lf\nFrom: a@b\n\nbody\n",
		want:   `(NIL "lf" ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL)`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(AppendEnvelope(nil, []byte(tt.header)))
			if got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
			n, err := parseAll([]byte(got))
			if err == nil {
				err = checkEnvelope(n)
			}
			if err != nil {
				t.Errorf("not RFC 3501 syntax: %v", err)
			}
		})
	}
}

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		in   string
		want []Address
	}{
		{"", nil},
		{"a@b", []Address{{Mailbox: "a", Host: "b"}}},
		{`"Doe, John" <john@x.example>`, []Address{{Name: "Doe, John", Mailbox: "john", Host: "x.example"}}},
		{`John Q. Public <jqp@x>`, []Address{{Name: "John Q. Public", Mailbox: "jqp", Host: "x"}}},
		{`=?UTF-8?Q?J=C3=B6rg?= <j@x>`, []Address{{Name: "=?UTF-8?Q?J=C3=B6rg?=", Mailbox: "j", Host: "x"}}},
		{`"john doe"@x`, []Address{{Mailbox: "john doe", Host: "x"}}},
		{`john . doe @ example . com`, []Address{{Mailbox: "john.doe", Host: "example.com"}}},
		{`a@[127.0.0.1]`, []Address{{Mailbox: "a", Host: "[127.0.0.1]"}}},
		{`(Jo) <jo@x>`, []Address{{Name: "Jo", Mailbox: "jo", Host: "x"}}},
		{`jo@x (Jo (the) Smith)`, []Address{{Name: "Jo (the) Smith", Mailbox: "jo", Host: "x"}}},
		{`,, a@b ,, c@d,`, []Address{{Mailbox: "a", Host: "b"}, {Mailbox: "c", Host: "d"}}},
		{`A <a@x> B <b@y>`, []Address{{Name: "A", Mailbox: "a", Host: "x"}, {Name: "B", Mailbox: "b", Host: "y"}}},
		{`a@b <c@d>`, []Address{{Name: "a@b", Mailbox: "c", Host: "d"}}},
		{`<>`, []Address{{}}},
		{`g: a@b`, []Address{
			{Kind: AddressGroupStart, Mailbox: "g"}, {Mailbox: "a", Host: "b"}, {Kind: AddressGroupEnd},
		}},
		{`g1: a@b;, g2:;`, []Address{
			{Kind: AddressGroupStart, Mailbox: "g1"}, {Mailbox: "a", Host: "b"}, {Kind: AddressGroupEnd},
			{Kind: AddressGroupStart, Mailbox: "g2"}, {Kind: AddressGroupEnd},
		}},
		{`"Team \"A\"": x <x@y>;`, []Address{
			{Kind: AddressGroupStart, Mailbox: `Team "A"`}, {Name: "x", Mailbox: "x", Host: "y"}, {Kind: AddressGroupEnd},
		}},
	}
	for _, tt := range tests {
		got := ParseAddressList([]byte(tt.in))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseAddressList(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}

func TestAddressText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"user-from@domain.org", "<user-from@domain.org>"},
		{"RealFrom <user-from@domain.org>", "RealFrom <user-from@domain.org>"},
		{"<user-from (comment)@ (comment) domain.org>", "<user-from@domain.org>"},
		{"user-from@domain.org (RealFrom)", "RealFrom <user-from@domain.org>"},
		{"user-from1@domain.org, user-from2@domain.org", "<user-from1@domain.org>, <user-from2@domain.org>"},
		{"groupname: groupuser1@domain.org, groupuser2@domain.org;,\r\n  groupname2: groupuser3@domain.org;",
			"groupname: <groupuser1@domain.org>, <groupuser2@domain.org>;, groupname2: <groupuser3@domain.org>;"},
		{"groupname:;", "groupname:;"},
		{"a@b, g:;, c@d", "<a@b>, g:;, <c@d>"},
		{`"Doe, John" <john (x) . doe @ example . com>`, "Doe, John <john.doe@example.com>"},
		{"=?UTF-8?Q?J=C3=B6rg?= <j@x>", "J\u00f6rg <j@x>"},
		{"<@route,@other:user@host>", "<user@host>"},
		{"postmaster", "<postmaster>"},
		{"", ""},
	} {
		if got := AddressText([]byte(tt.in)); got != tt.want {
			t.Errorf("AddressText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
