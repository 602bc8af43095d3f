package maildir

import (
	"slices"
	"testing"
)

func TestFlagLetters(t *testing.T) {
	var kw keywords
	kw.names[0], kw.names[2] = "Junk", "$Label1"
	tests := []struct {
		flags   []string
		old     string
		letters string
		missing []string
	}{
		{nil, "", "", nil},
		{[]string{`\Seen`, `\Answered`, `\Flagged`, `\Deleted`, `\Draft`, "$Forwarded"}, "", "DFPRST", nil},
		{[]string{`\SEEN`, `\seen`, "$FORWARDED", `\Recent`}, "", "PS", nil},
		{[]string{"junk", "$label1", "New", "new", "Other"}, "", "ac", []string{"New", "Other"}},
		// Letters mailgate cannot name survive; known ones are replaced.
		{[]string{`\Seen`}, "FSXbza", "SXbz", nil},
		{nil, "D-1,:b", "b", nil},
	}
	for _, tt := range tests {
		letters, missing, err := encodeFlags(tt.flags, &kw, tt.old)
		if err != nil || letters != tt.letters || !slices.Equal(missing, tt.missing) {
			t.Errorf("encodeFlags(%q, %q) = %q %q %v; want %q %q", tt.flags, tt.old, letters, missing, err, tt.letters, tt.missing)
		}
	}
	for _, bad := range []string{`\Unknown`, "", "two words", "par(en", `back\slash`, "x\x00"} {
		if _, _, err := encodeFlags([]string{bad}, &kw, ""); err == nil {
			t.Errorf("encodeFlags accepted %q", bad)
		}
	}

	decodes := []struct {
		letters string
		flags   []string
		unknown bool
	}{
		{"", nil, false},
		{"DFPRST", []string{"$Forwarded", `\Answered`, `\Deleted`, `\Draft`, `\Flagged`, `\Seen`}, false},
		{"SSa", []string{"Junk", `\Seen`}, false},
		{"Xb?c", []string{"$Label1"}, true},
	}
	for _, tt := range decodes {
		flags, unknown := decodeLetters(tt.letters, &kw)
		if !slices.Equal(flags, tt.flags) || unknown != tt.unknown {
			t.Errorf("decodeLetters(%q) = %q %v; want %q %v", tt.letters, flags, unknown, tt.flags, tt.unknown)
		}
	}
}

func TestKeywordsFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/"+keywordsFile, "0 Junk\n3 $Label1\r\nbad line\n30 TooFar\n1 junk\n2 two words\n", zeroTime)
	kw, err := readKeywords(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(kw.encode()); got != "0 Junk\n3 $Label1\n" {
		t.Fatalf("read back as %q", got)
	}
	if !kw.add("New") || kw.names[1] != "New" {
		t.Fatalf("add used slot %v", kw.names)
	}
}
