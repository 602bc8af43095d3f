package config

import (
	"reflect"
	"testing"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"user": "alice", "home": "/home/alice"}
	tests := []struct{ in, want string }{
		{"", ""},
		{"/var/mail/$user", "/var/mail/alice"},
		{"/var/mail/${user}", "/var/mail/alice"},
		{"$home/Maildir", "/home/alice/Maildir"},
		{"${home}/${user}.d", "/home/alice/alice.d"},
		{"$username", "$username"},
		{"${user}name", "alicename"},
		{"$user.box", "alice.box"},
		{"$", "$"},
		{"a$", "a$"},
		{"$$user", "$alice"},
		{"${user", "${user"},
		{"${}", "${}"},
		{"${other}", "${other}"},
		{"$other/$user", "$other/alice"},
		{"cost: $5", "cost: $5"},
	}
	for _, tt := range tests {
		if got := Expand(tt.in, vars); got != tt.want {
			t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestVariables(t *testing.T) {
	got := variables("$home/${user}/$x-$ /${bad")
	if want := []string{"home", "user", "x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("variables = %q, want %q", got, want)
	}
}

func TestParseMailboxPattern(t *testing.T) {
	tests := []struct{ in, typ, path string }{
		{"maildir:$home/INBOX", "maildir", "$home/INBOX"},
		{"maildir://$home/INBOX", "maildir", "$home/INBOX"},
		{"mbox:///var/mail/$user", "mbox", "/var/mail/$user"},
		{"mh:/var/mh/${user}", "mh", "/var/mh/${user}"},
		{"/var/mail/$user", "", "/var/mail/$user"},
		{"$home/Mail:box", "", "$home/Mail:box"},
		{"/a:b", "", "/a:b"},
	}
	for _, tt := range tests {
		typ, path, err := ParseMailboxPattern(tt.in)
		if err != nil || typ != tt.typ || path != tt.path {
			t.Errorf("ParseMailboxPattern(%q) = %q, %q, %v; want %q, %q", tt.in, typ, path, err, tt.typ, tt.path)
		}
	}
	for _, bad := range []string{"", "imap://host/INBOX", "maildir:", "maildir://", "MBOX:/x"} {
		if typ, path, err := ParseMailboxPattern(bad); err == nil {
			t.Errorf("ParseMailboxPattern(%q) = %q, %q; want an error", bad, typ, path)
		}
	}
}
