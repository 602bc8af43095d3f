package lmtp

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		path          string
		local, domain string
		bad           bool
	}{
		{path: "alice@example.org", local: "alice", domain: "example.org"},
		{path: "a@b@example.org", local: "a@b", domain: "example.org"}, // "a@b"@example.org, unquoted by go-smtp
		{path: "Postmaster", local: "Postmaster"},
		{path: "alice@", bad: true},
		{path: "@example.org", bad: true},
		{path: "", bad: true},
		{path: "al\x00ice@example.org", bad: true},
		{path: "alice@exa\rmple.org", bad: true},
		{path: "al\x7fice@example.org", bad: true},
	} {
		a, err := parseAddress(tc.path)
		if (err != nil) != tc.bad {
			t.Errorf("%q: error %v", tc.path, err)
			continue
		}
		if !tc.bad && (a.local != tc.local || a.domain != tc.domain) {
			t.Errorf("%q: %q %q; want %q %q", tc.path, a.local, a.domain, tc.local, tc.domain)
		}
	}
}

func TestSplitDetail(t *testing.T) {
	for _, tc := range []struct {
		local, delims, user, detail string
		ok                          bool
	}{
		{"alice+lists", "+", "alice", "lists", true},
		{"alice+lists+more", "+", "alice", "lists+more", true},
		{"alice-lists+x", "+-", "alice", "lists+x", true},
		{"alice+", "+", "alice", "", true},
		{"+alice", "+", "+alice", "", false},
		{"alice", "+", "alice", "", false},
		{"alice+lists", "", "alice+lists", "", false},
		{"alice§lists", "§", "alice", "lists", true}, // a delimiter outside ASCII
	} {
		user, detail, ok := splitDetail(tc.local, tc.delims)
		if user != tc.user || detail != tc.detail || ok != tc.ok {
			t.Errorf("splitDetail(%q, %q) = %q, %q, %v; want %q, %q, %v", tc.local, tc.delims, user, detail, ok, tc.user, tc.detail, tc.ok)
		}
	}
}

func TestQuotePath(t *testing.T) {
	for path, want := range map[string]string{
		"alice@example.org":     "alice@example.org",
		"john doe@example.org":  `"john doe"@example.org`,
		`a"b\c@example.org`:     `"a\"b\\c"@example.org`,
		"a@b@example.org":       `"a@b"@example.org`,
		"alice..x@example.org":  `"alice..x"@example.org`,
		"Postmaster":            "Postmaster",
		"":                      "",
		"alice+lists@example.x": "alice+lists@example.x",
	} {
		if got := quotePath(path); got != want {
			t.Errorf("quotePath(%q) = %q; want %q", path, got, want)
		}
	}
}

// unquotePath undoes quotePath as go-smtp's parser would.
func unquotePath(s string) (string, bool) {
	if !strings.HasPrefix(s, `"`) {
		return s, true
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
			if i == len(s) {
				return "", false
			}
			b.WriteByte(s[i])
		case '"':
			return b.String() + s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", false
}

// FuzzAddress: whatever go-smtp hands over as a forward-path, splitting
// it never panics, an accepted address carries no control character, the
// detail split loses nothing, and the quoted form written into header
// fields is one line that reads back as the address.
func FuzzAddress(f *testing.F) {
	for _, s := range []string{"alice@example.org", "alice+lists@example.org", "a@b@c", "Postmaster",
		"john doe@example.org", `a"b\c@d`, "+x@y", "x+@y", "..@x", "\x00@x", "é+ü@例え.jp"} {
		f.Add(s, "+")
	}
	f.Add("alice-x@y", "+-")
	f.Fuzz(func(t *testing.T, path, delims string) {
		a, err := parseAddress(path)
		if err != nil {
			return
		}
		if a.local == "" || hasControl(a.local) || hasControl(a.domain) {
			t.Fatalf("accepted %q as %q @ %q", path, a.local, a.domain)
		}
		if joined := a.local + map[bool]string{true: "@" + a.domain}[a.domain != ""]; joined != path {
			t.Fatalf("split %q into %q @ %q", path, a.local, a.domain)
		}
		user, detail, ok := splitDetail(a.local, delims)
		if ok && (user == "" || !strings.HasPrefix(a.local, user) || !strings.HasSuffix(a.local, detail) ||
			len(user)+len(detail) >= len(a.local)) {
			t.Fatalf("splitDetail(%q, %q) = %q, %q", a.local, delims, user, detail)
		}
		if !ok && (user != a.local || detail != "") {
			t.Fatalf("splitDetail(%q, %q) = %q, %q, false", a.local, delims, user, detail)
		}
		q := quotePath(path)
		if strings.ContainsAny(q, "\r\n") {
			t.Fatalf("quotePath(%q) = %q", path, q)
		}
		if back, ok := unquotePath(q); !ok || back != path {
			t.Fatalf("quotePath(%q) = %q reads back as %q", path, q, back)
		}
	})
}

// TestSpool: a message up to spoolMemory stays in memory, a larger one
// goes to an unlinked file; each Reader reads the whole message.
func TestSpool(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, spoolMemory, spoolMemory + 1, 3*spoolMemory + 7} {
		msg := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		sp := &spool{dir: dir}
		// A reader that returns little at a time, as a network does.
		n, err := sp.ReadFrom(io.LimitReader(&trickle{data: msg}, int64(size)))
		if err != nil || n != int64(size) || sp.Size() != int64(size) {
			t.Fatalf("size %d: read %d, %v", size, n, err)
		}
		if onFile := sp.file != nil; onFile != (size > spoolMemory) {
			t.Errorf("size %d: on file %v", size, onFile)
		}
		for range 2 {
			got, err := io.ReadAll(sp.Reader())
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("size %d: read back %d bytes, %v", size, len(got), err)
			}
		}
		sp.Close()
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("size %d: files left: %v", size, left)
		}
	}
}

type trickle struct{ data []byte }

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 1000)], r.data)
	r.data = r.data[n:]
	return n, nil
}
