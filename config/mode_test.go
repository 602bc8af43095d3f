package config

import (
	"os"
	"testing"
)

func TestParseMailboxMode(t *testing.T) {
	tests := []struct {
		in   string
		want os.FileMode
	}{
		{"", 0},
		{"g=rw", 0o060},
		{"o=r", 0o004},
		{"g=rw,o=r", 0o064},
		{"o+r", 0o004},
		{"g+w,g+r", 0o060},
		{"g=rw,g=r", 0o040},
		{"g=", 0},
		{"g=rw, o=rw", 0o066},
		{"o=w", 0o002},
	}
	for _, tt := range tests {
		got, err := ParseMailboxMode(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseMailboxMode(%q) = %04o, %v; want %04o", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"u=rw", "a=r", "g-w", "g=x", "g=rwx", "go=r", "g", "=rw", "g=rw,,o=r", "G=rw", "g:rw", "0644", "g=rw,"} {
		if got, err := ParseMailboxMode(bad); err == nil {
			t.Errorf("ParseMailboxMode(%q) = %04o, want an error", bad, got)
		}
	}
}

func TestMailboxModeString(t *testing.T) {
	for _, s := range []string{"", "g=rw", "o=r", "g=rw,o=r", "g=r,o=w"} {
		m, err := ParseMailboxMode(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := MailboxMode(m).String(); got != s {
			t.Errorf("MailboxMode(%04o).String() = %q, want %q", m, got, s)
		}
	}
}

func TestParseOctalMode(t *testing.T) {
	tests := []struct {
		in   string
		want os.FileMode
	}{
		{"700", 0o700},
		{"0700", 0o700},
		{"755", 0o755},
		{"2770", 0o770 | os.ModeSetgid},
		{"1777", 0o777 | os.ModeSticky},
		{"4700", 0o700 | os.ModeSetuid},
		{"0", 0},
	}
	for _, tt := range tests {
		got, err := ParseOctalMode(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseOctalMode(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if s := OctalMode(got).String(); tt.in != "0700" && s != tt.in {
			t.Errorf("OctalMode(%v).String() = %q, want %q", got, s, tt.in)
		}
	}
	for _, bad := range []string{"", "8", "rwx", "0o700", "17777", "-700", " 700", "700000"} {
		if got, err := ParseOctalMode(bad); err == nil {
			t.Errorf("ParseOctalMode(%q) = %v, want an error", bad, got)
		}
	}
}
